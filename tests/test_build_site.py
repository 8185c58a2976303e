"""tools/build_site.py without Sphinx or a browser: the missing-output check, lesson metadata,
launch links from [project.urls], and exercise help taken from the checker's own text."""

from __future__ import annotations

import html
import inspect
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import build_site  # noqa: E402

from course_utils import exercises  # noqa: E402

TITLE = "# 07 · A test lesson: its subtitle\n\n**The puzzle.** Why?\n\n**Time.** About 30 minutes.\n"


def code(source: str, outputs=None, count=1) -> dict:
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {},
        "source": source,
        "outputs": outputs or [],
    }


def stdout(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def notebook(*cells) -> dict:
    return {
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": TITLE}, *cells],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


# --- a notebook with a missing output stops the build -------------------------------------------


def test_a_code_cell_never_executed_stops_the_build_naming_notebook_and_cell():
    nb = notebook(code("x = 1"), code("print(x)", count=None))
    with pytest.raises(build_site.SiteBuildError) as error:
        build_site.check_outputs(nb, "07_test.ipynb")
    message = str(error.value)
    assert (
        "07_test.ipynb: code cell 2 (cell 2 of the notebook, starting 'print(x)')"
        in message
    )
    assert "never executed" in message and "make rerun NB=07" in message


def test_a_print_whose_output_was_cleared_stops_the_build():
    nb = notebook(code("y = 2\nprint(y)"))
    with pytest.raises(
        build_site.SiteBuildError,
        match=r"code cell 1 .* prints but has no stored stdout",
    ):
        build_site.check_outputs(nb, "07_test.ipynb")


def test_a_bare_expression_whose_result_was_cleared_stops_the_build():
    nb = notebook(code("ex = 3\nex"))
    with pytest.raises(
        build_site.SiteBuildError, match=r"code cell 1 .* ends in an expression"
    ):
        build_site.check_outputs(nb, "07_test.ipynb")


def test_a_stored_error_stops_the_build():
    nb = notebook(
        code(
            "1 / 0",
            [
                {
                    "output_type": "error",
                    "ename": "ZeroDivisionError",
                    "evalue": "",
                    "traceback": [],
                }
            ],
        )
    )
    with pytest.raises(build_site.SiteBuildError, match="stored an error"):
        build_site.check_outputs(nb, "07_test.ipynb")


def test_cells_that_output_nothing_when_run_pass_the_check():
    nb = notebook(
        code("import numpy as np\nx = np.ones(3)"),
        code("def show(v):\n    print(v)"),  # print inside a function: not run here
        code("for i in range(0):\n    print(i)"),  # a loop may print nothing
        code("fig = make_figure()"),  # an assignment stores no result
        code("plt.close(fig)"),  # a call may return None
        code("x;"),  # a silenced value
        code(""),  # an empty cell never runs
        code("%matplotlib inline"),  # magics are not parsed
        code(
            "x",
            [
                {
                    "output_type": "execute_result",
                    "data": {"text/plain": "1"},
                    "metadata": {},
                    "execution_count": 1,
                }
            ],
        ),
        code("print(1)", [stdout("1\n")]),
    )
    build_site.check_outputs(nb, "07_test.ipynb")


def test_every_stored_lesson_passes_the_output_check():
    for path in build_site.lesson_notebooks():
        build_site.check_outputs(
            json.loads(path.read_text(encoding="utf-8")), path.name
        )


def test_make_site_fails_with_the_notebook_and_cell_on_a_missing_output(tmp_path):
    lessons = tmp_path / "notebooks"
    lessons.mkdir()
    source = build_site.lesson_notebooks()[0]
    nb = json.loads(source.read_text(encoding="utf-8"))
    target = next(
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and c["outputs"]
    )
    nb["cells"][target]["outputs"] = []
    nb["cells"][target]["execution_count"] = None
    (lessons / source.name).write_text(json.dumps(nb), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "build_site.py"),
            "--notebooks",
            str(lessons),
            "--out",
            str(tmp_path / "site"),
            "--stage",
            str(tmp_path / "stage"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert f"make site: FAILED: {source.name}: code cell" in result.stderr
    assert (
        f"(cell {target} of the notebook" in result.stderr
        and "never executed" in result.stderr
    )
    assert not (tmp_path / "site").exists()


# --- lesson metadata -----------------------------------------------------------------------------


def test_read_lesson_takes_title_puzzle_and_time_from_the_first_cell():
    lesson = build_site.read_lesson(notebook(), Path("07_a_test_lesson.ipynb"))
    assert (lesson.number, lesson.stem, lesson.minutes) == (
        "07",
        "07_a_test_lesson",
        30,
    )
    assert (
        lesson.title == "07 · A test lesson: its subtitle"
        and lesson.short_title == "A test lesson"
    )
    assert lesson.puzzle == "Why?"


def test_a_lesson_without_its_time_to_work_through_is_refused():
    nb = notebook()
    nb["cells"][0]["source"] = "# 07 · A lesson\n\n**The puzzle.** Why?\n"
    with pytest.raises(
        build_site.SiteBuildError,
        match="07_x.ipynb: the first cell does not state the time",
    ):
        build_site.read_lesson(nb, Path("07_x.ipynb"))


def test_every_stored_lesson_states_title_and_time():
    for path in build_site.lesson_notebooks():
        lesson = build_site.read_lesson(
            json.loads(path.read_text(encoding="utf-8")), path
        )
        assert lesson.short_title and 5 <= lesson.minutes <= 240 and lesson.puzzle


# --- Binder / Colab only when [project.urls] names a repository ----------------------------------


def test_no_launch_buttons_while_pyproject_names_no_repository():
    assert build_site.launch_links({}, "00_x.ipynb") == []
    assert (
        build_site.launch_links(
            {"Documentation": "https://example.org/docs"}, "00_x.ipynb"
        )
        == []
    )
    assert build_site.launch_links(build_site.project_urls(), "00_x.ipynb") == [], (
        "pyproject.toml now names a repository: check that the Binder / Colab buttons work"
    )


def test_binder_and_colab_buttons_come_from_the_repository_url():
    links = build_site.launch_links(
        {"Repository": "https://github.com/someone/conv-course.git"},
        "01_learning.ipynb",
    )
    assert links == [
        (
            "Binder",
            "https://mybinder.org/v2/gh/someone/conv-course/main?labpath=notebooks%2F01_learning.ipynb",
        ),
        (
            "Colab",
            "https://colab.research.google.com/github/someone/conv-course/blob/main/notebooks/01_learning.ipynb",
        ),
    ]


def test_the_run_box_shows_launch_buttons_only_when_there_are_links():
    lesson = build_site.read_lesson(notebook(), Path("07_a_test_lesson.ipynb"))
    bare = build_site.run_box_html(lesson, [])
    assert (
        "make lab" in bare
        and 'href="notebooks/07_a_test_lesson.ipynb" download' in bare
    )
    assert "Binder" not in bare and "Colab" not in bare and "https://" not in bare
    with_links = build_site.run_box_html(
        lesson,
        build_site.launch_links(
            {"Source": "https://github.com/someone/conv-course"},
            "07_a_test_lesson.ipynb",
        ),
    )
    assert "Open in Binder" in with_links and "Open in Colab" in with_links


# --- staged notebooks ----------------------------------------------------------------------------


def test_staging_drops_stderr_and_keeps_every_other_output():
    nb = notebook(
        code(
            "import tensorflow",
            [
                {
                    "output_type": "stream",
                    "name": "stderr",
                    "text": "oneDNN custom operations are on\n",
                },
                stdout("tensorflow 2.21.0\n"),
            ],
        )
    )
    lesson = build_site.read_lesson(nb, Path("07_a_test_lesson.ipynb"))
    staged = build_site.stage_notebook(nb, lesson, {}, [])
    outputs = [c for c in staged["cells"] if c["cell_type"] == "code"][0]["outputs"]
    assert outputs == [stdout("tensorflow 2.21.0\n")]
    assert nb["cells"][1]["outputs"][0]["name"] == "stderr"  # the original is untouched


def test_a_check_of_an_exercise_the_module_lacks_stops_the_build():
    nb = notebook(code("ex[9].check(answer_9)", [stdout("x\n")]))
    lesson = build_site.read_lesson(nb, Path("01_a_test_lesson.ipynb"))
    with pytest.raises(
        build_site.SiteBuildError,
        match=r"checks ex\[9\], but course_utils.exercises.load\('01'\) has no exercise 9",
    ):
        build_site.stage_notebook(nb, lesson, dict(exercises.load("01")), [])


def _plain(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    import re

    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def test_exercise_help_is_the_checkers_own_hints_and_solution():
    """Page and checker cannot drift: the blocks are made from ex[n].hint(k) and ex[n].solution()."""
    checked = 0
    for path in build_site.lesson_notebooks():
        lesson_exercises = build_site.load_exercises(path.name[:2])
        nb = json.loads(path.read_text(encoding="utf-8"))
        lesson = build_site.read_lesson(nb, path)
        staged = build_site.stage_notebook(nb, lesson, lesson_exercises, [])
        blocks = [
            c["source"]
            for c in staged["cells"]
            if "course-exercise-help" in c["metadata"].get("tags", [])
        ]
        assert len(blocks) == len(lesson_exercises), path.name
        page = _plain("\n".join(blocks))
        for n, exercise in lesson_exercises.items():
            for level in range(1, len(exercise.hints) + 1):
                hint = (
                    str(exercise.hint(level))
                    .split(": ", 1)[1]
                    .split("  (next: .hint(")[0]
                )
                assert " ".join(hint.split()) in page, (
                    f"{path.name} ex[{n}].hint({level})"
                )
            reference = textwrap.dedent(inspect.getsource(exercise.reference)).rstrip()
            assert str(exercise.solution()).endswith(reference)
            assert " ".join(reference.split()) in page, (
                f"{path.name} ex[{n}].solution()"
            )
            if exercise.explanation:
                assert " ".join(exercise.explanation.split()) in page, (
                    f"{path.name} ex[{n}] explanation"
                )
            checked += 1
    assert checked >= 1


# --- the build deletes only folders it made ------------------------------------------------------


def _run_build(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_site.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        check=False,
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_out_pointing_at_a_users_folder_is_refused_and_left_as_it_is(tmp_path):
    users = tmp_path / "thesis"
    users.mkdir()
    (users / "thesis.txt").write_text("three years of work\n", encoding="utf-8")
    result = _run_build("--out", str(users), "--stage", str(tmp_path / "stage"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"make site: FAILED: --out {users} is not empty")
    assert "was not made by build_site.py" in lines[0]
    assert _tree(users) == {"thesis.txt": b"three years of work\n"}
    assert not (tmp_path / "stage").exists()  # refused before anything was written


def test_stage_pointing_at_a_users_folder_is_refused(tmp_path):
    users = tmp_path / "notes"
    users.mkdir()
    (users / "a.md").write_text("mine\n", encoding="utf-8")
    result = _run_build("--out", str(tmp_path / "site"), "--stage", str(users))
    assert result.returncode == 1
    assert f"--stage {users} is not empty" in result.stderr
    assert _tree(users) == {"a.md": b"mine\n"} and not (tmp_path / "site").exists()


def test_out_dot_in_the_checkout_is_refused_and_changes_nothing(tmp_path):
    before = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    result = _run_build("--out", ".", "--stage", str(tmp_path / "stage"), cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"make site: FAILED: --out {ROOT} holds the course itself; choose a new folder "
        "(default build/site)"
    )
    after = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if before.returncode == 0:  # a git checkout: not one file changed
        assert after.stdout == before.stdout
    assert (ROOT / "tools" / "build_site.py").is_file()


def test_out_dot_in_a_users_folder_is_refused(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "work.txt").write_text("x", encoding="utf-8")
    result = _run_build("--out", ".", "--stage", str(tmp_path / "s"), cwd=work)
    assert result.returncode == 1 and "is not empty" in result.stderr
    assert _tree(tmp_path) == {"work/work.txt": b"x"}


def test_out_and_stage_inside_each_other_are_refused(tmp_path):
    result = _run_build(
        "--out", str(tmp_path / "a"), "--stage", str(tmp_path / "a" / "src")
    )
    assert result.returncode == 1 and "must be separate folders" in result.stderr
    assert not (tmp_path / "a").exists()


def test_a_folder_the_build_made_is_emptied_and_marked_again(tmp_path):
    made = tmp_path / "site"
    build_site.replace_folder(made)
    assert (made / build_site.MARKER).is_file()
    (made / "stale.html").write_text("old", encoding="utf-8")
    build_site.check_replaceable(made, "--out")  # marked: may be replaced
    build_site.replace_folder(made)
    assert sorted(p.name for p in made.iterdir()) == [build_site.MARKER]
    build_site.check_replaceable(tmp_path / "new", "--out")  # new: fine
    (tmp_path / "empty").mkdir()
    build_site.check_replaceable(tmp_path / "empty", "--out")  # empty: fine
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(build_site.SiteBuildError, match="is a file, not a folder"):
        build_site.check_replaceable(tmp_path / "file", "--out")


# --- the reader's view: titles, harness, figures, downloads, archive, search words --------------


def test_page_titles_are_lesson_nn_title_whatever_the_heading_says():
    for heading in (
        "# 07 · A test lesson: its subtitle",
        "# Lesson 07: a test lesson: its subtitle",
        "# Lesson 07 · A test lesson: its subtitle",
    ):
        nb = notebook()
        nb["cells"][0]["source"] = TITLE.replace(TITLE.splitlines()[0], heading)
        lesson = build_site.read_lesson(nb, Path("07_a_test_lesson.ipynb"))
        assert lesson.page_title == "Lesson 07 · A test lesson: its subtitle"
        assert lesson.short_title == "A test lesson"
        staged = build_site.stage_notebook(nb, lesson, {}, [])
        assert staged["cells"][0]["source"].startswith(
            "# Lesson 07 · A test lesson: its subtitle\n"
        )
    assert build_site.normalise_title("3x3 kernels", "07") == "Lesson 07 · 3x3 kernels"


def test_the_reader_sees_no_harness_markers_tags_or_not_attempted_outputs():
    todo = {
        "output_type": "execute_result",
        "execution_count": 3,
        "metadata": {},
        "data": {
            "text/plain": "[to do] Exercise 2 not attempted yet: replace ... with your answer"
        },
    }
    nb = notebook(
        {
            **code("# NBVAL_CHECK_OUTPUT\nprint(1)", [stdout("1\n")]),
            "metadata": {"tags": ["nbval-check-output", "remove-input"]},
        },
        code("answer_2 = ...\nex[2].check(answer_2)", [todo]),
        code("print('[to do] Exercise 1 not attempted')", [stdout("[to do] x\n")]),
    )
    lesson = build_site.read_lesson(nb, Path("01_a_test_lesson.ipynb"))
    staged = build_site.stage_notebook(nb, lesson, dict(exercises.load("01")), [])
    cells = [c for c in staged["cells"] if c["cell_type"] == "code"]
    assert cells[0]["source"] == "print(1)"
    assert cells[0]["metadata"]["tags"] == ["remove-input"]  # myst-nb's tag kept
    assert cells[1]["outputs"] == []  # the checker's "not attempted" note: hidden
    assert cells[2]["outputs"] == [stdout("[to do] x\n")]  # not a check call: kept
    assert nb["cells"][2]["outputs"] == [todo]  # the original is untouched


def _figure(width=400, height=200) -> dict:
    return {
        "output_type": "display_data",
        "metadata": {"image/png": {"width": width, "height": height}},
        "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
    }


def test_alt_text_is_the_first_sentence_after_the_figure_or_a_numbered_fallback():
    after = (
        "The map is *red* where `x[j + 1]` rises, e.g. at the left edge; $\\sigma$ "
        "is 1.5. The next cell measures it.\n\nMore."
    )
    nb = notebook(
        code("fig = plot()", [_figure()]),
        {"cell_type": "markdown", "metadata": {}, "source": after},
        code("fig = plot2()", [_figure()]),
        {"cell_type": "markdown", "metadata": {}, "source": "## 2. Next section"},
        code("fig = plot3()", [_figure()]),
    )
    alts = build_site.figure_alts(nb["cells"], "07")
    assert alts == {
        1: "The map is red where x[j + 1] rises, e.g. at the left edge; sigma is 1.5.",
        3: "Figure 2 of lesson 07",
        5: "Figure 3 of lesson 07",
    }
    lesson = build_site.read_lesson(nb, Path("07_a_test_lesson.ipynb"))
    staged = build_site.stage_notebook(nb, lesson, {}, [])
    figure = next(c for c in staged["cells"] if c.get("source") == "fig = plot()")
    assert figure["metadata"]["mystnb"]["image"]["alt"] == alts[1]
    # a retina figure keeps its displayed width, not a fixed height (phones scale it)
    assert figure["outputs"][0]["metadata"]["image/png"] == {"width": 400}


def test_every_stored_figure_gets_an_alt_text():
    for path in build_site.lesson_notebooks():
        nb = json.loads(path.read_text(encoding="utf-8"))
        for alt in build_site.figure_alts(nb["cells"], path.name[:2]).values():
            assert alt and not alt.endswith(".png"), path.name


def test_the_lesson_download_says_it_needs_the_course_folder():
    nb = notebook(code("print(1)", [stdout("1\n")]))
    lesson = build_site.read_lesson(nb, Path("07_a_test_lesson.ipynb"))
    download = build_site.download_notebook(nb, lesson)
    note = download["cells"][0]
    assert note["cell_type"] == "markdown" and download["cells"][1:] == nb["cells"]
    assert "needs the course folder" in note["source"]
    for command in build_site.RUN_COMMANDS:
        assert command in note["source"]
    assert "notebooks/07_a_test_lesson.ipynb" in note["source"]
    assert len(nb["cells"]) == 2  # the original is untouched


def test_the_course_archive_holds_what_make_lab_needs_and_no_caches(tmp_path):
    names = build_site.build_archive(tmp_path / "course.zip")
    for need in (
        "Makefile",
        "pyproject.toml",
        "requirements.lock",
        "environment.yml",
        "README.md",
        "CONTRIBUTING.md",
        "LICENSE",
        "course_utils/__init__.py",
        "data/mnist_5k.npz",
        "jupyterlab-settings/overrides.json",
    ):
        assert need in names, need
    for path in build_site.lesson_notebooks():
        assert f"notebooks/{path.name}" in names
    assert not [
        n for n in names if "__pycache__" in n or "/." in n or n.startswith(".")
    ]
    again = tmp_path / "again.zip"
    build_site.build_archive(again)
    assert again.read_bytes() == (tmp_path / "course.zip").read_bytes()  # reproducible


def test_raw_html_keeps_words_apart_for_the_search_index():
    """Sphinx indexes raw HTML with its tags deleted: cells must not glue ("8133six")."""
    nb = notebook()
    nb["cells"][0]["source"] = TITLE.replace("A test lesson", "Stuck at loss 0.8133")
    lesson = build_site.read_lesson(nb, Path("03_a_test_lesson.ipynb"))
    text = re.sub(r"<[^<]+?>", "", build_site.lesson_table_html([lesson]))
    words = text.split()
    assert "0.8133" in words and "Why?" in words and "03" in words, words
    assert "<pre>a\n<b>x</b></pre>" in build_site._spaced("<pre>a\n<b>x</b></pre>")


def test_the_search_language_keeps_decimals_whole():
    sys.path.insert(0, str(ROOT / "site" / "_ext"))
    course_search = pytest.importorskip("course_search")
    lang = course_search.SearchCourse({})
    assert lang.split("loss 0.8133 - acc: 0.5000. 5,000 digits, (0.648, 0.749)") == [
        "loss",
        "0.8133",
        "acc",
        "0.5000",
        "5,000",
        "digits",
        "0.648",
        "0.749",
    ]
    assert lang.word_filter("0.8133") and not lang.word_filter("8133")
    assert "<" not in lang.js_splitter_code and "'" not in lang.js_splitter_code
