"""tools/rerun.py: writes a notebook back only when every cell ran; reports the failing cell."""

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
RERUN = ROOT / "tools" / "rerun.py"


def make_notebook(path: Path, sources: list[str]) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def rerun(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RERUN), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_a_failing_notebook_is_left_untouched_and_its_cell_reported(tmp_path):
    path = tmp_path / "90_fails.ipynb"
    make_notebook(path, ["print('fine')", "x = 1", "raise ValueError('broken on purpose')"])
    before = path.read_bytes()
    result = rerun(path)
    assert result.returncode == 1
    assert path.read_bytes() == before
    assert "FAILED at In [3] (cell 2): ValueError: broken on purpose" in result.stdout
    assert "0 of 1 ran clean" in result.stdout and "left untouched" in result.stdout


def test_a_clean_notebook_is_written_back_executed_and_normalised(tmp_path):
    path = tmp_path / "91_works.ipynb"
    make_notebook(path, ["import os\nprint(os.environ['COURSE_SEED'])", "", "2 + 3"])
    result = subprocess.run([sys.executable, str(RERUN), str(path)], capture_output=True,
                            text=True, timeout=300, env={**__import__("os").environ, "COURSE_SEED": "4"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 of 1 ran clean" in result.stdout and "peak" in result.stdout
    nb = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in nb.cells] == [1, 2]  # the empty cell was dropped
    assert nb.cells[0].outputs[0].text == "4\n"
    assert nb.cells[1].outputs[0].data["text/plain"] == "5"


def test_seeds_mode_runs_every_seed_and_writes_nothing(tmp_path):
    path = tmp_path / "92_seeds.ipynb"
    make_notebook(path, ["import os\nassert os.environ['COURSE_SEED'] != '2'"])
    before = path.read_bytes()
    result = rerun("--seeds", "0-2", path)
    assert result.returncode == 1
    assert path.read_bytes() == before
    assert "2 of 3 ran clean" in result.stdout and "[seed 2]" in result.stdout


def test_out_dir_keeps_the_stored_notebook_and_saves_the_executed_copy(tmp_path):
    path = tmp_path / "93_copy.ipynb"
    make_notebook(path, ["print(6 * 7)"])
    before = path.read_bytes()
    result = rerun("--out-dir", tmp_path / "out", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert path.read_bytes() == before
    copy = nbformat.read(tmp_path / "out" / path.name, as_version=4)
    assert copy.cells[0].outputs[0].text == "42\n"
