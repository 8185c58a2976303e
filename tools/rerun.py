"""Re-execute lesson notebooks top to bottom and write the outputs back.

    python tools/rerun.py              # every notebooks/NN_*.ipynb
    python tools/rerun.py 00 02        # the lessons named by number (or by path)
    python tools/rerun.py --seeds 0-9 01   # run with COURSE_SEED 0..9, write nothing
    COURSE_SCALE=full python tools/rerun.py --out-dir /tmp/full 02   # keep the stored lesson

Each notebook runs in a fresh kernel started in ``notebooks/`` and inheriting this
process's environment, so ``COURSE_SCALE`` and ``COURSE_SEED`` reach ``cu.setup()``.
A notebook is written back (normalised) only when every cell ran; one that fails
is left on disk exactly as it was, and the failing cell and its error are printed.
For each notebook the wall time and the kernel's peak resident memory are printed,
then a one-line summary; the exit status is 1 if any notebook failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
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
            raise SystemExit(f"rerun: no single notebook matches {name!r} in {NOTEBOOKS}")
        chosen.append(matches[0])
    return chosen


def parse_seeds(text: str) -> list[int]:
    """'0-9' -> [0, ..., 9]; '1,4,7' -> [1, 4, 7]."""
    seeds: list[int] = []
    for part in text.split(","):
        low, _, high = part.partition("-")
        seeds.extend(range(int(low), int(high or low) + 1))
    return seeds


def worker(path: Path, out: Path, timeout: int | None) -> dict:
    """Execute one notebook in this process's child kernel; report as a dict."""
    import resource

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    from nbformat_course import dumps, normalize

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # start from a clean slate: no stale outputs survive a failure
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    report: dict = {"ok": True}
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as error:
        report = {"ok": False, "error": str(error).strip().splitlines()[-1][:300]}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and any(o.output_type == "error" for o in cell.outputs):
                err = next(o for o in cell.outputs if o.output_type == "error")
                report.update(cell=index, count=cell.execution_count,
                              error=f"{err.ename}: {err.evalue}"[:300])
                break
        else:
            report.setdefault("cell", None)
    except Exception as error:  # the kernel died, or nbclient could not start it
        report = {"ok": False, "cell": None, "error": f"{type(error).__name__}: {error}"[:300]}
    report["seconds"] = time.perf_counter() - start
    # ru_maxrss of reaped children = the kernel's peak resident set (KiB on Linux)
    report["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if report["ok"]:
        out.write_text(dumps(normalize(nb)), encoding="utf-8")
    return report


def run_one(path: Path, timeout: int | None, write: bool, env: dict,
            out_dir: Path | None = None) -> dict:
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
            report = {"ok": False, "cell": None, "seconds": float("nan"), "peak_mb": float("nan"),
                      "error": (done.stderr.strip().splitlines() or ["worker crashed"])[-1][:300]}
        if out_dir is not None and out.exists():
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / path.name).write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
        if report["ok"] and write:
            tmp_target = path.with_suffix(".ipynb.tmp")
            tmp_target.write_text(out.read_text(encoding="utf-8"), encoding="utf-8")
            os.replace(tmp_target, path)  # atomic: the old file or the new one, never half
    return report


def describe(path: Path, report: dict) -> str:
    line = f"{path.stem:<45} {report['seconds']:7.1f} s  peak {report['peak_mb']:6.0f} MB"
    if report["ok"]:
        return line + "  ok"
    where = (f"In [{report['count']}] (cell {report['cell']})" if report.get("cell") is not None
             else "before any cell finished")
    return line + f"  FAILED at {where}: {report['error']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="lesson numbers (00) or paths; default all")
    parser.add_argument("--seeds", help="run with each COURSE_SEED in e.g. 0-9; writes nothing")
    parser.add_argument("--no-write", action="store_true", help="execute only, keep files as they are")
    parser.add_argument("--out-dir", type=Path, help="save executed notebooks here instead of "
                        "in place (e.g. full-scale outputs that should not be committed)")
    parser.add_argument("--timeout", type=int, default=None, help="seconds per cell (default: "
                        "600 at quick scale, none at full scale)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.out, args.timeout)))
        return 0

    scale = os.environ.get("COURSE_SCALE", "quick").strip().lower() or "quick"
    timeout = args.timeout or (600 if scale == "quick" else None)
    paths = find_notebooks(args.notebooks)
    runs = [(p, None) for p in paths]
    if args.seeds:
        runs = [(p, s) for p in paths for s in parse_seeds(args.seeds)]
    write = not (args.no_write or args.seeds or args.out_dir)
    target = ("writing outputs back" if write else
              f"saving executed copies in {args.out_dir}" if args.out_dir and not args.seeds else
              "writing nothing")
    print(f"rerun: {len(runs)} run(s), scale {scale}, {target}")
    failures = []
    total = 0.0
    for path, seed in runs:
        env = dict(os.environ)
        if seed is not None:
            env["COURSE_SEED"] = str(seed)
        report = run_one(path, timeout, write, env, None if args.seeds else args.out_dir)
        total += report["seconds"] if report["seconds"] == report["seconds"] else 0.0
        label = path if seed is None else path.with_name(f"{path.stem} [seed {seed}]")
        print(describe(label, report), flush=True)
        if not report["ok"]:
            failures.append(label.stem)
    ok = len(runs) - len(failures)
    summary = f"rerun: {ok} of {len(runs)} ran clean in {total:.0f} s"
    if failures:
        summary += "; failed (left untouched on disk): " + ", ".join(failures)
    print(summary)
    if write and scale != "quick" and ok:
        print("note: stored outputs now come from scale", scale, "- make test compares against "
              "them; run `make rerun` at quick scale before committing.")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
