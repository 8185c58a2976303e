"""Build the web edition: a static HTML site from the stored notebooks, never executing them.

    python tools/build_site.py                 # into build/site/ (what `make site` runs)
    python tools/build_site.py --out /tmp/s    # somewhere else

Every step reads the files as they are; nothing is hard-coded per lesson and nothing is
downloaded:

1. Each ``notebooks/NN_*.ipynb`` is checked: a code cell with no stored outputs where a run
   would have left some (never executed, or a ``print`` / bare expression with nothing stored)
   stops the build with a message naming the notebook and the cell. The site never renders
   empty cells in place of results.
2. A copy of each notebook is staged under ``build/site-src/`` (the original is untouched):
   stderr outputs removed (TensorFlow's start-up noise is never shown), a "Run this lesson" box
   added under the title, and after each ``ex[n].check(...)`` cell the exercise's hints and
   worked solution in collapsed blocks, taken from ``course_utils.exercises.load(NN)``: the
   same ``ex[n].hint(k)`` and ``ex[n].solution()`` the learner calls, so page and checker agree.
3. The landing page is generated from ``site/index.md`` with the lesson table (title, puzzle and
   time to work through it, all read from each notebook's first cell).
4. Sphinx (myst-nb with execution off, sphinx-book-theme) renders the site. MathJax 3.2.2 is
   copied from the pinned ``django-static-mathjax`` wheel (MathJax's own files in a wheel, with no
   dependencies, Django included), so math renders without a CDN.

Binder and Colab buttons appear only when pyproject.toml's ``[project.urls]`` names a GitHub
repository (keys ``Repository``, ``Source``, ``Source Code``, ``Code`` or ``Homepage``).

A reader can run the course from the site: ``course.zip`` (the notebooks, ``course_utils``, the
data and what ``make lab`` needs, see ``ARCHIVE_FILES``) is built into the site and linked from
the landing page and every lesson's run box; each lesson's own ``.ipynb`` download starts with a
note saying it needs that folder (the notebooks in ``notebooks/`` and in the archive do not).

The build never deletes a folder it did not make: ``--out`` and ``--stage`` are emptied only when
they hold the marker file ``.build_site`` that an earlier build wrote (or are empty or new);
anything else is refused with one line before a file is touched.
"""

from __future__ import annotations

import argparse
import ast
import copy
import html
import inspect
import itertools
import json
import re
import shutil
import sys
import textwrap
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tools") not in sys.path:  # imported from tests, or run as a script
    sys.path.insert(0, str(ROOT / "tools"))
import reading_time  # noqa: E402  (the stated-time pattern and cell sources)

NOTEBOOKS = ROOT / "notebooks"
SITE_SOURCES = ROOT / "site"
DEFAULT_OUT = ROOT / "build" / "site"
DEFAULT_STAGE = ROOT / "build" / "site-src"

#: [project.urls] keys, in order of preference, that may name the course's public repository.
REPOSITORY_KEYS = ("repository", "source", "source code", "code", "homepage")
#: MathJax 3 files the site serves: the TeX-to-SVG bundle (glyphs inside, no font files) and the
#: components it loads on demand (TeX extensions, the context menu, its accessibility tools).
MATHJAX_PARTS = (
    "es5/tex-svg.js",
    "es5/input",
    "es5/ui",
    "es5/a11y",
    "es5/sre",
    "es5/adaptors",
    "LICENSE",
)


#: Written into every folder the build empties and refills (--out, --stage); only a folder that
#: holds it (or an empty one) is ever deleted.
MARKER = ".build_site"
MARKER_TEXT = (
    "Made by tools/build_site.py; the next build deletes and rebuilds this folder.\n"
)
#: The course archive a reader downloads from the site, and its top folder once unzipped.
ARCHIVE_NAME = "course.zip"
ARCHIVE_FOLDER = "conv-course"
#: What the archive holds (paths relative to the repository; folders taken whole, caches
#: excluded): everything `make lab` needs, plus the tools the Makefile's other targets run.
ARCHIVE_FILES = (
    "notebooks",
    "course_utils",
    "data",
    "jupyterlab-settings",
    "tools",
    "Makefile",
    "README.md",
    "pyproject.toml",
    "requirements.lock",
    "environment.yml",
    "CONTRIBUTING.md",
    "LICENSE",
)
#: The commands a reader types after downloading the archive (run box and landing page).
RUN_COMMANDS = (f"unzip {ARCHIVE_NAME} && cd {ARCHIVE_FOLDER}", "make lab")


class SiteBuildError(Exception):
    """The site cannot be built from the files as they are; the message says which file and why."""


@dataclass(frozen=True)
class Lesson:
    """One lesson as the landing page and the sidebar show it, read from its notebook."""

    number: str  # "01"
    stem: str  # "01_learning_an_edge_kernel": the page is <stem>.html
    title: str  # the notebook's first heading, as written
    page_title: (
        str  # "Lesson 01 · Learning the [-1, 1] edge kernel": the page's H1 and <title>
    )
    short_title: str  # "Learning the [-1, 1] edge kernel": for the sidebar
    puzzle: str  # the "The puzzle." paragraph, markdown
    minutes: int  # time to work through it


# ---------------------------------------------------------------------------------------------
# 0. Output folders: never delete what the build did not make


def check_replaceable(folder: Path, option: str) -> None:
    """Raise SiteBuildError unless ``folder`` may be emptied: new, empty, or marked by a build.

    Nothing is touched here; :func:`replace_folder` does the emptying once every folder passed.
    """
    folder = Path(folder)
    if folder == ROOT or folder in ROOT.parents:
        raise SiteBuildError(
            f"{option} {folder} holds the course itself; choose a new folder (default "
            f"{DEFAULT_OUT.relative_to(ROOT) if option == '--out' else DEFAULT_STAGE.relative_to(ROOT)})"
        )
    if not folder.exists():
        return
    if not folder.is_dir():
        raise SiteBuildError(
            f"{option} {folder} is a file, not a folder; choose a new folder"
        )
    if (folder / MARKER).is_file() or not any(folder.iterdir()):
        return
    # Builds from before the marker: the default folders, holding what the build leaves there.
    legacy = {DEFAULT_OUT: ".buildinfo", DEFAULT_STAGE: "conf.py"}.get(folder)
    if legacy and (folder / legacy).is_file():
        return
    raise SiteBuildError(
        f"{option} {folder} is not empty and was not made by build_site.py (no {MARKER} "
        f"file in it), so it is left as it is; choose a new or empty folder"
    )


def replace_folder(folder: Path) -> None:
    """Empty ``folder`` (checked by :func:`check_replaceable`) and mark it as the build's."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# 1. Stored outputs must be there


_source = reading_time.source


def _where(name: str, code_index: int, cell_index: int, source: str) -> str:
    first = next((line for line in source.splitlines() if line.strip()), "")
    return f"{name}: code cell {code_index} (cell {cell_index} of the notebook, starting {first.strip()[:60]!r})"


def _expected_outputs(source: str) -> set[str]:
    """What a run of this cell must leave: 'stdout' for a top-level print, 'result' for a bare value.

    Only statements that always run and always output are counted: a top-level ``print(...)``
    call, and a last statement that is an expression other than a call (a call may return None)
    and not silenced with ``;``. Cells that do not parse (IPython magics) expect nothing.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    expected = set()
    for node in tree.body:
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "print"
        ):
            expected.add("stdout")
    last = tree.body[-1] if tree.body else None
    if (
        isinstance(last, ast.Expr)
        and not isinstance(last.value, (ast.Call, ast.Await, ast.Yield))
        and not source.rstrip().endswith(";")
        and not (
            isinstance(last.value, ast.Constant) and isinstance(last.value.value, str)
        )
    ):
        expected.add("result")
    return expected


def check_outputs(nb: Mapping[str, Any], name: str) -> None:
    """Raise SiteBuildError naming the first code cell whose stored outputs are missing.

    A non-empty code cell must have been executed (``execution_count`` set), and a cell with a
    top-level ``print`` or ending in a bare expression must have stored that output.
    """
    code_index = 0
    for cell_index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        code_index += 1
        source = _source(cell)
        if not source.strip():
            continue
        outputs = cell.get("outputs", [])
        where = _where(name, code_index, cell_index, source)
        if cell.get("execution_count") is None:
            raise SiteBuildError(
                f"{where} was never executed (execution_count is null, {len(outputs)} outputs stored). "
                f"The site shows stored outputs only: run `make rerun NB={name[:2]}` and commit the notebook."
            )
        kinds = {o.get("output_type") for o in outputs}
        streams = {o.get("name") for o in outputs if o.get("output_type") == "stream"}
        if "error" in kinds:
            raise SiteBuildError(
                f"{where} stored an error; rerun the notebook (`make rerun NB={name[:2]}`)."
            )
        for need in sorted(_expected_outputs(source)):
            if need == "stdout" and "stdout" not in streams:
                raise SiteBuildError(
                    f"{where} prints but has no stored stdout output: its outputs were cleared. "
                    f"Run `make rerun NB={name[:2]}` and commit the notebook."
                )
            if need == "result" and not kinds & {"execute_result", "display_data"}:
                raise SiteBuildError(
                    f"{where} ends in an expression but has no stored result: its outputs were cleared. "
                    f"Run `make rerun NB={name[:2]}` and commit the notebook."
                )


# ---------------------------------------------------------------------------------------------
# 2. Lesson metadata, launch links, exercise blocks


def lesson_notebooks(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The lessons, in order: ``notebooks/NN_*.ipynb``."""
    return sorted(notebooks.glob("[0-9][0-9]_*.ipynb"))


_TITLE_PREFIX = re.compile(
    r"^(?:lesson\s*\d+\s*[:·.\-–—]?|\d+\s*[:·.\-–—])\s*", re.IGNORECASE
)


def normalise_title(title: str, number: str) -> str:
    """The page title every lesson shows: "Lesson NN · Title", whatever prefix the H1 has.

    Example:
        >>> normalise_title("03 · Debugging a classifier", "03")
        'Lesson 03 · Debugging a classifier'
        >>> normalise_title("Lesson 01: learning the [-1, 1] edge kernel", "01")
        'Lesson 01 · Learning the [-1, 1] edge kernel'
        >>> normalise_title("Lesson 02 · Recovering a Gaussian blur", "02")
        'Lesson 02 · Recovering a Gaussian blur'
    """
    rest = _TITLE_PREFIX.sub("", title.strip(), count=1).strip() or title.strip()
    return f"Lesson {number} · {rest[:1].upper()}{rest[1:]}"


def read_lesson(nb: Mapping[str, Any], path: Path) -> Lesson:
    """Title, puzzle and time to work through it, from the notebook's first markdown cell."""
    first = next(
        (_source(c) for c in nb.get("cells", []) if c.get("cell_type") == "markdown"),
        "",
    )
    heading = re.search(r"^#\s+(.+?)\s*$", first, re.MULTILINE)
    if not heading:
        raise SiteBuildError(
            f"{path.name}: the first markdown cell has no '# title' heading"
        )
    title = heading.group(1)
    page_title = normalise_title(title, path.name[:2])
    short = page_title.split(" · ", 1)[1].split(": ")[0].strip()
    minutes = reading_time.stated_minutes(nb)
    if minutes is None:
        raise SiteBuildError(
            f"{path.name}: the first cell does not state the time to work through the lesson "
            f"(expected a line like '**Time.** About 40 minutes'); the landing page lists it"
        )
    puzzle_match = re.search(
        r"\*\*The puzzle\.?\*\*\s*(.+?)(?:\n\s*\n|\Z)", first, re.DOTALL
    )
    puzzle = " ".join(puzzle_match.group(1).split()) if puzzle_match else ""
    return Lesson(
        number=path.name[:2],
        stem=path.stem,
        title=title,
        page_title=page_title,
        short_title=short,
        puzzle=puzzle,
        minutes=minutes,
    )


def repository_url(urls: Mapping[str, str]) -> str | None:
    """The GitHub repository named in ``[project.urls]``, as https://github.com/owner/name, or None."""
    by_key = {str(k).strip().lower(): str(v).strip() for k, v in urls.items()}
    for key in REPOSITORY_KEYS:
        match = re.fullmatch(
            r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", by_key.get(key, "")
        )
        if match:
            return f"https://github.com/{match.group(1)}/{match.group(2)}"
    return None


def launch_links(
    urls: Mapping[str, str], notebook: str, branch: str = "main"
) -> list[tuple[str, str]]:
    """(label, url) of the Binder and Colab buttons for ``notebooks/<notebook>``; [] without a repository.

    Example:
        >>> launch_links({}, "00_primer.ipynb")
        []
        >>> [label for label, _ in launch_links({"Repository": "https://github.com/o/c"}, "00_primer.ipynb")]
        ['Binder', 'Colab']
    """
    repo = repository_url(urls)
    if repo is None:
        return []
    owner_name = repo.removeprefix("https://github.com/")
    return [
        (
            "Binder",
            f"https://mybinder.org/v2/gh/{owner_name}/{branch}?labpath=notebooks%2F{notebook}",
        ),
        (
            "Colab",
            f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/notebooks/{notebook}",
        ),
    ]


def project_urls(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """pyproject.toml's ``[project.urls]`` table ({} when it has none)."""
    return dict(
        tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"].get("urls", {})
    )


def _text_html(text: str) -> str:
    """Plain text (as a notebook prints it) to HTML paragraphs; `code` spans become <code>.

    Lines are re-joined (the text was wrapped for a terminal), and a word that the wrapping
    split after its hyphen ("one-" / "hot") is joined back.
    """
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for p in paragraphs:
        p = re.sub(r"(?<=\w-)\n\s*(?=\w)", "", p)
        escaped = html.escape(" ".join(p.split()), quote=False)
        out.append("<p>" + re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped) + "</p>")
    return "\n".join(out)


def _code_html(code: str) -> str:
    """Python source highlighted the way Sphinx does it (so the theme's colours and copy button apply)."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return (
        '<div class="highlight-python notranslate">'
        + highlight(
            code, PythonLexer(), HtmlFormatter(nowrap=False, cssclass="highlight")
        )
        + "</div>"
    )


def exercise_html(exercise: Any) -> str:
    """Collapsed hints and worked solution of one exercise, from its own hint() and solution()."""
    number = exercise.number
    parts = [f'<div class="course-exercise-help" id="exercise-{number}-help">']
    n_hints = max(1, len(exercise.hints))
    for level in range(1, n_hints + 1):
        text = str(exercise.hint(level))
        text = re.sub(
            r"\s+\(next: \.hint\(\d+\)\)\s*$", "", text
        )  # the notebook's pointer to the next call
        text = re.sub(r"^Hint \d+/\d+:\s*", "", text)
        parts.append(
            f'<details class="course-hint"><summary>Hint {level} of {n_hints} '
            f'<span class="course-call">ex[{number}].hint({level})</span></summary>\n'
            f"{_text_html(text)}\n</details>"
        )
    solution = str(exercise.solution())
    code = textwrap.dedent(inspect.getsource(exercise.reference)).rstrip()
    if solution.endswith(code):
        prose = solution[: -len(code)].strip()
        prose = re.sub(rf"^Exercise {number}: .*\n?", "", prose).strip()
        body = (_text_html(prose) if prose else "") + "\n" + _code_html(code)
    else:  # solution() changed its layout: show it whole, as printed
        body = f'<pre class="course-solution-text">{html.escape(solution, quote=False)}</pre>'
    parts.append(
        f'<details class="course-solution"><summary>Worked solution '
        f'<span class="course-call">ex[{number}].solution()</span></summary>\n{body}\n</details>'
    )
    parts.append("</div>")
    return "\n".join(parts)


def load_exercises(number: str) -> dict[int, Any]:
    """``course_utils.exercises.load(number)`` as a dict, or {} when the lesson has no exercises."""
    sys.path.insert(0, str(ROOT))
    from course_utils import exercises

    try:
        return dict(exercises.load(number))
    except ValueError:
        return {}


def _raw_html_cell(content: str, tag: str) -> dict:
    fence = "`" * max(
        3, 1 + max((len(m) for m in re.findall(r"`+", content)), default=0)
    )
    return {
        "cell_type": "markdown",
        "id": f"{tag}-{next(_CELL_IDS)}",
        "metadata": {"tags": [tag]},
        "source": f"{fence}{{raw}} html\n{content}\n{fence}\n",
    }


def _spaced(fragment: str) -> str:
    """Raw HTML with a line break after each block's closing tag (outside <pre>).

    Sphinx's search index reads raw HTML with its tags deleted, so ``<td>0.8133</td><td>Six``
    would be indexed as one word "0.8133six"; a line break keeps the words apart and renders
    as nothing between blocks.
    """
    parts = re.split(r"(<pre\b.*?</pre>)", fragment, flags=re.DOTALL)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(
            r"(</(?:td|th|tr|thead|tbody|p|div|li|summary|details|aside|h\d)>)(?=<)"
            r"|(?<=>)(?=<(?:div|p|table|tr|td|th|details|summary|aside|ul|ol|li)\b)",
            lambda m: (m.group(1) or "") + "\n",
            parts[i],
        )
    return "".join(parts)


def _commands_html() -> str:
    return (
        '<pre class="course-commands"><code>'
        + "\n".join(html.escape(c) for c in RUN_COMMANDS)
        + "</code></pre>"
    )


def run_box_html(lesson: Lesson, links: list[tuple[str, str]]) -> str:
    """The "Run this lesson" box under a lesson's title: the course archive, two commands."""
    notebook = f"{lesson.stem}.ipynb"
    buttons = [
        (
            f'<a class="course-button course-download" href="{ARCHIVE_NAME}" download>'
            "Download the course (.zip)</a>"
        ),
        (
            f'<a class="course-button" href="notebooks/{notebook}" download="{notebook}">'
            "This lesson only (.ipynb)</a>"
        ),
    ]
    for label, url in links:
        buttons.append(
            f'<a class="course-button course-launch" href="{html.escape(url)}" '
            f'rel="noopener">Open in {html.escape(label)}</a>'
        )
    colab = ""
    if any(label == "Colab" for label, _ in links):
        colab = (
            '<p class="course-note">Colab opens this notebook on its own, without the course\'s '
            "package and data: clone the repository in its first cell before running the rest.</p>"
        )
    return _spaced(
        '<aside class="course-run-box" aria-label="Run this lesson">\n'
        '<p class="course-run-title">Run this lesson</p>\n'
        "<p>This page is the notebook as last run (quick scale, seed 0): every output and figure "
        "is the stored one. To run it yourself, download the course folder (the notebooks, the "
        "<code>course_utils</code> package and the data), then in a terminal:</p>\n"
        + _commands_html()
        + "\n<p><code>make lab</code> sets up <code>.venv</code> with the pinned packages (Python "
        "3.11 and <code>make</code> needed; about 1.5 GB, once) and opens JupyterLab; open "
        f"<code>{html.escape(notebook)}</code> there. The lesson's notebook alone does not run "
        "without the folder.</p>\n"
        f'<p class="course-buttons">{" ".join(buttons)}</p>\n{colab}</aside>'
    )


_CELL_IDS = itertools.count(1)
_CHECK_CALL = re.compile(r"\bex\[(\d+)\]\.check\(")
#: What ex[n].check(...) returns before the learner has typed an answer ("[to do] Exercise 1
#: not attempted yet: ..."): useful in JupyterLab, noise on a page nobody can type into.
_NOT_ATTEMPTED = re.compile(r"^\W*\[to do\]", re.IGNORECASE)
#: Cell tags of the test harness, and the comment markers they replaced.
_HARNESS_TAGS = (
    "nbval-check-output",
    "nbval-ignore-output",
    "nbval-skip",
    "nbval-raises-exception",
)
_HARNESS_LINE = re.compile(r"^[ \t]*#\s*NBVAL_\w+[ \t]*\n?", re.MULTILINE)
_FIGURE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")


def _output_text(output: Mapping[str, Any]) -> str:
    if output.get("output_type") == "stream":
        return _source({"source": output.get("text", "")})
    return _source({"source": output.get("data", {}).get("text/plain", "")})


def _plain_markdown(text: str) -> str:
    """Markdown as the words a screen reader should say: links, emphasis, code marks, math
    delimiters and backslash commands reduced to their text."""
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\$\$?([^$]+)\$\$?", lambda m: m.group(1), text)
    text = re.sub(r"\\(?:mathrm|text|mathbf|operatorname)\{([^}]*)\}", r"\1", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    text = re.sub(r"[{}]", "", text)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split())


def first_sentence(markdown: str) -> str:
    """The first sentence of a Markdown cell's first paragraph, as plain text ('' if it starts
    with a heading, a table, a list or display math: those do not describe a figure).

    Example:
        >>> first_sentence("The map is *red* where `x` rises, e.g. at 0.5. Then more.")
        'The map is red where x rises, e.g. at 0.5.'
        >>> first_sentence("## 3. Predict\\n\\nText.")
        ''
    """
    paragraph = re.split(r"\n\s*\n", markdown.strip(), maxsplit=1)[0].strip()
    if not paragraph or re.match(r"(#|\||[-*+] |\d+[.)] |\$\$|```|<)", paragraph):
        return ""
    text = _plain_markdown(paragraph)
    match = re.search(
        r"^.+?(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bcf)(?<!\bFig)[.!?](?=\s+[\"'(\[]?[A-Z0-9]|$)",
        text,
    )
    return (match.group(0) if match else text).strip()


def figure_alts(cells: list[Mapping[str, Any]], number: str) -> dict[int, str]:
    """{cell index: alt text} for every code cell with a figure output.

    The alt text is the first sentence of the Markdown cell right after the figure's cell (the
    course's convention: that sentence says what the figure shows); a figure without one gets
    "Figure n of lesson NN", never the image's file name.
    """
    alts: dict[int, str] = {}
    count = 0
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        figures = [
            o
            for o in cell.get("outputs", [])
            if set(o.get("data", {})) & set(_FIGURE_MIMES)
        ]
        if not figures:
            continue
        count += 1
        following = cells[index + 1] if index + 1 < len(cells) else {}
        sentence = (
            first_sentence(_source(following))
            if following.get("cell_type") == "markdown"
            else ""
        )
        alts[index] = sentence or f"Figure {count} of lesson {number}"
    return alts


def _reader_cell(cell: dict) -> dict:
    """A code cell as a reader sees it: no stderr, no harness markers, no "not attempted"."""
    tags = cell.get("metadata", {}).get("tags", [])
    if tags:
        cell["metadata"]["tags"] = [t for t in tags if t not in _HARNESS_TAGS]
    source = _source(cell)
    if _HARNESS_LINE.search(source):
        cell["source"] = _HARNESS_LINE.sub("", source)
    outputs = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            continue
        if _NOT_ATTEMPTED.match(_output_text(output)) and _CHECK_CALL.search(source):
            continue
        for mime, meta in output.get("metadata", {}).items():
            # a retina figure stores its displayed size; keep the width (the page scales it
            # down on narrow screens) but not a fixed height, which would distort it there
            if mime in _FIGURE_MIMES and isinstance(meta, dict):
                meta.pop("height", None)
        outputs.append(output)
    cell["outputs"] = outputs
    return cell


def _with_page_title(cell: dict, lesson: Lesson) -> dict:
    """The first cell with its H1 replaced by the lesson's normalised title."""
    cell["source"] = re.sub(
        r"^#\s+.+?\s*$",
        lambda _: f"# {lesson.page_title}",
        _source(cell),
        count=1,
        flags=re.MULTILINE,
    )
    return cell


def stage_notebook(
    nb: Mapping[str, Any],
    lesson: Lesson,
    exercises: Mapping[int, Any],
    links: list[tuple[str, str]],
) -> dict:
    """The notebook as the site shows it: the page title "Lesson NN · Title", run box and
    exercise help added; stderr, harness markers and "not attempted" outputs removed; each
    figure's alt text taken from the sentence after it."""
    staged = copy.deepcopy(dict(nb))
    alts = figure_alts(staged["cells"], lesson.number)
    cells = []
    placed: set[int] = set()
    title_done = False
    for index, cell in enumerate(staged["cells"]):
        if cell.get("cell_type") == "code":
            cell = _reader_cell(cell)
            if index in alts:
                mystnb = cell["metadata"].setdefault("mystnb", {})
                mystnb.setdefault("image", {})["alt"] = alts[index]
        cells.append(cell)
        if not title_done and cell.get("cell_type") == "markdown":
            _with_page_title(cell, lesson)
            cells.append(_raw_html_cell(run_box_html(lesson, links), "course-run-box"))
            title_done = True
        if cell.get("cell_type") == "code":
            for found in _CHECK_CALL.findall(_source(cell)):
                number = int(found)
                if number not in exercises:
                    raise SiteBuildError(
                        f"{lesson.stem}.ipynb: cell {index} checks ex[{number}], but "
                        f"course_utils.exercises.load({lesson.number!r}) has no exercise {number} "
                        f"(it has {sorted(exercises) or 'none'})"
                    )
                if number not in placed:
                    cells.append(
                        _raw_html_cell(
                            _spaced(exercise_html(exercises[number])),
                            "course-exercise-help",
                        )
                    )
                    placed.add(number)
    missing = [n for n in sorted(exercises) if n not in placed]
    if missing:  # exercises that no cell checks still get their help, at the end
        cells.append(
            {
                "cell_type": "markdown",
                "id": f"course-more-{next(_CELL_IDS)}",
                "metadata": {},
                "source": "## More exercises",
            }
        )
        for n in missing:
            cells.append(
                {
                    "cell_type": "markdown",
                    "id": f"course-more-{next(_CELL_IDS)}",
                    "metadata": {},
                    "source": f"**Exercise {n}: {exercises[n].title}.**",
                }
            )
            cells.append(
                _raw_html_cell(
                    _spaced(exercise_html(exercises[n])), "course-exercise-help"
                )
            )
    staged["cells"] = cells
    return staged


def download_notebook(nb: Mapping[str, Any], lesson: Lesson) -> dict:
    """The lesson's .ipynb as the site offers it alone: the stored notebook with a first
    Markdown cell saying it runs only inside the course folder (the notebooks in notebooks/
    and in the course archive do not have it)."""
    note = {
        "cell_type": "markdown",
        "id": "course-download-note",
        "metadata": {"tags": ["course-download-note"]},
        "source": (
            f"> **This notebook needs the course folder.** It imports the course's "
            f"`course_utils` package and reads its data, so on its own it stops at the first "
            f"cell. Download the whole course (`{ARCHIVE_NAME}`, linked from every page of the "
            f"web edition), then in a terminal:\n>\n"
            + "".join(f"> `{c}`  \n" for c in RUN_COMMANDS)
            + f">\n> and open `notebooks/{lesson.stem}.ipynb` in the JupyterLab that opens."
        ),
    }
    out = copy.deepcopy(dict(nb))
    out["cells"] = [note, *out["cells"]]
    return out


def _archive_members(notebooks: Path) -> list[tuple[Path, str]]:
    """(file on disk, name in the archive) for every file of the course archive, sorted."""
    members = []
    for entry in ARCHIVE_FILES:
        source = notebooks if entry == "notebooks" else ROOT / entry
        if source.is_file():
            members.append((source, entry))
            continue
        if not source.is_dir():
            raise SiteBuildError(
                f"the course archive needs {entry}, which is missing from {ROOT}"
            )
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            if not path.is_file() or any(
                part.startswith(".") or part == "__pycache__" for part in rel.parts
            ):
                continue
            if entry == "notebooks" and not (
                re.fullmatch(r"\d\d_.*\.ipynb", path.name) or path.suffix == ".json"
            ):
                continue
            if path.suffix in {".pyc", ".tmp"}:
                continue
            members.append((path, f"{entry}/{rel.as_posix()}"))
    return members


def build_archive(dest: Path, notebooks: Path = NOTEBOOKS) -> list[str]:
    """Write the course archive (``course.zip``, every file under ``conv-course/``) to ``dest``.

    Byte-for-byte reproducible: fixed timestamps and order. Returns the names it holds.
    """
    import zipfile

    names = []
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, name in _archive_members(notebooks):
            info = zipfile.ZipInfo(
                f"{ARCHIVE_FOLDER}/{name}", date_time=(2020, 1, 1, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, path.read_bytes())
            names.append(name)
    return names


# ---------------------------------------------------------------------------------------------
# 3. Landing page


def _inline_markdown(text: str) -> str:
    """A one-paragraph markdown puzzle as HTML: escaped, `code` and *emphasis* kept."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])", r"<em>\1</em>", out)


def lesson_table_html(lessons: list[Lesson]) -> str:
    """The landing page's lesson table: number, title (linked to its page), puzzle, time."""
    rows = []
    for lesson in lessons:
        rows.append(
            "<tr>"
            f'<td class="course-lesson-number">{html.escape(lesson.number)}</td>'
            f'<td><a class="course-lesson-title" href="{html.escape(lesson.stem)}.html">'
            f"{html.escape(lesson.short_title)}</a>"
            f'<div class="course-lesson-puzzle">{_inline_markdown(lesson.puzzle)}</div></td>'
            f'<td class="course-lesson-time">{lesson.minutes}&nbsp;min</td>'
            "</tr>"
        )
    return _spaced(
        '<table class="course-lessons">\n<thead><tr><th>#</th><th>lesson and its puzzle</th>'
        '<th class="course-lesson-time">time</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def landing_page(lessons: list[Lesson], template: str, archive_bytes: int = 0) -> str:
    """site/index.md with $lesson_table, $toctree, $first_lesson, $lesson_count, $total_hours,
    $archive (the course archive's file name), $archive_size ("2.1 MB") and $run_commands (a
    bash block) filled in."""
    toctree = "\n".join(
        ["```{toctree}", ":hidden:", ":maxdepth: 1", ""]
        + [
            f"{lesson.number} · {lesson.short_title} <{lesson.stem}>"
            for lesson in lessons
        ]
        + ["```"]
    )
    total = sum(lesson.minutes for lesson in lessons)
    table = "```{raw} html\n" + lesson_table_html(lessons) + "\n```"
    return Template(template).substitute(
        lesson_table=table,
        toctree=toctree,
        lesson_count=len(lessons),
        first_lesson=f"{lessons[0].stem}.html",
        total_hours=f"{total / 60:.1f}".rstrip("0").rstrip("."),
        archive=ARCHIVE_NAME,
        archive_size=f"{archive_bytes / 1e6:.1f} MB",
        run_commands="```bash\n" + "\n".join(RUN_COMMANDS) + "\n```",
    )


# ---------------------------------------------------------------------------------------------
# 4. Build


def copy_mathjax(dest: Path) -> None:
    """MathJax 3 from the pinned django-static-mathjax wheel (no CDN at view time)."""
    import importlib.util

    spec = importlib.util.find_spec("mathjax")
    static = (
        Path(spec.origin).parent / "static" / "mathjax"
        if spec and spec.origin
        else None
    )
    if static is None or not (static / "es5" / "tex-svg.js").is_file():
        raise SiteBuildError(
            "MathJax is not installed (package django-static-mathjax): run `make site`, "
            "which installs the pinned site extra into .venv"
        )
    for part in MATHJAX_PARTS:
        source = static / part
        if source.is_dir():
            shutil.copytree(source, dest / part, dirs_exist_ok=True)
        else:
            (dest / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / part)


def stage(
    stage_dir: Path, notebooks: Path = NOTEBOOKS, urls: Mapping[str, str] | None = None
) -> list[Lesson]:
    """Write the Sphinx source tree (config, landing page, staged notebooks, downloads and the
    course archive) into ``stage_dir``, which is emptied first (see :func:`check_replaceable`).

    Every notebook is checked before anything is written, so a missing output fails fast.
    """
    check_replaceable(stage_dir, "--stage")
    paths = lesson_notebooks(notebooks)
    if not paths:
        raise SiteBuildError(f"no lesson notebooks (NN_*.ipynb) in {notebooks}")
    urls = project_urls() if urls is None else urls
    staged = []
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        check_outputs(nb, path.name)
        lesson = read_lesson(nb, path)
        staged.append(
            (
                path,
                lesson,
                nb,
                stage_notebook(
                    nb,
                    lesson,
                    load_exercises(lesson.number),
                    launch_links(urls, path.name),
                ),
            )
        )
    _archive_members(
        notebooks
    )  # every archive file present, before anything is deleted
    replace_folder(stage_dir)
    shutil.copytree(
        SITE_SOURCES,
        stage_dir,
        ignore=shutil.ignore_patterns("__pycache__", "index.md"),
        dirs_exist_ok=True,
    )
    (stage_dir / "_extra" / "notebooks").mkdir(parents=True)
    copy_mathjax(stage_dir / "_static" / "mathjax")
    for path, lesson, original, nb in staged:
        (stage_dir / path.name).write_text(
            json.dumps(nb, ensure_ascii=False), encoding="utf-8"
        )
        (stage_dir / "_extra" / "notebooks" / path.name).write_text(
            json.dumps(
                download_notebook(original, lesson), ensure_ascii=False, indent=1
            )
            + "\n",
            encoding="utf-8",
        )
    build_archive(stage_dir / "_extra" / ARCHIVE_NAME, notebooks)
    lessons = [lesson for _, lesson, _, _ in staged]
    template = (SITE_SOURCES / "index.md").read_text(encoding="utf-8")
    (stage_dir / "index.md").write_text(
        landing_page(
            lessons, template, (stage_dir / "_extra" / ARCHIVE_NAME).stat().st_size
        ),
        encoding="utf-8",
    )
    return lessons


def _check_folders(out: Path, stage_dir: Path) -> None:
    """Refuse, before anything is written, output folders that overlap or hold a user's files."""
    if out == stage_dir or out in stage_dir.parents or stage_dir in out.parents:
        raise SiteBuildError(
            f"--out {out} and --stage {stage_dir} must be separate folders, neither inside "
            f"the other"
        )
    check_replaceable(out, "--out")
    check_replaceable(stage_dir, "--stage")


def build(
    out: Path = DEFAULT_OUT,
    stage_dir: Path = DEFAULT_STAGE,
    notebooks: Path = NOTEBOOKS,
    urls: Mapping[str, str] | None = None,
    quiet: bool = True,
) -> list[Lesson]:
    """Stage the sources and run Sphinx into ``out`` (emptied first, only if an earlier build
    made it). Returns the lessons built."""
    _check_folders(out, stage_dir)
    try:
        from sphinx.cmd.build import build_main
    except ImportError:
        raise SiteBuildError(
            "Sphinx is not installed: `make site` installs the pinned site extra into .venv "
            f"(it needs Python 3.11 or newer; this is {sys.version.split()[0]})"
        ) from None
    lessons = stage(stage_dir, notebooks, urls)
    replace_folder(out)
    args = [
        "-b",
        "html",
        "-E",
        "-d",
        str(stage_dir / "_doctrees"),
        str(stage_dir),
        str(out),
    ]
    if quiet:
        args.insert(0, "-q")
    status = build_main(args)
    if status != 0:
        raise SiteBuildError(f"sphinx-build exited with status {status}")
    return lessons


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output folder (default build/site)",
    )
    parser.add_argument(
        "--notebooks",
        type=Path,
        default=NOTEBOOKS,
        help="lesson folder (default notebooks/)",
    )
    parser.add_argument(
        "--stage",
        type=Path,
        default=DEFAULT_STAGE,
        help="Sphinx source folder (default build/site-src)",
    )
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        lessons = build(
            args.out.resolve(),
            args.stage.resolve(),
            args.notebooks.resolve(),
            quiet=not args.verbose,
        )
    except SiteBuildError as error:
        print(f"make site: FAILED: {error}", file=sys.stderr)
        return 1
    pages = len(lessons) + 1
    print(
        f"make site: {pages} pages ({len(lessons)} lessons + landing page) in "
        f"{time.perf_counter() - start:.1f} s -> {args.out}/index.html "
        f"(or: python -m http.server -d {args.out})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
