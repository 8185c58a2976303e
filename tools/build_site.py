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
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any, Mapping

ROOT = Path(__file__).resolve().parent.parent
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


class SiteBuildError(Exception):
    """The site cannot be built from the files as they are; the message says which file and why."""


@dataclass(frozen=True)
class Lesson:
    """One lesson as the landing page and the sidebar show it, read from its notebook."""

    number: str  # "01"
    stem: str  # "01_learning_an_edge_kernel": the page is <stem>.html
    title: str  # the notebook's first heading, as written
    short_title: str  # "Learning the [-1, 1] edge kernel": for the sidebar
    puzzle: str  # the "The puzzle." paragraph, markdown
    minutes: int  # time to work through it


# ---------------------------------------------------------------------------------------------
# 1. Stored outputs must be there


def _source(cell: Mapping[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


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


def read_lesson(nb: Mapping[str, Any], path: Path) -> Lesson:
    """Title, puzzle and time to work through it, from the notebook's first markdown cell."""
    first = next(
        (_source(c) for c in nb.get("cells", []) if c.get("cell_type") == "markdown"),
        "",
    )
    heading = re.search(r"^#\s+(.+?)\s*$", first, re.M)
    if not heading:
        raise SiteBuildError(
            f"{path.name}: the first markdown cell has no '# title' heading"
        )
    title = heading.group(1)
    short = re.sub(r"^(lesson\s+)?\d+\s*[:·.\-–—]\s*", "", title, flags=re.I)
    short = short.split(": ")[0].strip()
    short = short[:1].upper() + short[1:]
    time_match = re.search(r"\*\*Time[^*]*\*\*[^0-9\n]*?(\d+)\s*min", first, re.I)
    if not time_match:
        raise SiteBuildError(
            f"{path.name}: the first cell does not state the time to work through the lesson "
            f"(expected a line like '**Time.** About 40 minutes'); the landing page lists it"
        )
    puzzle_match = re.search(
        r"\*\*The puzzle\.?\*\*\s*(.+?)(?:\n\s*\n|\Z)", first, re.S
    )
    puzzle = " ".join(puzzle_match.group(1).split()) if puzzle_match else ""
    return Lesson(
        number=path.name[:2],
        stem=path.stem,
        title=title,
        short_title=short,
        puzzle=puzzle,
        minutes=int(time_match.group(1)),
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


def run_box_html(lesson: Lesson, links: list[tuple[str, str]]) -> str:
    """The "Run this lesson" box under a lesson's title."""
    notebook = f"{lesson.stem}.ipynb"
    buttons = [
        f'<a class="course-button course-download" href="notebooks/{notebook}" download>'
        f"Download {html.escape(notebook)}</a>"
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
    return (
        '<aside class="course-run-box" aria-label="Run this lesson">\n'
        '<p class="course-run-title">Run this lesson</p>\n'
        "<p>This page is the notebook as last run (quick scale, seed 0): every output and figure is "
        "the stored one. To run it yourself, type <code>make lab</code> in a clone of the course "
        "(it sets up <code>.venv</code> with the pinned packages and opens JupyterLab), then open "
        f"<code>{html.escape(notebook)}</code>.</p>\n"
        f'<p class="course-buttons">{" ".join(buttons)}</p>\n{colab}</aside>'
    )


_CELL_IDS = itertools.count(1)
_CHECK_CALL = re.compile(r"\bex\[(\d+)\]\.check\(")


def stage_notebook(
    nb: Mapping[str, Any],
    lesson: Lesson,
    exercises: Mapping[int, Any],
    links: list[tuple[str, str]],
) -> dict:
    """The notebook as the site shows it: stderr removed, run box and exercise help added."""
    staged = copy.deepcopy(dict(nb))
    cells = []
    placed: set[int] = set()
    title_done = False
    for index, cell in enumerate(staged["cells"]):
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
        cells.append(cell)
        if not title_done and cell.get("cell_type") == "markdown":
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
                            exercise_html(exercises[number]), "course-exercise-help"
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
                _raw_html_cell(exercise_html(exercises[n]), "course-exercise-help")
            )
    staged["cells"] = cells
    return staged


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
    return (
        '<table class="course-lessons">\n<thead><tr><th>#</th><th>lesson and its puzzle</th>'
        '<th class="course-lesson-time">time</th></tr></thead>\n<tbody>\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>"
    )


def landing_page(lessons: list[Lesson], template: str) -> str:
    """site/index.md with $lesson_table, $toctree, $first_lesson, $lesson_count and $total_hours filled in."""
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
    """Write the Sphinx source tree (config, landing page, staged notebooks) into ``stage_dir``.

    Every notebook is checked before anything is written, so a missing output fails fast.
    """
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
                stage_notebook(
                    nb,
                    lesson,
                    load_exercises(lesson.number),
                    launch_links(urls, path.name),
                ),
            )
        )
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    shutil.copytree(
        SITE_SOURCES,
        stage_dir,
        ignore=shutil.ignore_patterns("__pycache__", "index.md"),
    )
    (stage_dir / "_extra" / "notebooks").mkdir(parents=True)
    copy_mathjax(stage_dir / "_static" / "mathjax")
    for path, lesson, nb in staged:
        (stage_dir / path.name).write_text(
            json.dumps(nb, ensure_ascii=False), encoding="utf-8"
        )
        shutil.copy2(
            path, stage_dir / "_extra" / "notebooks" / path.name
        )  # the download, byte for byte
    lessons = [lesson for _, lesson, _ in staged]
    template = (SITE_SOURCES / "index.md").read_text(encoding="utf-8")
    (stage_dir / "index.md").write_text(
        landing_page(lessons, template), encoding="utf-8"
    )
    return lessons


def build(
    out: Path = DEFAULT_OUT,
    stage_dir: Path = DEFAULT_STAGE,
    notebooks: Path = NOTEBOOKS,
    urls: Mapping[str, str] | None = None,
    quiet: bool = True,
) -> list[Lesson]:
    """Stage the sources and run Sphinx into ``out`` (emptied first). Returns the lessons built."""
    lessons = stage(stage_dir, notebooks, urls)
    try:
        from sphinx.cmd.build import build_main
    except ImportError:
        raise SiteBuildError(
            "Sphinx is not installed: `make site` installs the pinned site extra into .venv "
            f"(it needs Python 3.11 or newer; this is {sys.version.split()[0]})"
        ) from None
    if out.exists():
        shutil.rmtree(out)
    doctrees = stage_dir.parent / (stage_dir.name + "-doctrees")
    args = ["-b", "html", "-E", "-d", str(doctrees), str(stage_dir), str(out)]
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
