"""Re-execute lesson notebooks top to bottom and write the outputs back.

    python tools/rerun.py              # every notebooks/NN_*.ipynb
    python tools/rerun.py 00 02        # the lessons named by number (or by path)
    python tools/rerun.py --seeds 0-49 01          # COURSE_SEED 0..49, write nothing, report
    python tools/rerun.py --seeds 0-49 --report seeds.json   # ... and save the report as JSON
    python tools/rerun.py --seeds commit           # one seed derived from the git commit (CI)
    COURSE_SCALE=full python tools/rerun.py --out-dir /tmp/full 02   # keep the stored lesson

Each notebook runs in a fresh kernel started in ``notebooks/`` and inheriting this
process's environment, so ``COURSE_SCALE`` and ``COURSE_SEED`` reach ``cu.setup()``.
A notebook is written back (normalised) only when every cell ran; one that fails
is left on disk exactly as it was, and the failing cell, its failing line and its
error are printed. For each run the wall time and the kernel's peak resident memory
are printed, then a one-line summary; the exit status is 1 if any run failed.

With ``--seeds`` nothing is written: every lesson runs once per seed and a table
(lesson x seeds passed / failed, time and peak memory) and every failure (cell,
line, message, and the command that reproduces it) are printed at the end.
Seed runs go two kernels at a time by default (``--jobs``; fewer when memory is
short): on a 2-core machine that finishes a sweep sooner, and each run's seconds
then include waiting for the other kernel. ``--seeds commit`` picks one seed from
the checked-out commit (50 and up, so never one of the 0-49 the lessons were
checked on): each commit re-checks every lesson at a seed nobody tuned for.

Everything typed is checked before the first kernel starts, with the validators
``cu.setup()`` uses (``COURSE_SCALE``, ``COURSE_SEED``, each seed in [0, 2**32)); a
mistake (an empty or reversed seed range, more than 1,000 seeds, a timeout of 0, an
unknown lesson) ends with one line on stderr, exit status 2 and nothing written.
Lessons are written back only at seed 0 and quick scale, the outputs ``make test``
compares; another seed or scale goes to ``--out-dir`` or ``--seeds``. A run that
fails names the cell that was running (a timeout or a dead kernel included), and
Ctrl-C ends with one line. Peak memory is the kernel's process tree, polled with
psutil, so it reads the same on Linux, macOS and Windows.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
sys.path.insert(0, str(Path(__file__).resolve().parent))
if str(ROOT) not in sys.path:
    sys.path.insert(1, str(ROOT))  # this checkout's course_utils, for its validators

#: More seeds than this per lesson is a typo (a 50-seed sweep of the course takes 2 hours).
MAX_SEEDS = 1000


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose every refusal is one line on stderr and exit status 2."""

    def error(self, message: str):  # type: ignore[override]
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def check_environment() -> tuple[str, int]:
    """``COURSE_SCALE`` and ``COURSE_SEED`` as ``setup()`` reads them; ValueError if bad."""
    from course_utils.config import resolve_scale, resolve_seed

    try:
        return resolve_scale(None), resolve_seed(None)
    except TypeError as error:
        raise ValueError(str(error)) from None


def find_notebooks(names: list[str]) -> list[Path]:
    """Resolve lesson numbers ('00'), file names in notebooks/ or paths to notebook paths.

    Raises ValueError with a one-line message for a name that matches no single notebook.
    """
    every = sorted(NOTEBOOKS.glob(LESSON_GLOB))
    if not names:
        if not every:
            raise ValueError(f"no lessons ({LESSON_GLOB}) in {NOTEBOOKS}")
        return every
    chosen = []
    for name in names:
        path = Path(name)
        if not name.strip():
            raise ValueError("an empty notebook name: give a lesson number such as 02")
        if path.is_file():
            if path.suffix != ".ipynb":
                raise ValueError(f"{name!r} is not a notebook (.ipynb)")
            chosen.append(path.resolve())
            continue
        matches = [
            p
            for p in every
            if p.name == name or p.stem == name or p.name.startswith(f"{name}_")
        ]
        if len(matches) != 1:
            raise ValueError(
                f"no single notebook matches {name!r} in {NOTEBOOKS}: give a lesson "
                "number such as 02, a file name there, or a path"
            )
        chosen.append(matches[0])
    return list(dict.fromkeys(chosen))


def parse_seeds(text: str) -> list[int]:
    """'0-9' -> [0, ..., 9]; '1,4,7' -> [1, 4, 7]; 'commit' -> [commit_seed()].

    Raises ValueError (one line) for an empty, reversed or unreadable range, a seed
    outside [0, 2**32) (``setup()``'s own check), or more than ``MAX_SEEDS`` seeds.
    """
    from course_utils.config import resolve_seed

    text = text.strip()
    if not text:
        raise ValueError("--seeds is empty: give e.g. 0-49, 3, 1,4,7 or commit")
    if text.lower() == "commit":
        return [commit_seed()[0]]
    seeds: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(
                f"--seeds takes e.g. 0-49, 3, 1,4,7 or commit; got {text!r}"
            )
        low, high = int(match[1]), int(match[2] or match[1])
        for seed in (low, high):
            resolve_seed(seed, name="--seeds: a seed")
        if high < low:
            raise ValueError(
                f"--seeds {part.strip()} is reversed and would run nothing; "
                f"did you mean {high}-{low}?"
            )
        if len(seeds) + high - low + 1 > MAX_SEEDS:
            raise ValueError(
                f"--seeds {text} asks for more than {MAX_SEEDS} seeds per lesson "
                "(50 take about 2 hours for the whole course)"
            )
        seeds.extend(range(low, high + 1))
    return list(dict.fromkeys(seeds))


#: The lessons are checked on seeds 0-49 before they land; the commit's seed is never one of them.
FIRST_FRESH_SEED = 50


def git_output(root: Path, *args: str) -> str:
    """What ``git ARGS`` prints in ``root``; raises OSError/SubprocessError without git."""
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def commit_seed(root: Path = ROOT) -> tuple[int, str]:
    """A seed derived from the checked-out commit, and where it came from.

    The commit id (``git rev-parse HEAD``) is hashed to a seed in [50, 1,000,000): the same
    commit always gives the same seed, a new commit a new one. Outside a git checkout the
    notebooks' bytes are hashed instead.
    """
    try:
        head = git_output(root, "rev-parse", "HEAD")
        source = f"commit {head[:12]}"
    except (OSError, subprocess.SubprocessError):
        digest = hashlib.sha256()
        for path in sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            digest.update(path.read_bytes())
        head, source = digest.hexdigest(), "the notebooks' contents (no git checkout)"
    number = int(hashlib.sha256(head.encode()).hexdigest()[:12], 16)
    return FIRST_FRESH_SEED + number % (1_000_000 - FIRST_FRESH_SEED), source


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def failing_line(source: str, traceback: list[str]) -> str | None:
    """The line of the cell's source where the error was raised, read off an IPython traceback.

    IPython names the cell's frame ``Cell In[n], line k``; the last such frame is the cell's
    own line (an assert, or the call into the code that raised).
    """
    text = _ANSI.sub("", "\n".join(traceback))
    lines = re.findall(r"Cell In\[\d+\], line (\d+)", text)
    if not lines:
        return None
    number = int(lines[-1])
    source_lines = source.splitlines()
    return source_lines[number - 1].strip() if 0 < number <= len(source_lines) else None


class PeakMemory:
    """Peak resident memory of this process's descendants (the kernel and what it starts).

    Polled every ``interval`` seconds with psutil (Linux, macOS and Windows alike): the
    sum over the process tree at each poll, the largest sum kept. A spike shorter than
    the interval can be missed; lessons' peaks last seconds.
    """

    def __init__(self, interval: float = 0.1):
        self.interval, self.peak_bytes = interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        import psutil

        me = psutil.Process()
        while True:
            total = 0
            try:
                children = me.children(recursive=True)
            except psutil.Error:
                children = []
            for child in children:
                try:
                    total += child.memory_info().rss
                except psutil.Error:  # it ended between the listing and the reading
                    pass
            self.peak_bytes = max(self.peak_bytes, total)
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mb(self) -> float | None:
        return self.peak_bytes / 2**20 if self.peak_bytes else None


def worker(path: Path, out: Path, timeout: int | None) -> dict:
    """Execute one notebook in this process's child kernel; report as a dict."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import (
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )
    from nbformat_course import dumps, normalize

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # not JSON, not a notebook
        return {
            "ok": False,
            "cell": None,
            "error": f"cannot read the notebook: {type(error).__name__}: {error}"[:300],
            "seconds": None,
            "peak_mb": None,
        }
    for (
        cell
    ) in nb.cells:  # start from a clean slate: no stale outputs survive a failure
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    # nbclient's cell hooks say which cell is running and which finished last, so a
    # timeout or a dead kernel is reported at its cell.
    state: dict = {"running": None, "finished": None, "started": 0.0}
    seconds_by_cell: dict[
        int, float
    ] = {}  # for the main-path measure (reading_time.py)

    def on_cell_execute(cell, cell_index):
        state["running"], state["started"] = cell_index, time.perf_counter()

    def on_cell_executed(cell, cell_index, execute_reply):
        seconds_by_cell[cell_index] = time.perf_counter() - state["started"]
        state["running"], state["finished"] = None, cell_index

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=on_cell_execute,
        on_cell_executed=on_cell_executed,
    )

    def at_running_cell(error: str) -> dict:
        index = state["running"]
        return {
            "ok": False,
            "cell": index,
            "count": client.code_cells_executed if index is not None else None,
            "error": error,
        }

    def after_finished() -> str:
        if state["finished"] is None:
            return "before any cell finished"
        return f"after cell {state['finished']} finished"

    start = time.perf_counter()
    report: dict = {"ok": True}
    with PeakMemory() as memory:
        try:
            client.execute()
        except CellTimeoutError:
            report = at_running_cell(f"timed out after {timeout} s")
        except CellExecutionError as error:
            report = {"ok": False, "error": str(error).strip().splitlines()[-1][:300]}
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code" and any(
                    o.output_type == "error" for o in cell.outputs
                ):
                    err = next(o for o in cell.outputs if o.output_type == "error")
                    report.update(
                        cell=index,
                        count=cell.execution_count,
                        error=f"{err.ename}: {err.evalue}"[:300],
                        line=failing_line(cell.source, err.get("traceback", [])),
                    )
                    break
            else:
                report.setdefault("cell", None)
        except DeadKernelError:
            report = at_running_cell(f"the kernel died {after_finished()}")
        except Exception as error:  # nbclient could not start the kernel, or worse
            report = at_running_cell(f"{type(error).__name__}: {error}"[:300])
    report["seconds"] = time.perf_counter() - start
    report["peak_mb"] = memory.mb
    if report["ok"]:
        # Every number the prose quotes must be shown by this run (tools/prose_check.py).
        from prose_check import lesson_of, unbacked

        try:
            report["prose"] = [
                {"cell": q.cell, "number": q.text, "context": q.context.strip()}
                for q in unbacked(nb, lesson_of(path))
            ]
        except ValueError as error:  # an unreadable ledger or allow-list
            report["prose"] = [{"cell": None, "number": "?", "context": str(error)}]
        from reading_time import split_seconds

        nb.metadata.setdefault("course", {})["run_seconds"] = split_seconds(
            nb, seconds_by_cell
        )
        out.write_text(dumps(normalize(nb)), encoding="utf-8")
    return report


def finite(value):
    """``value`` with nan and inf (at any depth) turned into None, for JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def rounded(run: dict) -> dict:
    """A run's report for a JSON file: floats to 2 decimals, never nan."""
    return {
        k: (round(v, 2) if isinstance(v, float) else v) for k, v in finite(run).items()
    }


#: Workers running now, so that Ctrl-C can stop them (and their kernels) at once.
_RUNNING: set[subprocess.Popen] = set()
_INTERRUPTED = threading.Event()


def stop_workers() -> None:
    """Interrupt every running worker (it shuts its kernel down), then make sure."""
    for process in list(_RUNNING):
        try:
            if os.name == "nt":
                process.terminate()
            else:
                process.send_signal(signal.SIGINT)
        except OSError:
            pass
    for process in list(_RUNNING):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def run_one(
    path: Path, timeout: int | None, write: bool, env: dict, out_dir: Path | None = None
) -> dict:
    """Run ``worker`` in a subprocess (so the memory figure is this notebook's alone).

    The executed notebook replaces ``path`` when ``write`` is true, or is saved in
    ``out_dir`` (under the same name) when that is given; otherwise it is discarded.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        cmd = [sys.executable, __file__, "--worker", str(path), "--out", str(out)]
        if timeout:
            cmd += ["--timeout", str(timeout)]
        process = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        _RUNNING.add(process)
        try:
            stdout, stderr = process.communicate()
        finally:
            _RUNNING.discard(process)
        try:
            report = json.loads(stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            report = {
                "ok": False,
                "cell": None,
                "seconds": None,
                "peak_mb": None,
                "error": (stderr.strip().splitlines() or ["worker crashed"])[-1][:300],
            }
        if _INTERRUPTED.is_set():
            report["ok"] = False
            return report
        if out_dir is not None and out.exists():
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / path.name).write_text(
                out.read_text(encoding="utf-8"), encoding="utf-8"
            )
        if report["ok"] and write:
            tmp_target = path.with_suffix(".ipynb.tmp")
            tmp_target.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
            # atomic: the old file or the new one, never half
            os.replace(tmp_target, path)
    return report


def prose_lines(report: dict, indent: str) -> list[str]:
    """One line per number the prose quotes that the run did not show."""
    return [
        f"{indent}prose, cell {q['cell']}: {q['number']}  ...{q['context']}..."
        for q in report.get("prose", [])
    ]


def number(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``, or '?' right-aligned to the same width."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        width = re.match(r"\d*", spec).group(0)
        return f"{'?':>{width}}" if width else "?"
    return format(value, spec)


def where_failed(report: dict) -> str:
    if report.get("prose"):
        return "the prose check"
    if report.get("cell") is None:
        return "before any cell ran"
    count = report.get("count")
    return f"In [{count if count is not None else '?'}] (cell {report['cell']})"


def describe(path: Path, report: dict) -> str:
    line = (
        f"{path.stem:<45} {number(report.get('seconds'), '7.1f')} s  "
        f"peak {number(report.get('peak_mb'), '6.0f')} MB"
    )
    if report["ok"]:
        if report.get("prose"):
            return "\n".join(
                [
                    line
                    + f"  ok, but {len(report['prose'])} unbacked number(s) in the prose"
                ]
                + prose_lines(report, " " * 4)
            )
        return line + "  ok"
    text = line + f"  FAILED at {where_failed(report)}: {report['error']}"
    if report.get("line"):
        text += f"\n{'':<47}line: {report['line']}"
    return "\n".join([text] + prose_lines(report, " " * 4))


def parallel_jobs(requested: int | None, runs: int) -> int:
    """How many kernels to run at once: the request, or 2, capped by cores and free memory.

    A lesson's kernel peaks below 2 GB at quick scale, so each job is given 2.5 GB.
    """
    import psutil

    want = requested if requested is not None else 2
    by_memory = max(1, int(psutil.virtual_memory().available / (2.5 * 2**30)))
    return max(1, min(want, os.cpu_count() or 1, by_memory, runs))


def seed_table(results: list[dict]) -> list[str]:
    """Lines of the seed report: one row per lesson, then one entry per failure."""
    lines = [
        f"{'lesson':<45} {'seeds':>5} {'passed':>6} {'failed':>6} "
        f"{'median s':>8} {'max s':>6} {'peak MB':>7}"
    ]
    for lesson in dict.fromkeys(r["lesson"] for r in results):
        rows = [r for r in results if r["lesson"] == lesson]
        seconds = [r["seconds"] for r in rows if r.get("seconds") is not None]
        peaks = [r["peak_mb"] for r in rows if r.get("peak_mb") is not None]
        passed = sum(r["ok"] for r in rows)
        lines.append(
            f"{lesson:<45} {len(rows):>5} {passed:>6} {len(rows) - passed:>6} "
            f"{number(statistics.median(seconds) if seconds else None, '8.1f')} "
            f"{number(max(seconds, default=None), '6.1f')} "
            f"{number(max(peaks, default=None), '7.0f')}"
        )
    failures = [r for r in results if not r["ok"]]
    if failures:
        lines.append("")
        lines.append(f"{len(failures)} failure(s):")
        for r in failures:
            lines.append(
                f"- {r['lesson']} seed {r['seed']}: {where_failed(r)}: {r['error']}"
            )
            if r.get("line"):
                lines.append(f"    line: {r['line']}")
            lines.extend(prose_lines(r, " " * 4))
            lines.append(
                f"    reproduce: make seeds SEEDS={r['seed']} NB={r['lesson'][:2]}"
            )
    return lines


def lesson_hint(paths: list[Path]) -> str:
    """``NB=02`` for one lesson, ``NB=..`` for several (for messages)."""
    return f"NB={paths[0].name[:2]}" if len(paths) == 1 else "NB=.."


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="rerun", description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        help="lesson numbers (00), file names or paths; default all",
    )
    parser.add_argument(
        "--seeds",
        help="run with each COURSE_SEED in e.g. 0-49 (or 'commit' for "
        "one seed derived from the git commit); writes nothing",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="kernels at once with --seeds "
        "(default 2, fewer if cores or memory are short)",
    )
    parser.add_argument(
        "--report", type=Path, help="with --seeds: also write the report as JSON"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="execute only, keep files as they are"
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        help="save executed notebooks here instead of "
        "in place (e.g. full-scale outputs that should not be committed)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=None,
        help="seconds per cell (default: 600 at quick scale, none at full scale)",
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        try:
            report = worker(args.worker, args.out, args.timeout)
        except KeyboardInterrupt:  # the parent reports the interruption
            return 130
        print(json.dumps(finite(report)))
        return 0

    # Everything is checked here, before the first kernel starts or a file is touched.
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be a positive integer, got {args.jobs}")
    if args.timeout is not None and args.timeout <= 0:
        parser.error(
            f"--timeout must be a positive number of seconds per cell, got {args.timeout}"
        )
    if args.report and args.seeds is None:
        parser.error("--report goes with --seeds")
    if args.report and args.report.is_dir():
        parser.error(f"--report {args.report} is a folder; give a file name")
    if args.out_dir and args.seeds is not None:
        parser.error("--out-dir does not go with --seeds (seed runs write nothing)")
    if args.out_dir and args.out_dir.exists() and not args.out_dir.is_dir():
        parser.error(f"--out-dir {args.out_dir} is a file, not a folder")
    try:
        scale, env_seed = check_environment()
        paths = find_notebooks(args.notebooks)
        seeds = parse_seeds(args.seeds) if args.seeds is not None else None
    except ValueError as error:
        parser.error(str(error))
    write = not (args.no_write or seeds is not None or args.out_dir)
    if write and (scale != "quick" or env_seed != 0):
        setting = (
            f"COURSE_SEED={env_seed}" if env_seed != 0 else f"COURSE_SCALE={scale}"
        )
        parser.error(
            f"refusing to write lessons back from a run at {setting}: stored lessons are "
            f"seed 0 at quick scale (make test compares them); keep the run with "
            f"--out-dir DIR, or check seeds with `make seeds SEEDS={env_seed or 1} "
            f"{lesson_hint(paths)}`"
        )

    timeout = args.timeout or (600 if scale == "quick" else None)
    runs = [(p, None) for p in paths]
    if seeds is not None:
        if args.seeds.strip().lower() == "commit":
            seed, source = commit_seed()
            print(
                f"rerun: seed {seed}, derived from {source}; "
                f"reproduce with `make seeds SEEDS={seed}`"
            )
        runs = [(p, s) for p in paths for s in seeds]
    jobs = parallel_jobs(args.jobs, len(runs)) if seeds is not None else 1
    target = (
        "writing outputs back"
        if write
        else f"saving executed copies in {args.out_dir}"
        if args.out_dir
        else "writing nothing"
    )
    print(
        f"rerun: {len(runs)} run(s), scale {scale}, {target}"
        + (f", {jobs} kernels at once" if jobs > 1 else ""),
        flush=True,
    )

    def execute(run: tuple[Path, int | None]) -> dict:
        path, seed = run
        if _INTERRUPTED.is_set():
            return {"lesson": path.stem, "seed": seed, "ok": False, "error": "skipped"}
        env = dict(os.environ)
        if seed is not None:
            env["COURSE_SEED"] = str(seed)
        report = run_one(path, timeout, write, env, args.out_dir)
        if seeds is not None and report.get("prose"):
            # A sentence that is true at seed 0 only fails here (CONTRIBUTING.md).
            report["ok"] = False
            report["error"] = (
                f"the prose quotes {len(report['prose'])} number(s) this run does not show"
            )
        if not _INTERRUPTED.is_set():
            label = (
                path if seed is None else path.with_name(f"{path.stem} [seed {seed}]")
            )
            print(describe(label, report), flush=True)
        return {"lesson": path.stem, "seed": seed, **report}

    start = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        results = list(pool.map(execute, runs)) if pool else list(map(execute, runs))
    except KeyboardInterrupt:
        _INTERRUPTED.set()
        stop_workers()
        if pool:
            pool.shutdown(wait=True, cancel_futures=True)
        print(
            "rerun: interrupted (Ctrl-C); no lesson was written by the unfinished runs",
            file=sys.stderr,
        )
        return 130
    if pool:
        pool.shutdown()
    elapsed = time.perf_counter() - start

    failures = [r for r in results if not r["ok"]]
    ok = len(results) - len(failures)
    summary = f"rerun: {ok} of {len(results)} ran clean in {elapsed:.0f} s"
    if failures and seeds is None:
        summary += "; failed (left untouched on disk): " + ", ".join(
            r["lesson"] for r in failures
        )
    if seeds is not None:
        print()
        print("\n".join(seed_table(results)))
    print(summary)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(
            json.dumps(
                {
                    "scale": scale,
                    "seeds": args.seeds,
                    "jobs": jobs,
                    "seconds": round(elapsed, 1),
                    "passed": ok,
                    "failed": len(failures),
                    "table": seed_table(results),
                    "runs": [rounded(r) for r in results],
                },
                indent=1,
                allow_nan=False,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"rerun: report written to {args.report}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
