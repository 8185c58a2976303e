"""The full-scale ledger: figures from the original questions' setups, quoted at any scale.

The stored notebooks run at quick scale, yet each lesson has something to say about the
question's own setup (its image size, its 1,562 steps). Those figures come from full-scale
runs that ``make bench`` (``tools/bench.py``) makes, and live in one committed file,
``notebooks/full_scale_results.json``, with the machine, date, commit, wall time and peak
memory of the run that measured them. A lesson:

- records a figure where its full-scale path measures it::

      cu.ledger.record("02", kernel_error_from_g=err)   # saved only under make bench

- and quotes it through generated prose, so the sentence and the number cannot drift::

      cu.ledger.show("02", "At full scale the error from g ends at {kernel_error_from_g:.2f}.")

``record`` writes only when ``COURSE_LEDGER_OUT`` names a file (``tools/bench.py`` sets it
for full-scale runs); anywhere else it does nothing, so a learner's full-scale run in
JupyterLab never edits the ledger. Introduced for every lesson at once (issue 18).
"""

from __future__ import annotations

import json
import math
import os
import string
from pathlib import Path
from typing import Any

LEDGER_PATH = (
    Path(__file__).resolve().parent.parent / "notebooks" / "full_scale_results.json"
)
ENV_OUT = "COURSE_LEDGER_OUT"

Figure = int | float | str


def _check_lesson(lesson: str) -> str:
    if not isinstance(lesson, str) or len(lesson) != 2 or not lesson.isdigit():
        raise ValueError(
            f"lesson must be a two-digit string such as '02', got {lesson!r}"
        )
    return lesson


def _check_figure(name: str, value: Any) -> Figure:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        # np.float64 is a float; np.float32 and np.int64 are not: convert them explicitly.
        try:
            import numpy as np
        except ImportError:  # pragma: no cover - numpy is a dependency
            np = None
        if np is not None and isinstance(value, np.generic) and value.ndim == 0:
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise TypeError(
                f"figure {name!r} must be an int, float or str, got {type(value).__name__}"
            )
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"figure {name!r} must be finite, got {value}")
    return value


def record(lesson: str, **figures: Figure) -> dict[str, Figure]:
    """Save full-scale figures for the ledger (only under ``make bench``).

    Args:
        lesson: the lesson's two-digit number, e.g. ``"02"``.
        **figures: name=value pairs; values are ints, floats (finite) or strings
            (NumPy scalars are converted).

    Returns:
        The figures as plain Python values (also when nothing is written).

    Raises:
        ValueError: a bad lesson number, a non-finite value, or no figures.
        TypeError: a value that is not a number or a string.

    Example:
        >>> record("02", error=0.5)        # outside make bench: nothing is written
        {'error': 0.5}
    """
    _check_lesson(lesson)
    if not figures:
        raise ValueError(
            "record() needs at least one figure, e.g. record('02', error=0.5)"
        )
    clean = {name: _check_figure(name, value) for name, value in figures.items()}
    out = os.environ.get(ENV_OUT, "").strip()
    if out:
        path = Path(out)
        saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        if saved.get("lesson", lesson) != lesson:
            raise ValueError(
                f"{path} holds lesson {saved['lesson']}'s figures, not {lesson}'s"
            )
        saved["lesson"] = lesson
        saved.setdefault("figures", {}).update(clean)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved, indent=1, sort_keys=True), encoding="utf-8")
    return clean


def load(path: Path | None = None) -> dict[str, Any]:
    """The whole ledger as a dict (``{"lessons": {"02": {"figures": ..., "run": ...}}}``).

    A missing file is an empty ledger; a file that is not a JSON object is an error naming it.
    """
    path = LEDGER_PATH if path is None else Path(path)
    if not path.exists():
        return {"lessons": {}}
    try:
        ledger = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path} is not valid JSON ({error}); restore it with git"
        ) from None
    if not isinstance(ledger, dict) or not isinstance(ledger.get("lessons", {}), dict):
        raise ValueError(f"{path} is not a ledger (expected an object with 'lessons')")
    ledger.setdefault("lessons", {})
    return ledger


def results(lesson: str, path: Path | None = None) -> dict[str, Any]:
    """One lesson's entry: ``{"figures": {name: value}, "run": {...}}`` (empty if none yet)."""
    entry = load(path)["lessons"].get(_check_lesson(lesson), {})
    return {
        "figures": dict(entry.get("figures", {})),
        "run": dict(entry.get("run", {})),
    }


def _fields(template: str) -> list[str]:
    names = []
    for _, field, _, _ in string.Formatter().parse(template):
        if field:
            names.append(field.split(".")[0].split("[")[0])
    return names


def _run_line(lesson: str, run: dict[str, Any]) -> str:
    machine = run.get("machine", {})
    parts = []
    if machine.get("cpu"):
        parts.append(f"{machine['cpu']} ({machine.get('cores', '?')} cores)")
    if run.get("date"):
        parts.append(run["date"])
    if run.get("commit"):
        parts.append(f"commit {run['commit']}")
    where = ", ".join(parts) or "an unrecorded machine"
    cost = []
    if run.get("wall_s") is not None:
        cost.append(f"{run['wall_s']:.0f} s")
    if run.get("peak_mb") is not None:
        cost.append(f"peak {run['peak_mb']:.0f} MB")
    return (
        f"*Full scale, measured by `make bench NB={lesson}` on {where}"
        + (f": the whole notebook in {', '.join(cost)}" if cost else "")
        + ".*"
    )


def text(lesson: str, template: str, path: Path | None = None) -> str:
    """The Markdown that :func:`show` displays: the template filled from the ledger.

    ``{wall_s}``, ``{peak_mb}`` and ``{minutes}`` name the full-scale run's own cost.
    When a name in the template is not in the ledger, the text says which figures are
    missing and how to measure them instead of guessing.
    """
    if not isinstance(template, str) or not template.strip():
        raise ValueError("template must be a non-empty string of Markdown")
    entry = results(lesson, path)
    values = dict(entry["figures"])
    run = entry["run"]
    for key in ("wall_s", "peak_mb"):
        if run.get(key) is not None:
            values[key] = run[key]
    if run.get("wall_s") is not None:
        values["minutes"] = run["wall_s"] / 60
    missing = [name for name in _fields(template) if name not in values]
    if missing:
        return (
            f"*Full-scale figures not measured yet ({', '.join(sorted(set(missing)))}): "
            f"run `make bench NB={lesson}` to measure them.*"
        )
    return template.format(**values) + "\n\n" + _run_line(lesson, run)


def show(lesson: str, template: str, path: Path | None = None) -> None:
    """Display :func:`text` as Markdown in the notebook (plain text elsewhere)."""
    body = text(lesson, template, path)
    try:
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython comes with the notebook stack
        print(body)
        return
    display(Markdown(body))
