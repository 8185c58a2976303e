"""The main-path measure (tools/reading_time.py) and what the lessons and README state."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import reading_time  # noqa: E402

LESSONS = reading_time.lessons()


def md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def code(text: str, tags=(), markdown_output: str | None = None) -> dict:
    outputs = []
    if markdown_output is not None:
        outputs.append(
            {
                "output_type": "display_data",
                "data": {"text/markdown": markdown_output},
                "metadata": {},
            }
        )
    return {
        "cell_type": "code",
        "metadata": {"tags": list(tags)},
        "source": text,
        "outputs": outputs,
        "execution_count": 1,
    }


def notebook(*cells, run_seconds=None) -> dict:
    meta = {"course": {"run_seconds": run_seconds}} if run_seconds else {}
    return {"cells": list(cells), "metadata": meta}


def test_going_further_sections_run_to_the_next_h2_and_leave_the_main_path():
    cells = [
        md("# Lesson 09 · T\n\nintro"),
        md("## 1. Setup"),
        code("x = 1"),
        md("## Going further: a side trip\n\nmore"),
        code("y = 2"),
        md("### 9.1 still optional"),
        md("## 10. Exercises"),
        code("z = 3"),
    ]
    assert reading_time.optional_cells(cells) == [
        False,
        False,
        False,
        True,
        True,
        True,
        False,
        False,
    ]


def test_words_count_markdown_and_generated_prose_but_not_hidden_code():
    nb = notebook(
        md("one two three"),
        code(
            "print('x')\n\n# a comment\n",
            tags=["remove-input"],
            markdown_output="four five",
        ),
        code("a = 1\n\n# read\nb = 2\n"),
    )
    m = reading_time.measure(nb)
    assert (m.words, m.code_lines, m.run_seconds) == (5, 3, None)


def test_minutes_are_words_at_150_code_lines_at_10_and_run_seconds():
    nb = notebook(
        md(" ".join(["w"] * 300)),
        code("\n".join(f"x{i} = {i}" for i in range(20))),
        md("## Going further: extra\n\n" + " ".join(["w"] * 1500)),
        run_seconds={"main_path": 60, "going_further": 600},
    )
    m = reading_time.measure(nb)
    assert m.minutes == pytest.approx(300 / 150 + 20 / 10 + 1)
    assert m.stated_minutes == 5
    assert m.optional_minutes == pytest.approx((1500 + 4) / 150)  # heading: 4 words


def test_stated_time_rounds_up_to_five_minutes():
    words = notebook(md(" ".join(["w"] * 150 * 41)))  # 41 minutes of prose
    assert reading_time.measure(words).stated_minutes == 45
    exact = notebook(md(" ".join(["w"] * 150 * 40)))
    assert reading_time.measure(exact).stated_minutes == 40


def test_split_seconds_sums_each_part_and_rounds_up():
    nb = notebook(md("## 1. Setup"), code("a"), md("## Going further: b"), code("c"))
    split = reading_time.split_seconds(nb, {1: 2.2, 3: 10.1})
    assert split == {"main_path": 3, "going_further": 11}


def test_measure_refuses_what_is_not_a_notebook():
    with pytest.raises(TypeError, match="needs a notebook"):
        reading_time.measure({"cells": "not a list"})
    with pytest.raises(TypeError, match="needs a notebook"):
        reading_time.measure([md("x")])


def test_the_command_refuses_a_missing_notebook(capsys):
    with pytest.raises(SystemExit) as stop:
        reading_time.main(["notebooks/99_missing.ipynb"])
    assert stop.value.code == 2
    assert "no such notebook" in capsys.readouterr().err


def _stated_in_first_cell(nb: dict) -> int:
    minutes = reading_time.stated_minutes(nb)
    assert minutes is not None, (
        "the first cell states no time ('**Time.** About N minutes')"
    )
    return minutes


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_each_lesson_states_its_measured_time_in_its_first_cell_and_readme(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    m = reading_time.measure(nb)
    assert m.run_seconds is not None, (
        f"{path.name} has no run time stored: re-run it with tools/rerun.py"
    )
    stated = _stated_in_first_cell(nb)
    readme = reading_time.readme_minutes().get(path.name[:2])
    assert stated == m.stated_minutes == readme, (
        f"{path.name}: the first cell says {stated} min and README {readme} min; the "
        f"measure is {m.minutes:.1f} min ({m.words} words, {m.code_lines} code lines, "
        f"{m.run_seconds:.0f} s), stated as {m.stated_minutes}"
    )


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name[:2])
def test_each_lesson_main_path_is_at_most_45_minutes(path):
    m = reading_time.measure(json.loads(path.read_text(encoding="utf-8")))
    assert m.minutes <= 45, (
        f"{path.name}: main path {m.minutes:.1f} min ({m.words} words, "
        f"{m.code_lines} code lines); move side investigations to 'Going further'"
    )
