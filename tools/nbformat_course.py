"""Normalise lesson notebooks so that the stored JSON diffs cleanly.

One command (``python tools/nbformat_course.py notebooks/*.ipynb``) rewrites the
files; ``--check`` only reports. ``make rerun`` normalises what it writes and
``make test`` checks every stored notebook (tests/test_notebook_hygiene.py).

The rules:
- notebook metadata keeps only ``kernelspec`` (python3) and ``language_info.name``;
- cell metadata keeps only ``tags``; papermill's ``injected-parameters`` cells and
  ``metadata.papermill`` are dropped;
- consecutive stream outputs (stdout chunks) are merged into one;
- figure outputs keep their image and drop the ``<Figure size ...>`` text fallback;
- cells with no source are dropped; cell ids are their position (``c00``, ``c01``...);
- JSON with sorted keys and one-space indent, as nbformat writes it.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _coalesce_streams(outputs: list) -> list:
    """Merge consecutive stdout (or stderr) chunks: how a print is split depends on timing."""
    merged: list = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.output_type == "stream" and previous is not None
                and previous.output_type == "stream" and previous.name == output.name):
            previous.text = "".join(previous.text) + "".join(output.text)
        else:
            merged.append(output)
    return merged


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a normalised copy of ``nb`` (an nbformat v4 notebook)."""
    nb = copy.deepcopy(nb)
    nb.nbformat, nb.nbformat_minor = 4, 5
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    cells = []
    for cell in nb.cells:
        tags = sorted(set(cell.get("metadata", {}).get("tags", [])))
        if "injected-parameters" in tags or not "".join(cell.source).strip():
            continue
        cell.metadata = nbformat.from_dict({"tags": tags} if tags else {})
        if cell.cell_type == "code":
            cell.outputs = _coalesce_streams(cell.get("outputs", []))
            for output in cell.outputs:
                output.pop("transient", None)
                data = output.get("data", {})
                if "image/png" in data:  # a figure: keep the picture, not its "<Figure ...>" text
                    data.pop("text/plain", None)
        if "attachments" in cell and not cell.attachments:
            del cell["attachments"]
        cells.append(cell)
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
