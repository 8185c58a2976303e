"""course_utils.ledger: full-scale figures recorded under make bench, quoted in any run."""

import json

import numpy as np
import pytest

from course_utils import ledger


@pytest.fixture
def entry(tmp_path):
    path = tmp_path / "full_scale_results.json"
    path.write_text(
        json.dumps(
            {
                "lessons": {
                    "04": {
                        "figures": {"acc": 0.9612, "steps": 1562},
                        "run": {
                            "machine": {"cpu": "Test CPU", "cores": 2},
                            "date": "2026-12-04",
                            "commit": "abc123",
                            "wall_s": 272.4,
                            "peak_mb": 1458,
                        },
                    }
                }
            }
        )
    )
    return path


def test_record_writes_nothing_outside_make_bench(tmp_path, monkeypatch):
    monkeypatch.delenv(ledger.ENV_OUT, raising=False)
    assert ledger.record("02", err=np.float32(0.5), n=np.int64(3)) == {
        "err": 0.5,
        "n": 3,
    }
    assert list(tmp_path.iterdir()) == []


def test_record_appends_figures_to_the_file_bench_names(tmp_path, monkeypatch):
    out = tmp_path / "ledger" / "02.json"
    monkeypatch.setenv(ledger.ENV_OUT, str(out))
    ledger.record("02", a=1.5)
    ledger.record("02", b="256x256")
    assert json.loads(out.read_text()) == {
        "lesson": "02",
        "figures": {"a": 1.5, "b": "256x256"},
    }
    with pytest.raises(ValueError, match="holds lesson 02's figures, not 03's"):
        ledger.record("03", a=1.0)


@pytest.mark.parametrize(
    "lesson, figures, error, message",
    [
        ("2", {"a": 1}, ValueError, "two-digit string such as '02', got '2'"),
        (2, {"a": 1}, ValueError, "two-digit string"),
        ("02", {}, ValueError, "needs at least one figure"),
        ("02", {"a": float("nan")}, ValueError, "figure 'a' must be finite, got nan"),
        (
            "02",
            {"a": True},
            TypeError,
            "figure 'a' must be an int, float or str, got bool",
        ),
        ("02", {"a": [1, 2]}, TypeError, "got list"),
        ("02", {"a": np.ones(2)}, TypeError, "got ndarray"),
    ],
)
def test_record_refuses_bad_input(lesson, figures, error, message):
    with pytest.raises(error, match=message):
        ledger.record(lesson, **figures)


def test_text_fills_the_template_and_names_the_run(entry):
    text = ledger.text(
        "04", "Accuracy {acc:.3f} after {steps:,} steps ({minutes:.1f} min).", entry
    )
    first, source = text.split("\n\n")
    assert first == "Accuracy 0.961 after 1,562 steps (4.5 min)."
    assert source == (
        "*Full scale, measured by `make bench NB=04` on Test CPU (2 cores), 2026-12-04, "
        "commit abc123: the whole notebook in 272 s, peak 1458 MB.*"
    )


def test_text_says_how_to_measure_a_missing_figure_instead_of_guessing(entry):
    assert ledger.text("04", "{acc} and {loss:.2f}", entry) == (
        "*Full-scale figures not measured yet (loss): run `make bench NB=04` to measure them.*"
    )
    assert "not measured yet (err)" in ledger.text("02", "{err}", entry)


def test_results_of_a_lesson_without_an_entry_are_empty(entry):
    assert ledger.results("01", entry) == {"figures": {}, "run": {}}
    assert ledger.results("04", entry)["figures"]["steps"] == 1562


def test_a_corrupt_ledger_names_the_file(tmp_path):
    path = tmp_path / "full_scale_results.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="full_scale_results.json is not valid JSON"):
        ledger.results("02", path)
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="is not a ledger"):
        ledger.load(path)


def test_template_must_be_text(entry):
    with pytest.raises(ValueError, match="template must be a non-empty string"):
        ledger.text("04", "  ", entry)


def test_the_committed_ledger_is_readable():
    assert isinstance(ledger.load()["lessons"], dict)
