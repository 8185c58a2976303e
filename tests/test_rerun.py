"""tools/rerun.py: writes a notebook back only when every cell ran; reports the failing cell."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
RERUN = ROOT / "tools" / "rerun.py"


def make_notebook(path: Path, sources: list[str]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def rerun(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(RERUN), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_failing_notebook_is_left_untouched_and_its_cell_reported(tmp_path):
    path = tmp_path / "90_fails.ipynb"
    make_notebook(
        path, ["print('fine')", "x = 1", "raise ValueError('broken on purpose')"]
    )
    before = path.read_bytes()
    result = rerun(path)
    assert result.returncode == 1
    assert path.read_bytes() == before
    assert "FAILED at In [3] (cell 2): ValueError: broken on purpose" in result.stdout
    assert "0 of 1 ran clean" in result.stdout and "left untouched" in result.stdout


def test_a_clean_notebook_is_written_back_executed_and_normalised(tmp_path):
    path = tmp_path / "91_works.ipynb"
    make_notebook(path, ["import os\nprint(os.environ['COURSE_SEED'])", "", "2 + 3"])
    result = subprocess.run(
        [sys.executable, str(RERUN), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**__import__("os").environ, "COURSE_SEED": "4"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 of 1 ran clean" in result.stdout and "peak" in result.stdout
    nb = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in nb.cells] == [1, 2]  # the empty cell was dropped
    assert nb.cells[0].outputs[0].text == "4\n"
    assert nb.cells[1].outputs[0].data["text/plain"] == "5"


def test_out_dir_keeps_the_stored_notebook_and_saves_the_executed_copy(tmp_path):
    path = tmp_path / "93_copy.ipynb"
    make_notebook(path, ["print(6 * 7)"])
    before = path.read_bytes()
    result = rerun("--out-dir", tmp_path / "out", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_bytes() == before
    copy = nbformat.read(tmp_path / "out" / path.name, as_version=4)
    assert copy.cells[0].outputs[0].text == "42\n"


def test_seeds_mode_writes_nothing_and_reports_the_failing_line_and_how_to_reproduce_it(
    tmp_path,
):
    path = tmp_path / "94_report.ipynb"
    make_notebook(
        path,
        [
            "import os\nseed = int(os.environ['COURSE_SEED'])",
            "x = seed * 2\nassert x != 6, f'x is {x}'\nprint(x)",
        ],
    )
    report = tmp_path / "seeds.json"
    before = path.read_bytes()
    result = rerun("--seeds", "2-4", "--jobs", "2", "--report", report, path)
    assert result.returncode == 1
    assert path.read_bytes() == before  # seed runs write nothing
    assert "2 of 3 ran clean" in result.stdout and "[seed 4]" in result.stdout
    # the table: one row for the lesson with 3 seeds, 2 passed, 1 failed
    lines = result.stdout.splitlines()
    header = next(
        i
        for i, line in enumerate(lines)
        if line.split()[:4] == ["lesson", "seeds", "passed", "failed"]
    )
    assert lines[header + 1].split()[:4] == ["94_report", "3", "2", "1"]
    assert "94_report seed 3: In [2] (cell 1): AssertionError: x is 6" in result.stdout
    assert "line: assert x != 6, f'x is {x}'" in result.stdout
    assert "reproduce: COURSE_SEED=3 make rerun NB=94" in result.stdout
    data = json.loads(report.read_text())
    assert (data["passed"], data["failed"]) == (2, 1)
    failed = [r for r in data["runs"] if not r["ok"]]
    assert [(r["seed"], r["cell"], r["line"]) for r in failed] == [
        (3, 1, "assert x != 6, f'x is {x}'")
    ]
    assert all(r["peak_mb"] > 0 and r["seconds"] > 0 for r in data["runs"])


def test_commit_seed_is_stable_fresh_and_printed(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    import rerun as rerun_module

    first, source = rerun_module.commit_seed()
    assert rerun_module.commit_seed()[0] == first
    assert 50 <= first < 1_000_000 and ("commit" in source or "notebooks" in source)
    path = tmp_path / "95_commit.ipynb"
    make_notebook(path, ["import os\nprint(os.environ['COURSE_SEED'])"])
    result = rerun("--seeds", "commit", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"seed {first}, derived from" in result.stdout
    assert f"[seed {first}]" in result.stdout


def test_bad_seed_ranges_and_jobs_are_refused_with_a_message(tmp_path):
    path = tmp_path / "96_bad.ipynb"
    make_notebook(path, ["1"])
    result = rerun("--seeds", "zero-nine", path)
    assert result.returncode != 0 and "--seeds takes e.g. 0-49" in result.stderr
    result = rerun("--seeds", "0-1", "--jobs", "0", path)
    assert (
        result.returncode != 0 and "--jobs must be a positive integer" in result.stderr
    )


def test_seed_runs_fail_when_the_prose_quotes_a_number_only_seed_0_prints(tmp_path):
    path = tmp_path / "91_prose.ipynb"
    make_notebook(
        path,
        ["import os\nprint(f\"accuracy 0.{5 + int(os.environ['COURSE_SEED'])}\")"],
    )
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("Accuracy ends at 0.5 in this run."))
    nbformat.write(nb, path)
    result = rerun("--seeds", "0-1", "--jobs", "1", path)
    assert result.returncode == 1, result.stdout
    assert "91_prose [seed 0]" in result.stdout and "1 of 2 ran clean" in result.stdout
    assert (
        "- 91_prose seed 1: the prose check: the prose quotes 1 number(s)"
        in result.stdout
    )
    assert (
        "prose, cell 1: 0.5  ...Accuracy ends at 0.5 in this run...." in result.stdout
    )
