"""tools/prose_check.py: the numbers a lesson's prose quotes must be shown by its own run."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import prose_check  # noqa: E402


def notebook(*cells, allow=None):
    """Cells are ('md', text) or ('code', source, printed_text_or_None)."""
    nb = nbformat.v4.new_notebook()
    for cell in cells:
        if cell[0] == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(cell[1]))
        else:
            code = nbformat.v4.new_code_cell(cell[1])
            if len(cell) > 2 and cell[2] is not None:
                code.outputs = [
                    nbformat.v4.new_output("stream", name="stdout", text=cell[2])
                ]
            nb.cells.append(code)
    if allow is not None:
        nb.metadata["course"] = {"prose_allow": allow}
    return nb


def texts(nb, **kwargs):
    return [q.text for q in prose_check.unbacked(nb, **kwargs)]


def test_a_printed_number_backs_the_prose_at_the_quoted_precision():
    nb = notebook(
        ("code", "x = f()", "loss 0.81326, accuracy 0.5000\n"),
        ("md", "The loss is stuck at 0.8133 (0.813, 0.81) and accuracy at 0.5."),
    )
    assert texts(nb) == []


def test_more_digits_than_were_printed_are_unbacked():
    nb = notebook(("code", "x = f()", "loss 0.81\n"), ("md", "The loss is 0.8133."))
    assert texts(nb) == ["0.8133"]


def test_a_number_printed_only_below_the_sentence_is_unbacked():
    nb = notebook(("md", "Accuracy ends at 0.749."), ("code", "x = f()", "0.749\n"))
    assert texts(nb) == ["0.749"]


def test_a_seed_dependent_number_fails_when_the_run_prints_another():
    # the case this check exists for: prose typed at seed 0, run at seed 7
    nb = notebook(
        ("code", "acc = run(lr=20 * 0.001)", "held-out accuracy 0.783 -> 0.209\n"),
        ("md", "At 20 times the rate, accuracy goes from 0.749 to 0.648."),
    )
    assert texts(nb) == ["0.749", "0.648"]


def test_percentages_match_printed_fractions_and_percentages():
    nb = notebook(
        ("code", "r = f()", "share 0.54, dead 12.5%\n"),
        ("md", "54% of filters, 12.5% dead, 13% rounded; but 55% is not printed."),
    )
    assert texts(nb) == ["55%"]


def test_thousands_separators_scientific_and_latex_powers_of_ten():
    nb = notebook(
        ("code", "n = f()", "steps 1562, loss 1.23e+05, ratio 170000.0\n"),
        (
            "md",
            "After 1,562 steps ($1{,}562$) the loss was 1.23e5, i.e. "
            "$1.23 \\times 10^{5}$, and the ratio $1.7 \\times 10^5$ (170,000).",
        ),
    )
    assert texts(nb) == []


def test_headings_links_identifiers_versions_and_references_are_not_numbers():
    nb = notebook(
        ("code", "pass", "nothing\n"),
        (
            "md",
            "# Lesson 03 · Title 0.8133\n"
            "## 2. Reproduce\n"
            "See [question 56557587](https://stackoverflow.com/q/56557587), lesson 02, "
            "sections 3-5, exercise 2, cell 4, seeds 0-49 and lessons 00 and 01.\n"
            "We use conv2d, float32 and a 2D input, the 1st layer, TensorFlow 2.21 "
            "and Python 3.11.7, as in 2019.\n"
            "1. a numbered item\n",
        ),
    )
    assert texts(nb) == []


def test_code_literals_back_the_prose_but_comments_do_not():
    nb = notebook(
        ("code", "reported = {'loss': 0.8133}  # accuracy 0.749", None),
        ("md", "The question reports 0.8133; the comment's 0.749 backs nothing."),
    )
    assert texts(nb) == ["0.749"]


def test_generated_markdown_outputs_back_the_prose():
    nb = notebook(("md", "placeholder"))
    code = nbformat.v4.new_code_cell("show()")
    code.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/markdown": "| run | 0.955 |", "text/plain": "<md>"},
        )
    ]
    nb.cells.insert(0, code)
    nb.cells[1].source = "Glorot ends at 0.955."
    assert texts(nb) == []


def test_the_ledger_backs_full_scale_figures_of_its_own_lesson_only(tmp_path):
    ledger = tmp_path / "ledger.json"
    ledger.write_text(
        json.dumps(
            {
                "lessons": {
                    "04": {
                        "figures": {"acc": 0.961, "share": 0.09},
                        "run": {"wall_s": 272},
                    },
                    "02": {"figures": {"err": 1.35}},
                }
            }
        )
    )
    nb = notebook(("md", "At full scale: 0.961, 9% of minibatches, 272 s; 1.35."))
    assert texts(nb, lesson="04", ledger_path=ledger) == ["1.35"]
    assert texts(nb, lesson=None) == ["0.961", "9%", "272", "1.35"]


def test_the_allow_list_exempts_numbers_as_written():
    nb = notebook(
        ("code", "pass", None),
        ("md", "255 squared is 65,025."),
        allow={"65,025": "255^2, derived in the sentence"},
    )
    assert texts(nb) == ["255"]
    assert prose_check.allow_list(nb) == {"65,025": "255^2, derived in the sentence"}


def test_a_malformed_allow_list_is_an_error():
    nb = notebook(("md", "1.5"), allow=["1.5"])
    with pytest.raises(ValueError, match="prose_allow must map a number to its reason"):
        prose_check.unbacked(nb)


def check_command(path):
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "prose_check.py"), str(path)],
        capture_output=True,
        text=True,
    )


def test_the_command_lists_unbacked_numbers_and_exits_1(tmp_path):
    path = tmp_path / "07_toy.ipynb"
    nbformat.write(
        notebook(("code", "x = 1", "0.25\n"), ("md", "Printed 0.25, typed 0.75.")), path
    )
    done = check_command(path)
    assert done.returncode == 1
    assert "1 unbacked number(s)" in done.stdout and "cell 1: 0.75" in done.stdout
    clean = tmp_path / "08_toy.ipynb"
    nbformat.write(
        notebook(("code", "x = 1", "0.25\n"), ("md", "Printed 0.25.")), clean
    )
    done = check_command(clean)
    assert done.returncode == 0, done.stdout


def test_the_command_refuses_a_missing_notebook(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "prose_check.py"),
            str(tmp_path / "no.ipynb"),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "no such notebook" in done.stderr


def test_a_count_of_runs_needs_both_numbers_printed_on_one_line():
    # lesson 00 at seed 7 printed "stuck: 0 of 25" under prose saying 3 of its 25 were stuck;
    # a 3 elsewhere (a 3x3 kernel) must not back the count
    nb = notebook(
        ("code", "k = 3\nruns = 25", "kernel 3x3\nnetworks 25, stuck 0\n"),
        ("md", "3 of its 25 runs are stuck; 0 of the 25 are here; 25 networks train."),
    )
    assert texts(nb) == ["3"]
    nb = notebook(
        ("code", "r = f()", "cross-entropy ahead: 16/25, stuck 3 out of 25\n"),
        ("md", "Ahead from 16 of the 25 starts; 3 out of 25 stuck."),
    )
    assert texts(nb) == []
