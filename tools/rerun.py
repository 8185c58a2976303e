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
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(Path(__file__).resolve().parent))


def find_notebooks(names: list[str]) -> list[Path]:
    """Resolve lesson numbers ('00'), file names or paths to notebook paths."""
    every = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if not names:
        return every
    chosen = []
    for name in names:
        path = Path(name)
        if path.suffix == ".ipynb" and path.exists():
            chosen.append(path.resolve())
            continue
        matches = [p for p in every if p.name.startswith(f"{name}_") or p.stem == name]
        if len(matches) != 1:
            raise SystemExit(
                f"rerun: no single notebook matches {name!r} in {NOTEBOOKS}"
            )
        chosen.append(matches[0])
    return chosen


def parse_seeds(text: str) -> list[int]:
    """'0-9' -> [0, ..., 9]; '1,4,7' -> [1, 4, 7]; 'commit' -> [commit_seed()]."""
    if text.strip().lower() == "commit":
        return [commit_seed()[0]]
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        try:
            seeds.extend(range(int(low), int(high or low) + 1))
        except ValueError:
            raise SystemExit(
                f"rerun: --seeds takes e.g. 0-49, 1,4,7 or commit; got {text!r}"
            ) from None
    return seeds


#: The lessons are checked on seeds 0-49 before they land; the commit's seed is never one of them.
FIRST_FRESH_SEED = 50


def commit_seed(root: Path = ROOT) -> tuple[int, str]:
    """A seed derived from the checked-out commit, and where it came from.

    The commit id (``git rev-parse HEAD``) is hashed to a seed in [50, 1,000,000): the same
    commit always gives the same seed, a new commit a new one. Outside a git checkout the
    notebooks' bytes are hashed instead.
    """
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()
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


def worker(path: Path, out: Path, timeout: int | None) -> dict:
    """Execute one notebook in this process's child kernel; report as a dict."""
    import resource

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError
    from nbformat_course import dumps, normalize

    nb = nbformat.read(path, as_version=4)
    for (
        cell
    ) in nb.cells:  # start from a clean slate: no stale outputs survive a failure
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    report: dict = {"ok": True}
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
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
    except Exception as error:  # the kernel died, or nbclient could not start it
        report = {
            "ok": False,
            "cell": None,
            "error": f"{type(error).__name__}: {error}"[:300],
        }
    report["seconds"] = time.perf_counter() - start
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
    # ru_maxrss of reaped children = the kernel's peak resident set (KiB on Linux)
    report["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if report["ok"]:
        out.write_text(dumps(normalize(nb)), encoding="utf-8")
    return report


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
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        try:
            report = json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            report = {
                "ok": False,
                "cell": None,
                "seconds": float("nan"),
                "peak_mb": float("nan"),
                "error": (done.stderr.strip().splitlines() or ["worker crashed"])[-1][
                    :300
                ],
            }
        if out_dir is not None and out.exists():
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / path.name).write_text(
                out.read_text(encoding="utf-8"), encoding="utf-8"
            )
        if report["ok"] and write:
            tmp_target = path.with_suffix(".ipynb.tmp")
            tmp_target.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
            os.replace(
                tmp_target, path
            )  # atomic: the old file or the new one, never half
    return report


def prose_lines(report: dict, indent: str) -> list[str]:
    """One line per number the prose quotes that the run did not show."""
    return [
        f"{indent}prose, cell {q['cell']}: {q['number']}  ...{q['context']}..."
        for q in report.get("prose", [])
    ]


def describe(path: Path, report: dict) -> str:
    line = (
        f"{path.stem:<45} {report['seconds']:7.1f} s  peak {report['peak_mb']:6.0f} MB"
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
    where = (
        f"In [{report['count']}] (cell {report['cell']})"
        if report.get("cell") is not None
        else "before any cell finished"
    )
    if report.get("prose"):
        where = "the prose check"
    text = line + f"  FAILED at {where}: {report['error']}"
    if report.get("line"):
        text += f"\n{'':<47}line: {report['line']}"
    return "\n".join([text] + prose_lines(report, " " * 4))


def parallel_jobs(requested: int | None, runs: int) -> int:
    """How many kernels to run at once: the request, or 2, capped by cores and free memory.

    A lesson's kernel peaks below 2 GB at quick scale, so each job is given 2.5 GB.
    """
    want = requested if requested is not None else 2
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            available_kb = next(
                int(line.split()[1])
                for line in meminfo
                if line.startswith("MemAvailable:")
            )
        by_memory = max(1, int(available_kb / (2.5 * 1024 * 1024)))
    except (OSError, StopIteration, ValueError):
        by_memory = 1
    return max(1, min(want, os.cpu_count() or 1, by_memory, runs))


def seed_table(results: list[dict]) -> list[str]:
    """Lines of the seed report: one row per lesson, then one entry per failure."""
    lines = [
        f"{'lesson':<45} {'seeds':>5} {'passed':>6} {'failed':>6} "
        f"{'median s':>8} {'max s':>6} {'peak MB':>7}"
    ]
    for lesson in dict.fromkeys(r["lesson"] for r in results):
        rows = [r for r in results if r["lesson"] == lesson]
        seconds = [r["seconds"] for r in rows if r["seconds"] == r["seconds"]]
        peaks = [r["peak_mb"] for r in rows if r["peak_mb"] == r["peak_mb"]]
        passed = sum(r["ok"] for r in rows)
        lines.append(
            f"{lesson:<45} {len(rows):>5} {passed:>6} {len(rows) - passed:>6} "
            f"{statistics.median(seconds) if seconds else float('nan'):>8.1f} "
            f"{max(seconds, default=float('nan')):>6.1f} "
            f"{max(peaks, default=float('nan')):>7.0f}"
        )
    failures = [r for r in results if not r["ok"]]
    if failures:
        lines.append("")
        lines.append(f"{len(failures)} failure(s):")
        for r in failures:
            where = (
                "the prose check"
                if r.get("prose")
                else f"In [{r['count']}] (cell {r['cell']})"
                if r.get("cell") is not None
                else "before any cell finished"
            )
            lines.append(f"- {r['lesson']} seed {r['seed']}: {where}: {r['error']}")
            if r.get("line"):
                lines.append(f"    line: {r['line']}")
            lines.extend(prose_lines(r, " " * 4))
            lines.append(
                f"    reproduce: COURSE_SEED={r['seed']} make rerun NB={r['lesson'][:2]}"
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", help="lesson numbers (00) or paths; default all"
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
        print(json.dumps(worker(args.worker, args.out, args.timeout)))
        return 0
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be a positive integer, got {args.jobs}")
    if args.report and not args.seeds:
        parser.error("--report goes with --seeds")

    scale = os.environ.get("COURSE_SCALE", "quick").strip().lower() or "quick"
    timeout = args.timeout or (600 if scale == "quick" else None)
    paths = find_notebooks(args.notebooks)
    runs = [(p, None) for p in paths]
    if args.seeds:
        seeds = parse_seeds(args.seeds)
        if args.seeds.strip().lower() == "commit":
            seed, source = commit_seed()
            print(
                f"rerun: seed {seed}, derived from {source}; "
                f"reproduce with `make seeds SEEDS={seed}`"
            )
        runs = [(p, s) for p in paths for s in seeds]
    write = not (args.no_write or args.seeds or args.out_dir)
    jobs = parallel_jobs(args.jobs, len(runs)) if args.seeds else 1
    target = (
        "writing outputs back"
        if write
        else f"saving executed copies in {args.out_dir}"
        if args.out_dir and not args.seeds
        else "writing nothing"
    )
    print(
        f"rerun: {len(runs)} run(s), scale {scale}, {target}"
        + (f", {jobs} kernels at once" if jobs > 1 else ""),
        flush=True,
    )

    def execute(run: tuple[Path, int | None]) -> dict:
        path, seed = run
        env = dict(os.environ)
        if seed is not None:
            env["COURSE_SEED"] = str(seed)
        report = run_one(
            path, timeout, write, env, None if args.seeds else args.out_dir
        )
        if args.seeds and report.get("prose"):
            # A sentence that is true at seed 0 only fails here (CONTRIBUTING.md).
            report["ok"] = False
            report["error"] = (
                f"the prose quotes {len(report['prose'])} number(s) this run does not show"
            )
        label = path if seed is None else path.with_name(f"{path.stem} [seed {seed}]")
        print(describe(label, report), flush=True)
        return {"lesson": path.stem, "seed": seed, **report}

    start = time.perf_counter()
    if jobs > 1:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(execute, runs))
    else:
        results = [execute(run) for run in runs]
    elapsed = time.perf_counter() - start

    failures = [r for r in results if not r["ok"]]
    ok = len(results) - len(failures)
    summary = f"rerun: {ok} of {len(results)} ran clean in {elapsed:.0f} s"
    if failures and not args.seeds:
        summary += "; failed (left untouched on disk): " + ", ".join(
            r["lesson"] for r in failures
        )
    if args.seeds:
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
                    "runs": [
                        {
                            k: (round(v, 2) if isinstance(v, float) else v)
                            for k, v in r.items()
                        }
                        for r in results
                    ],
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"rerun: report written to {args.report}")
    if write and scale != "quick" and ok:
        print(
            "note: stored outputs now come from scale",
            scale,
            "- make test compares against "
            "them; run `make rerun` at quick scale before committing.",
        )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
