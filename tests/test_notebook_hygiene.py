"""Every stored lesson notebook is normalised, executed in order and free of noise."""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from nbformat_course import canonical_text  # noqa: E402
from prose_check import MAX_ALLOWED, allow_list, describe, lesson_of, unbacked  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
IDS = [p.stem for p in NOTEBOOKS]


def code_cells(path):
    nb = nbformat.read(path, as_version=4)
    return nb, [c for c in nb.cells if c.cell_type == "code"]


def test_there_are_lessons():
    assert NOTEBOOKS, "no notebooks/NN_*.ipynb found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_json_is_normalised(path):
    assert path.read_text(encoding="utf-8") == canonical_text(path), (
        f"{path.name} is not normalised: run `make format` (or `make rerun NB={path.name[:2]}`)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_stored_executed_top_to_bottom(path):
    _, cells = code_cells(path)
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_stores_no_errors_no_stderr_and_no_memory_addresses(path):
    _, cells = code_cells(path)
    for index, cell in enumerate(cells, start=1):
        for output in cell.outputs:
            assert output.output_type != "error", f"In [{index}] stores an error"
            assert output.get("name") != "stderr", (
                f"In [{index}] stores stderr: {output.text[:200]!r}"
            )
        text = json.dumps(
            [o.get("data", {}).get("text/plain", "") for o in cell.outputs]
        )
        assert not re.search(r"<[^>]* at 0x[0-9a-f]+>", text), (
            f"In [{index}] stores an object repr"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_follows_the_lesson_anatomy(path):
    nb, cells = code_cells(path)
    assert nb.metadata.kernelspec.name == "python3"
    first = cells[0].source
    assert "import course_utils as cu" in first and re.search(
        r"^cfg = cu\.setup\(", first, re.M
    )
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].cell_type == "code", (
        "one code cell tagged 'parameters'"
    )
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    for heading in ("objectives", "predict", "exercises", "takeaways"):
        assert heading in text, f"{path.name} has no '{heading}' section"
    assert "cu.exercises.load(" in "\n".join(c.source for c in cells)
    assert sum("nbval-check-output" in c.metadata.get("tags", []) for c in cells) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_nbval_markers_are_cell_tags_not_comments_a_reader_sees(path):
    # nbval reads the tags `nbval-check-output` etc. exactly as it reads `# NBVAL_...`
    # comments; `make format` turns the comments into tags.
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        assert "NBVAL" not in cell.source, (
            f"cell {index} shows an nbval marker: run `make format`"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_stays_small(path):
    assert path.stat().st_size < 2_000_000, (
        f"{path.name} is {path.stat().st_size / 1e6:.1f} MB"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_progress_bars_show_at_full_scale_only(path):
    # CONTRIBUTING: a long loop gets `tqdm(..., disable=cfg.quick)`, so stored quick-scale
    # outputs (what nbval compares and the web edition shows) never contain a bar.
    _, cells = code_cells(path)
    for index, cell in enumerate(cells, start=1):
        for call in re.findall(r"\btqdm\((?:[^()]|\([^()]*\))*\)", cell.source):
            assert "disable=cfg.quick" in call, (
                f"In [{index}]: {call[:80]!r} shows a bar at quick scale"
            )
        for output in cell.outputs:
            assert "application/vnd.jupyter.widget-view+json" not in output.get(
                "data", {}
            ), f"In [{index}] stores a widget (a progress bar?)"
            assert "it/s]" not in output.get("text", ""), (
                f"In [{index}] stores a progress bar"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_prose_quotes_only_numbers_its_run_shows(path):
    # CONTRIBUTING.md, "Every sentence true at every seed": each number in a Markdown cell is
    # printed above it, set by the code, in the full-scale ledger, or allow-listed with a
    # reason. `make seeds` applies the same check to every seed's run.
    nb = nbformat.read(path, as_version=4)
    missing = unbacked(nb, lesson_of(path))
    assert not missing, f"{path.name}: numbers no output shows:\n" + "\n".join(
        describe(missing)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_prose_allow_list_is_short_and_says_why(path):
    allowed = allow_list(nbformat.read(path, as_version=4))
    assert len(allowed) <= MAX_ALLOWED, (
        f"{path.name}: {len(allowed)} allow-list entries"
    )
    for number, reason in allowed.items():
        assert isinstance(reason, str) and len(reason.split()) >= 3, (
            f"{path.name}: allow-list entry {number!r} needs a reason, got {reason!r}"
        )
