"""Normalise lesson notebooks so that the stored JSON diffs cleanly.

One command (``python tools/nbformat_course.py notebooks/*.ipynb``) rewrites the
files; ``--check`` only reports. ``make rerun`` normalises what it writes and
``make test`` checks every stored notebook (tests/test_notebook_hygiene.py).

The rules:
- notebook metadata keeps only ``kernelspec`` (python3), ``language_info.name`` and
  ``course`` (the lesson's own settings, e.g. its prose-check allow-list);
- cell metadata keeps only ``tags``; papermill's ``injected-parameters`` cells and
  ``metadata.papermill`` are dropped;
- nbval's comment markers (``# NBVAL_CHECK_OUTPUT`` ...) become cell tags
  (``nbval-check-output`` ...), which nbval reads the same way and a reader never sees;
- code cells are formatted by ruff (``[tool.ruff]`` in pyproject.toml: the line length
  that fits the web edition's code column);
- consecutive stream outputs (stdout chunks) are merged into one;
- figure outputs keep their image and drop the ``<Figure size ...>`` text fallback;
- cells with no source are dropped; cell ids are their position (``c00``, ``c01``...);
- JSON with sorted keys and one-space indent, as nbformat writes it.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

KERNELSPEC = {
    "display_name": "Python 3 (ipykernel)",
    "language": "python",
    "name": "python3",
}
ROOT = Path(__file__).resolve().parent.parent

#: nbval's comment markers and the cell tags that mean the same (nbval 0.11 plugin source).
MARKER_TAGS = {
    "NBVAL_CHECK_OUTPUT": "nbval-check-output",
    "NBVAL_IGNORE_OUTPUT": "nbval-ignore-output",
    "NBVAL_SKIP": "nbval-skip",
    "NBVAL_RAISES_EXCEPTION": "nbval-raises-exception",
}
# A marker line, with any words after the marker (nbval itself ignores a marker with words
# after it, so a tag is what such a line meant).
_MARKER_LINE = re.compile(
    r"^[ \t]*#[ \t]*(" + "|".join(MARKER_TAGS) + r")\b[^\n]*\n?", re.M
)


def markers_to_tags(source: str, tags: set[str]) -> str:
    """Remove nbval comment-marker lines from ``source``, adding their tags to ``tags``."""
    for marker in _MARKER_LINE.findall(source):
        tags.add(MARKER_TAGS[marker])
    return _MARKER_LINE.sub("", source)


def ruff_format_cells(sources: list[str]) -> list[str]:
    """Format code cell sources with ruff, using the project's ``[tool.ruff]`` settings.

    All cells go through one ruff call (a throw-away notebook), so formatting the course
    takes a second. A cell ruff cannot parse is returned unchanged.
    """
    if not sources:
        return sources
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"f{i}",
            "metadata": {},
            "outputs": [],
            "source": src,
        }
        for i, src in enumerate(sources)
    ]
    doc = {
        "cells": cells,
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cells.ipynb"
        path.write_text(json.dumps(doc), encoding="utf-8")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "format",
                "--config",
                str(ROOT / "pyproject.toml"),
                str(path),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"ruff format failed: {(done.stderr or done.stdout).strip()[:800]}"
            )
        formatted = json.loads(path.read_text(encoding="utf-8"))["cells"]
    result = []
    for cell in formatted:
        src = cell["source"]
        src = "".join(src) if isinstance(src, list) else src
        result.append(src.rstrip("\n"))
    return result


def _coalesce_streams(outputs: list) -> list:
    """Merge consecutive stdout (or stderr) chunks: how a print is split depends on timing."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.output_type == "stream"
            and previous is not None
            and previous.output_type == "stream"
            and previous.name == output.name
        ):
            previous.text = "".join(previous.text) + "".join(output.text)
        else:
            merged.append(output)
    return merged


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a normalised copy of ``nb`` (an nbformat v4 notebook)."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    if nb.metadata.get("course"):
        metadata["course"] = nb.metadata["course"]
    nb.metadata = nbformat.from_dict(metadata)
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if "injected-parameters" in tags or not "".join(cell.source).strip():
            continue
        if cell.cell_type == "code":
            cell.source = markers_to_tags("".join(cell.source), tags)
        tags = sorted(tags)
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.get("outputs", []))
            for output in cell.outputs:
                output.pop("transient", None)
                data = output.get("data", {})
                if (
                    "image/png" in data
                ):  # a figure: keep the picture, not its "<Figure ...>" text
                    data.pop("text/plain", None)
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
        cells.append(cell)
    code = [cell for cell in cells if cell.cell_type == "code"]
    for cell, source in zip(code, ruff_format_cells([cell.source for cell in code])):
        cell.source = source
    for index, cell in enumerate(cells):
        cell.id = f"c{index:02d}"
    nb.cells = cells
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """The canonical text of a normalised notebook."""
    text = nbformat.writes(nb, version=4)
    return text if text.endswith("\n") else text + "\n"


def canonical_text(path: Path) -> str:
    """What ``path`` should contain after normalisation."""
    return dumps(normalize(nbformat.read(path, as_version=4)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--check", action="store_true", help="report, do not rewrite")
    args = parser.parse_args(argv)
    changed = []
    for path in args.paths:
        text = canonical_text(path)
        if text != path.read_text(encoding="utf-8"):
            changed.append(path)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    verb = "would change" if args.check else "normalised"
    for path in changed:
        print(f"{verb}: {path}")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
