"""Measure every lesson at quick and at full scale: wall time and peak memory.

    python tools/bench.py                  # every lesson, quick then full scale
    python tools/bench.py 02 04            # only these lessons
    python tools/bench.py --scales full    # skip the quick runs
    python tools/bench.py --report build/bench.json

Each run executes one notebook top to bottom in a fresh kernel (``tools/rerun.py``'s
worker), writing nothing back to ``notebooks/``; the executed full-scale copies are
kept in ``build/bench/`` so their outputs can be read. The table lists seconds and
the kernel's peak resident memory per lesson and scale, against the course's bars
(quick: under a minute; full: under 5 minutes; both under 2 GB), the totals, and
lesson 02's speed-up of FFT training over direct ``tf.nn.conv2d`` as that lesson
measured it in the same run. Benchmarks measure; they assert nothing about time.
The exit status is 1 only if a lesson failed to run.

Each successful full-scale run also rewrites that lesson's entry in the full-scale ledger,
``notebooks/full_scale_results.json``: the figures the notebook recorded with
``cu.ledger.record`` (``COURSE_LEDGER_OUT`` tells it where), and the machine, date, commit,
wall time and peak memory of the run. The lessons quote full-scale figures only from there
(``cu.ledger.show``). The end of the output says which figures changed; commit the file.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import rerun  # noqa: E402

ROOT = rerun.ROOT
BARS = {"quick": (60.0, 2048.0), "full": (300.0, 2048.0)}  # seconds, MB per lesson
COURSE_BAR_FULL = 12 * 60.0  # the whole course at full scale
RATIO_LINE = re.compile(
    r"speed-up of FFT over direct conv2d at (\d+)x(\d+): ([0-9.,]+)x"
    r"(?: \(direct ([0-9.e+-]+) s/step, FFT ([0-9.e+-]+) s/step\))?"
)


def machine() -> dict:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(
                line.split(":", 1)[1].strip()
                for line in info
                if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    import psutil

    memory_gb = round(psutil.virtual_memory().total / 2**30, 1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory_gb,
        "python": platform.python_version(),
        "system": platform.system(),
        "load_at_start": round(load, 2) if load is not None else None,
    }


LEDGER = ROOT / "notebooks" / "full_scale_results.json"


def git_commit(root: Path = ROOT) -> str | None:
    """The checked-out commit (short), with '+changes' when tracked files differ from it."""
    try:
        head = rerun.git_output(root, "rev-parse", "--short=12", "HEAD")
        dirty = rerun.git_output(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+changes" if dirty else "")


def update_ledger(
    ledger_path: Path, lesson: str, figures: dict, run: dict
) -> list[str]:
    """Replace ``lesson``'s entry in the ledger file; return lines saying what changed.

    The entry is ``{"figures": {...}, "run": {...}}``: the figures a full-scale run
    recorded with ``cu.ledger.record`` and where, when and at what cost it ran.
    """
    ledger = (
        json.loads(ledger_path.read_text(encoding="utf-8"))
        if ledger_path.exists()
        else {}
    )
    lessons = ledger.setdefault("lessons", {})
    ledger.setdefault(
        "about",
        "Full-scale figures the lessons quote, written by `make bench` (tools/bench.py) "
        "from full-scale runs; each lesson prints them with cu.ledger.show().",
    )
    old = lessons.get(lesson, {}).get("figures", {})
    changes = []
    for name in sorted(set(old) | set(figures)):
        if old.get(name) != figures.get(name):
            changes.append(
                f"ledger {lesson}: {name}: {old.get(name, '(none)')} -> "
                f"{figures.get(name, '(removed)')}"
            )
    lessons[lesson] = {"figures": dict(sorted(figures.items())), "run": run}
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    ledger_path.write_text(
        json.dumps(ledger, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return changes


def fft_speedup(notebook: Path) -> dict | None:
    """Lesson 02's printed line 'speed-up of FFT over direct conv2d at NxN: Rx (...)', parsed."""
    if not notebook.exists():
        return None
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            match = RATIO_LINE.search(text if isinstance(text, str) else "".join(text))
            if match:
                size, _, ratio, direct, fft = match.groups()
                return {
                    "size": int(size),
                    "ratio": float(ratio.replace(",", "")),
                    "direct_s_per_step": float(direct) if direct else None,
                    "fft_s_per_step": float(fft) if fft else None,
                    "line": match.group(0),
                }
    return None


def format_table(results: list[dict], scales: list[str]) -> list[str]:
    """One row per lesson: seconds and peak MB at each scale, flagged where over a bar."""
    head = f"{'lesson':<45}" + "".join(f" {s + ' s':>9} {s + ' MB':>9}" for s in scales)
    lines = [head]
    for lesson in dict.fromkeys(r["lesson"] for r in results):
        row = f"{lesson:<45}"
        for scale in scales:
            run = next(
                (r for r in results if r["lesson"] == lesson and r["scale"] == scale),
                None,
            )
            if run is None:
                row += f" {'-':>9} {'-':>9}"
                continue
            seconds_bar, memory_bar = BARS[scale]
            seconds, peak = run.get("seconds") or 0.0, run.get("peak_mb")
            over_s = "!" if seconds > seconds_bar else " "
            over_mb = "!" if peak is not None and peak > memory_bar else " "
            text_s = f"{seconds:.0f}{over_s}" if run["ok"] else "FAILED"
            row += f" {text_s:>9} {rerun.number(peak, '8.0f')}{over_mb}"
        lines.append(row)
    totals = f"{'all lessons':<45}"
    for scale in scales:
        runs = [r for r in results if r["scale"] == scale]
        total = sum(r.get("seconds") or 0.0 for r in runs)
        over = "!" if scale == "full" and total > COURSE_BAR_FULL else " "
        totals += f" {total:>8.0f}{over} {max((r.get('peak_mb') or 0 for r in runs), default=0):>8.0f} "
    lines.append(totals)
    lines.append(
        "'!' marks a figure over its bar: quick under 60 s, full under 300 s per lesson, "
        "each under 2048 MB; the whole course at full scale under 720 s."
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = rerun.OneLineParser(prog="bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", help="lesson numbers (00) or paths; default all"
    )
    parser.add_argument(
        "--scales", default="quick,full", help="comma-separated: quick, full"
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=ROOT / "build" / "bench.json",
        help="where to write the JSON report (default build/bench.json)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=ROOT / "build" / "bench",
        help="folder for the executed copies (default build/bench/)",
    )
    parser.add_argument(
        "--ledger",
        type=Path,
        default=LEDGER,
        help="the full-scale ledger to update (default notebooks/full_scale_results.json)",
    )
    parser.add_argument(
        "--no-ledger",
        action="store_true",
        help="measure only: leave the ledger as it is",
    )
    args = parser.parse_args(argv)
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in BARS]
    if unknown or not scales:
        parser.error(f"--scales takes quick and/or full, got {args.scales!r}")

    # Checked before the first kernel starts: one line on stderr, exit status 2.
    for name, path in (("--report", args.report), ("--ledger", args.ledger)):
        if path.is_dir():
            parser.error(f"{name} {path} is a folder; give a file name")
    if args.keep.exists() and not args.keep.is_dir():
        parser.error(f"--keep {args.keep} is a file, not a folder")
    try:
        # bench sets COURSE_SCALE and COURSE_SEED itself, but a bad value set by hand
        # means the user expects something else: say so rather than ignore it.
        rerun.check_environment()
        paths = rerun.find_notebooks(args.notebooks)
    except ValueError as error:
        parser.error(str(error))
    info = machine()
    print(
        f"bench: {len(paths)} lesson(s) at {', '.join(scales)} scale on {info['cpu']}, "
        f"{info['cores']} cores, {info['memory_gb']} GB (load {info['load_at_start']})",
        flush=True,
    )
    results = []
    start = time.perf_counter()
    ledger_changes: list[str] = []
    for scale in scales:
        for path in paths:
            env = {**os.environ, "COURSE_SCALE": scale, "COURSE_SEED": "0"}
            figures_file = args.keep / "ledger" / f"{path.name[:2]}.json"
            if scale == "full" and not args.no_ledger:
                # cu.ledger.record() writes the run's full-scale figures here
                figures_file.unlink(missing_ok=True)
                env["COURSE_LEDGER_OUT"] = str(figures_file)
            out_dir = args.keep / scale
            try:
                report = rerun.run_one(path, None, False, env, out_dir)
            except KeyboardInterrupt:
                rerun._INTERRUPTED.set()
                rerun.stop_workers()
                print(
                    "bench: interrupted (Ctrl-C); the ledger keeps the runs that finished",
                    file=sys.stderr,
                )
                return 130
            results.append({"lesson": path.stem, "scale": scale, **report})
            print(f"[{scale:>5}] " + rerun.describe(path, report), flush=True)
            if scale == "full" and not args.no_ledger and report["ok"]:
                figures = (
                    json.loads(figures_file.read_text(encoding="utf-8")).get(
                        "figures", {}
                    )
                    if figures_file.exists()
                    else {}
                )
                run = {
                    "machine": {k: v for k, v in info.items() if k != "load_at_start"},
                    "load_at_start": info["load_at_start"],
                    "date": time.strftime("%Y-%m-%d", time.gmtime()),
                    "commit": git_commit(),
                    "wall_s": round(report["seconds"], 1),
                    "peak_mb": (
                        round(report["peak_mb"]) if report.get("peak_mb") else None
                    ),
                }
                ledger_changes += update_ledger(
                    args.ledger, path.name[:2], figures, run
                )
    elapsed = time.perf_counter() - start

    print()
    table = format_table(results, scales)
    print("\n".join(table))
    speedup = None
    lesson02 = [p for p in paths if p.name.startswith("02_")]
    if lesson02:
        for scale in reversed(scales):  # prefer the full-scale figure
            speedup = fft_speedup(args.keep / scale / lesson02[0].name)
            if speedup:
                speedup["scale"] = scale
                print(f"lesson 02 ({scale} scale): {speedup['line']}")
                break
        else:
            print(
                "lesson 02: no 'speed-up of FFT over direct conv2d' line found in its outputs"
            )
    print(f"bench: {elapsed:.0f} s in all")
    if "full" in scales and not args.no_ledger:
        if ledger_changes:
            print(f"bench: the ledger's figures changed ({args.ledger.name}):")
            print("\n".join("  " + line for line in ledger_changes))
        else:
            print(f"bench: the ledger's figures are unchanged ({args.ledger.name})")

    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(
        json.dumps(
            {
                "machine": info,
                "scales": scales,
                "seconds": round(elapsed, 1),
                "table": table,
                "bars": {"per_lesson": BARS, "course_full_s": COURSE_BAR_FULL},
                "lesson02_fft_speedup": speedup,
                "runs": [rerun.rounded(r) for r in results],
            },
            indent=1,
            allow_nan=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"bench: report written to {args.report}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
