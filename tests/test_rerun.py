"""tools/rerun.py: writes a notebook back only when every cell ran; reports the failing cell."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
RERUN = ROOT / "tools" / "rerun.py"
sys.path.insert(0, str(ROOT / "tools"))
import rerun as rerun_module  # noqa: E402


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
        env={**os.environ, "COURSE_SEED": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 of 1 ran clean" in result.stdout and "peak" in result.stdout
    nb = nbformat.read(path, as_version=4)
    assert [c.execution_count for c in nb.cells] == [1, 2]  # the empty cell was dropped
    assert nb.cells[0].outputs[0].text == "0\n"
    assert nb.cells[1].outputs[0].data["text/plain"] == "5"


def test_a_run_stores_the_main_path_and_optional_run_seconds(tmp_path):
    path = tmp_path / "92_timed.ipynb"
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("## 1. Setup"),
            nbformat.v4.new_code_cell("import time\ntime.sleep(1.2)"),
            nbformat.v4.new_markdown_cell("## Going further: a side trip"),
            nbformat.v4.new_code_cell("time.sleep(0.1)"),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "P",
        "language": "python",
    }
    nbformat.write(nb, path)
    result = rerun(path)
    assert result.returncode == 0, result.stdout + result.stderr
    stored = nbformat.read(path, as_version=4).metadata["course"]["run_seconds"]
    assert stored == {"main_path": 2, "going_further": 1}  # whole seconds, rounded up


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
    # Review (second round, "Engineering" 2): the hint led to a rerun that rewrote the lesson.
    assert "reproduce: make seeds SEEDS=3 NB=94" in result.stdout
    data = json.loads(report.read_text())
    assert (data["passed"], data["failed"]) == (2, 1)
    failed = [r for r in data["runs"] if not r["ok"]]
    assert [(r["seed"], r["cell"], r["line"]) for r in failed] == [
        (3, 1, "assert x != 6, f'x is {x}'")
    ]
    assert all(r["peak_mb"] > 0 and r["seconds"] > 0 for r in data["runs"])


def test_commit_seed_is_stable_fresh_and_printed(tmp_path):
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


# Review (second round, "Engineering" 2, 4): every mistake is refused before a kernel starts,
# in one line on stderr, with exit status 2, and nothing is written.
REFUSALS = {
    "reversed range": (["--seeds", "5-2"], {}, "--seeds 5-2 is reversed"),
    "empty seeds": (["--seeds", ""], {}, "--seeds is empty"),
    "blank seeds": (["--seeds", " "], {}, "--seeds is empty"),
    "too many seeds": (["--seeds", "0-999999"], {}, "more than 1000 seeds"),
    "seed too large": (["--seeds", "4294967296"], {}, "must be in [0, 2**32)"),
    "not a number": (["--seeds", "one"], {}, "--seeds takes e.g. 0-49"),
    "negative timeout": (["--timeout", "-5"], {}, "--timeout must be a positive"),
    "zero timeout": (["--timeout", "0"], {}, "--timeout must be a positive"),
    "scale typo": ([], {"COURSE_SCALE": "fulll"}, "COURSE_SCALE must be one of"),
    "seed typo": ([], {"COURSE_SEED": "three"}, "COURSE_SEED must be a non-negative"),
    "negative seed": ([], {"COURSE_SEED": "-1"}, "COURSE_SEED must be in [0, 2**32)"),
    "seed 3 write-back": (
        [],
        {"COURSE_SEED": "3"},
        "refusing to write lessons back from a run at COURSE_SEED=3",
    ),
    "full write-back": ([], {"COURSE_SCALE": "full"}, "--out-dir DIR"),
    "unknown lesson": (["77"], {}, "no single notebook matches '77'"),
}


@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_mistakes_are_refused_before_any_kernel_starts(
    name, tmp_path, monkeypatch, capsys
):
    args, env, words = REFUSALS[name]
    monkeypatch.delenv("COURSE_SEED", raising=False)
    monkeypatch.delenv("COURSE_SCALE", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "90_lesson.ipynb"
    make_notebook(path, ["1"])
    before = path.read_bytes()
    notebook = [] if "77" in args else [str(path)]
    with pytest.raises(SystemExit) as exit_:
        rerun_module.main([*args, *notebook])
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""  # not even "rerun: 1 run(s)"
    assert len(err.splitlines()) == 1 and words in err, err
    assert path.read_bytes() == before and sorted(tmp_path.iterdir()) == [path]


def test_write_back_refusal_names_the_commands_that_do_what_was_meant(
    monkeypatch, capsys
):
    monkeypatch.setenv("COURSE_SEED", "3")
    monkeypatch.delenv("COURSE_SCALE", raising=False)
    with pytest.raises(SystemExit):
        rerun_module.main(["03"])
    err = capsys.readouterr().err
    assert "--out-dir DIR" in err and "`make seeds SEEDS=3 NB=03`" in err


def test_the_cli_refuses_in_one_line_too(tmp_path):
    path = tmp_path / "90_lesson.ipynb"
    make_notebook(path, ["1"])
    result = rerun("--seeds", "5-2", path)
    assert result.returncode == 2 and result.stdout == ""
    assert (
        result.stderr
        == "rerun: --seeds 5-2 is reversed and would run nothing; did you mean 2-5?\n"
    )


def test_lessons_are_found_by_number_file_name_or_a_path_with_spaces(tmp_path):
    lesson = sorted((ROOT / "notebooks").glob("0[0-9]_*.ipynb"))[0]
    by_number = rerun_module.find_notebooks([lesson.name[:2]])
    assert by_number == rerun_module.find_notebooks([lesson.name]) == [lesson]
    spaced = tmp_path / "my lessons" / "90 draft.ipynb"
    spaced.parent.mkdir()
    make_notebook(spaced, ["1"])
    assert rerun_module.find_notebooks([str(spaced)]) == [spaced.resolve()]
    with pytest.raises(ValueError, match="is not a notebook"):
        rerun_module.find_notebooks([str(ROOT / "README.md")])


def test_make_seeds_refuses_an_empty_seed_list():
    # Review: `make seeds SEEDS=` passed `--seeds 01`: lesson 01's number became a seed.
    result = subprocess.run(
        ["make", "--no-print-directory", "seeds", "SEEDS=", "NB=01"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "SEEDS is empty" in result.stderr
    assert "rerun.py" not in result.stdout


def test_make_keeps_a_path_with_spaces_as_one_argument():
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-n",
            "-o",
            ".venv/.installed",
            "rerun",
            "NB=my lessons/90_x.ipynb",
        ],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.splitlines()[-1].endswith(' "my lessons/90_x.ipynb"')


# Review (second round, "Engineering" 5): a timeout read as KeyboardInterrupt, a dead kernel
# as "before any cell finished" though cell 0 ran, and NaN could reach the JSON report.
def test_timeouts_and_dead_kernels_name_the_running_cell(tmp_path):
    slow = tmp_path / "91_slow.ipynb"
    make_notebook(slow, ["x = 1", "import time\ntime.sleep(60)"])
    dies = tmp_path / "92_dies.ipynb"
    make_notebook(dies, ["x = 1", "import os\nos._exit(1)", "print('never')"])
    before = slow.read_bytes(), dies.read_bytes()
    result = rerun("--timeout", "2", slow, dies)
    assert result.returncode == 1
    assert "FAILED at In [2] (cell 1): timed out after 2 s" in result.stdout
    assert (
        "FAILED at In [2] (cell 1): the kernel died after cell 0 finished"
        in result.stdout
    ), result.stdout
    assert (slow.read_bytes(), dies.read_bytes()) == before


def test_an_unreadable_notebook_is_reported_without_nan(tmp_path):
    broken = tmp_path / "93_broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    report = tmp_path / "seeds.json"
    result = rerun("--seeds", "0", "--report", report, broken)
    assert result.returncode == 1 and "nan" not in result.stdout.lower()
    assert "cannot read the notebook" in result.stdout
    text = report.read_text()
    assert "NaN" not in text
    run = json.loads(text)["runs"][0]
    assert run["seconds"] is None and run["peak_mb"] is None


def test_ctrl_c_ends_in_one_line_and_writes_nothing(tmp_path):
    path = tmp_path / "94_long.ipynb"
    make_notebook(path, ["import time\ntime.sleep(60)"])
    before = path.read_bytes()
    process = subprocess.Popen(
        [sys.executable, str(RERUN), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's Ctrl-C reaches
        # a job started in the background of a script inherits SIGINT ignored; a terminal's
        # rerun does not, so give the child the default handling (Python's KeyboardInterrupt)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stdout.readline().startswith("rerun: 1 run(s)")
    time.sleep(4)  # the kernel starts and enters the cell
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert err.splitlines() == [
        "rerun: interrupted (Ctrl-C); no lesson was written by the unfinished runs"
    ]
    assert path.read_bytes() == before


def test_memory_is_measured_portably():
    # Review (second round, "Engineering" 3): `import resource` failed on Windows and
    # ru_maxrss is bytes on macOS; psutil polls the kernel's process tree instead.
    source = RERUN.read_text(encoding="utf-8") + (
        ROOT / "tools" / "bench.py"
    ).read_text(encoding="utf-8")
    assert "import resource" not in source and "/proc/meminfo" not in source
