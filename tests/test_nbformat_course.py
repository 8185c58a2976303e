"""tools/nbformat_course.py: the normal form that keeps stored notebooks diff-friendly."""

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from nbformat_course import dumps, normalize  # noqa: E402


def notebook_with(outputs, **cell_metadata):
    cell = nbformat.v4.new_code_cell("print('x')", execution_count=1, outputs=outputs)
    cell.metadata.update(cell_metadata)
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("  ")])
    nb.metadata["papermill"] = {"duration": 1.0}
    return nb


def test_split_stdout_chunks_are_merged_and_stderr_kept_apart():
    nb = normalize(
        notebook_with(
            [
                nbformat.v4.new_output("stream", name="stdout", text="a = "),
                nbformat.v4.new_output("stream", name="stdout", text="1\n"),
                nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
            ]
        )
    )
    assert [(o.name, o.text) for o in nb.cells[0].outputs] == [
        ("stdout", "a = 1\n"),
        ("stderr", "warning\n"),
    ]


def test_figures_keep_the_image_and_drop_the_figure_text():
    figure = nbformat.v4.new_output(
        "display_data",
        data={"image/png": "iVBOR", "text/plain": "<Figure size 640x480 with 1 Axes>"},
    )
    nb = normalize(notebook_with([figure]))
    assert dict(nb.cells[0].outputs[0].data) == {"image/png": "iVBOR"}


def test_metadata_is_reduced_to_the_allow_list_and_empty_cells_dropped():
    nb = normalize(
        notebook_with(
            [], tags=["parameters"], collapsed=True, papermill={"status": "completed"}
        )
    )
    assert set(nb.metadata) == {"kernelspec", "language_info"}
    assert len(nb.cells) == 1 and dict(nb.cells[0].metadata) == {"tags": ["parameters"]}
    assert nb.cells[0].id == "c00"


def test_normal_form_is_stable():
    nb = normalize(
        notebook_with([nbformat.v4.new_output("stream", name="stdout", text="x\n")])
    )
    text = dumps(nb)
    assert dumps(normalize(nbformat.reads(text, as_version=4))) == text
