"""tools/bench.py: runs lessons at each scale, reports time and memory, reads lesson 02's ratio."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import bench  # noqa: E402


def make_notebook(path: Path, sources: list[str]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def test_bench_runs_each_scale_and_reads_the_fft_speedup(tmp_path):
    path = tmp_path / "02_toy.ipynb"
    make_notebook(
        path,
        [
            "import os\nscale = os.environ['COURSE_SCALE']",
            "size = 64 if scale == 'full' else 32\n"
            "print(f'speed-up of FFT over direct conv2d at {size}x{size}: 123x "
            "(direct 0.456 s/step, FFT 0.00371 s/step)')",
            "import course_utils.ledger\n"
            "course_utils.ledger.record('02', size=size, error=0.25 * size)",
        ],
    )
    ledger = tmp_path / "ledger.json"
    report = tmp_path / "bench.json"
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "bench.py"),
            str(path),
            "--report",
            str(report),
            "--keep",
            str(tmp_path / "keep"),
            "--ledger",
            str(ledger),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # only the full-scale run's figures reach the ledger, with where and how it ran
    entry = json.loads(ledger.read_text())["lessons"]["02"]
    assert entry["figures"] == {"size": 64, "error": 16.0}
    assert entry["run"]["wall_s"] > 0 and entry["run"]["peak_mb"] > 0
    assert entry["run"]["machine"]["cores"] >= 1 and entry["run"]["date"]
    assert "ledger 02: error: (none) -> 16.0" in result.stdout
    data = json.loads(report.read_text())
    assert [(r["lesson"], r["scale"], r["ok"]) for r in data["runs"]] == [
        ("02_toy", "quick", True),
        ("02_toy", "full", True),
    ]
    assert all(r["seconds"] > 0 and r["peak_mb"] > 0 for r in data["runs"])
    speedup = data["lesson02_fft_speedup"]
    assert (speedup["scale"], speedup["size"], speedup["ratio"]) == ("full", 64, 123.0)
    assert (
        speedup["direct_s_per_step"] == 0.456 and speedup["fft_s_per_step"] == 0.00371
    )
    assert data["machine"]["cores"] >= 1
    assert (
        "02_toy" in result.stdout
        and "speed-up of FFT over direct conv2d at 64x64" in result.stdout
    )


def test_table_flags_figures_over_their_bars():
    runs = [
        {
            "lesson": "04_x",
            "scale": "quick",
            "ok": True,
            "seconds": 30.0,
            "peak_mb": 900.0,
        },
        {
            "lesson": "04_x",
            "scale": "full",
            "ok": True,
            "seconds": 400.0,
            "peak_mb": 2500.0,
        },
    ]
    row = bench.format_table(runs, ["quick", "full"])[1]
    assert row.split()[1:] == ["30", "900", "400!", "2500!"]


def test_unknown_scale_is_refused():
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench.py"), "--scales", "huge"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        result.returncode == 2 and "--scales takes quick and/or full" in result.stderr
    )


def test_table_marks_a_whole_course_over_its_full_scale_bar():
    runs = [
        {
            "lesson": f"0{i}_x",
            "scale": "full",
            "seconds": 200.0,
            "peak_mb": 900.0,
            "ok": True,
        }
        for i in range(4)
    ]
    assert "800!" in bench.format_table(runs, ["full"])[-2]
    assert "!" not in bench.format_table(runs[:3], ["full"])[-2]


def test_update_ledger_replaces_one_lesson_and_says_what_changed(tmp_path):
    ledger = tmp_path / "full_scale_results.json"
    run = {"wall_s": 10.0, "peak_mb": 800}
    assert bench.update_ledger(ledger, "03", {"a": 1.0}, run) == [
        "ledger 03: a: (none) -> 1.0"
    ]
    bench.update_ledger(ledger, "04", {"b": 2}, run)
    changes = bench.update_ledger(ledger, "03", {"a": 1.5, "c": "x"}, run)
    assert changes == ["ledger 03: a: 1.0 -> 1.5", "ledger 03: c: (none) -> x"]
    data = json.loads(ledger.read_text())
    assert data["lessons"]["04"]["figures"] == {"b": 2}  # the other lesson is kept
    assert data["lessons"]["03"] == {"figures": {"a": 1.5, "c": "x"}, "run": run}
    assert bench.update_ledger(ledger, "03", {"a": 1.5, "c": "x"}, run) == []


def test_bench_measures_without_touching_the_ledger_when_told(tmp_path):
    path = tmp_path / "01_toy.ipynb"
    make_notebook(
        path, ["import course_utils.ledger\ncourse_utils.ledger.record('01', x=1)"]
    )
    ledger = tmp_path / "ledger.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "bench.py"), str(path), "--scales",
         "full", "--report", str(tmp_path / "b.json"), "--keep", str(tmp_path / "k"),
         "--ledger", str(ledger), "--no-ledger"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert not ledger.exists()


# Review (second round, "Engineering" 4): checked before the first kernel starts, one line.
@pytest.mark.parametrize(
    "args, env, words",
    [
        (["77"], {}, "no single notebook matches '77'"),
        (["--scales", ""], {}, "--scales takes quick and/or full"),
        ([], {"COURSE_SCALE": "fulll"}, "COURSE_SCALE must be one of"),
        ([], {"COURSE_SEED": "-3"}, "COURSE_SEED must be in [0, 2**32)"),
    ],
)
def test_bench_refuses_mistakes_in_one_line_before_running(
    args, env, words, monkeypatch, capsys, tmp_path
):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exit_:
        bench.main(
            [*args, "--report", str(tmp_path / "b.json"), "--keep", str(tmp_path)]
        )
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert len(err.splitlines()) == 1 and words in err, err
    assert list(tmp_path.iterdir()) == []


def test_table_shows_a_run_without_figures_as_unknown_not_nan():
    runs = [
        {
            "lesson": "00_x",
            "scale": "quick",
            "seconds": None,
            "peak_mb": None,
            "ok": False,
        }
    ]
    assert "nan" not in "\n".join(bench.format_table(runs, ["quick"])).lower()
