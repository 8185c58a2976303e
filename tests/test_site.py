"""The web edition, built once into build/site/ exactly as `make site` builds it, then checked:

- as files: one page per notebook titled "Lesson NN · Title", figures byte for byte as stored
  with the sentence after each as alt text, every stored stdout on its page, no test harness
  (nbval markers or tags, "[to do] ... not attempted"), lesson downloads that say they need the
  course folder, a course archive with what `make lab` needs (`make -n lab` run in it), the
  JupyterLab settings `make lab` ships, no script, style or image from another host;
- in a real browser, at 1400 and 390 px: every page loads in headless Chromium from a server
  on 127.0.0.1 without one request to another host; no element past the page's edge, no code
  or output block cut off, 88-character code lines fit at 1400 px; every image loaded with a
  describing alt text; every formula rendered by the local MathJax; no console error; prev/next
  links in order; printing opens folded solutions; search finds "0.8133" and two-word terms
  down to their section; the course archive downloads from the landing page. Screenshots of
  every page at both widths go to build/site-screenshots/ (whole pages with
  SITE_SCREENSHOTS=full) for a person to look at.

The browser tests need the Debian/Ubuntu `chromium` package (driven through Playwright's Python
package, which downloads no browser of its own); without it they are skipped with a message
saying how to install it.
"""

from __future__ import annotations

import base64
import collections
import functools
import hashlib
import html
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "site"
SHOTS = ROOT / "build" / "site-screenshots"
sys.path.insert(0, str(ROOT / "tools"))

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: Headless Chromium as root needs --no-sandbox; the rest stop it calling Google's hosts on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: Console errors that are not the site's fault, each with the reason. (None known today: the
#: site ships a favicon, so Chromium's automatic /favicon.ico request does not 404.)
HARMLESS_CONSOLE_ERRORS: dict[str, str] = {}

NO_CHROMIUM = (
    "no Chromium found, so the browser test of the web edition is skipped: install it with "
    "`sudo apt-get install chromium` (Debian/Ubuntu; .ci/run does this), then run `make test`"
)
# CI installs Chromium (.ci/run), so there a missing browser is a failure, not a skip.
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI") != "true", reason=NO_CHROMIUM
)


def _notebook(lesson) -> dict:
    return json.loads(
        (ROOT / "notebooks" / f"{lesson.stem}.ipynb").read_text(encoding="utf-8")
    )


def _outputs(nb: dict):
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            yield from cell.get("outputs", [])


def test_one_page_per_notebook_named_after_it(built_site):
    assert [lesson.stem for lesson in built_site] == [
        p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    ]
    for name in ["index.html", "search.html"] + [
        f"{lesson.stem}.html" for lesson in built_site
    ]:
        assert (SITE / name).is_file(), name


def test_figures_are_the_stored_pngs_byte_for_byte(built_site):
    served = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (SITE / "_images").glob("*.png")
    }
    for lesson in built_site:
        stored = [
            base64.b64decode("".join(o["data"]["image/png"]))
            for o in _outputs(_notebook(lesson))
            if "image/png" in o.get("data", {})
        ]
        missing = [
            i
            for i, png in enumerate(stored)
            if hashlib.sha256(png).hexdigest() not in served
        ]
        assert not missing, (
            f"{lesson.stem}: stored figures {missing} are not on the site as stored"
        )
        page = (SITE / f"{lesson.stem}.html").read_text(encoding="utf-8")
        assert '<img alt="_images/' not in page, (
            f"{lesson.stem}: a file name as alt text"
        )
        alts = [
            html.unescape(a)
            for a in re.findall(r'<img alt="([^"]*)" src="_images/', page)
        ]
        assert len(alts) == len(stored), f"{lesson.stem}: figure count"


def test_each_figure_is_described_by_the_sentence_after_it(built_site):
    """Alt text = first sentence of the Markdown cell after the figure (or "Figure n of lesson
    NN" where there is none), in page order, never a file name."""
    import build_site

    for lesson in built_site:
        nb = _notebook(lesson)
        expected = [  # one alt per figure output (a cell may draw several)
            alt
            for index, alt in build_site.figure_alts(nb["cells"], lesson.number).items()
            for output in nb["cells"][index]["outputs"]
            if set(output.get("data", {}))
            & {"image/png", "image/jpeg", "image/svg+xml"}
        ]
        page = (SITE / f"{lesson.stem}.html").read_text(encoding="utf-8")
        alts = [
            html.unescape(a)
            for a in re.findall(r'<img alt="([^"]*)" src="_images/', page)
        ]
        assert alts == expected, lesson.stem
        for alt in alts:
            assert alt.strip() and not re.search(
                r"\.(png|jpe?g|svg|gif)$", alt, re.IGNORECASE
            )


def test_the_reader_sees_no_test_harness(built_site):
    """No nbval marker or tag, no "[to do] ... not attempted" output, on any page."""
    for name in ["index.html"] + [f"{lesson.stem}.html" for lesson in built_site]:
        page = (SITE / name).read_text(encoding="utf-8")
        assert "NBVAL" not in page, f"{name}: an nbval marker in the page"
        assert "tag_nbval" not in page, f"{name}: an nbval cell tag in the page"
        assert not re.search(r"\[to do\]\s*Exercise \d+ not attempted", page), name


def test_every_lesson_page_is_titled_lesson_nn_title(built_site):
    for lesson in built_site:
        page = (SITE / f"{lesson.stem}.html").read_text(encoding="utf-8")
        title = html.unescape(
            re.search(r"<title>(.*?)</title>", page, re.DOTALL).group(1)
        )
        assert title.startswith(f"Lesson {lesson.number} · "), title
        h1 = re.search(r"<h1>([^<]*)<a class=\"headerlink\"", page).group(1)
        assert re.sub(r"<[^>]+>", "", html.unescape(h1)).strip() == lesson.page_title


_NOT_ATTEMPTED = re.compile(r"\[to do\]\s*Exercise \d+ not attempted", re.IGNORECASE)

# Sphinx turns straight quotes in rendered Markdown into typographic ones.
# Sphinx's smart typography turns quotes, "..." and "--" into their typeset forms
_PLAIN_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...",
     "\u2013": "--", "\u2014": "---"}
)  # fmt: skip


def test_every_stored_text_output_is_on_its_page_and_no_stderr(built_site):
    for lesson in built_site:
        raw = (SITE / f"{lesson.stem}.html").read_text(encoding="utf-8")
        nb = _notebook(lesson)
        tables = sum(
            "| --- |" in "".join(c["source"])
            for c in nb["cells"]
            if c["cell_type"] == "markdown"
        )
        tables += sum(
            "| --- |" in "".join(o.get("data", {}).get("text/markdown", ""))
            for o in _outputs(nb)
        )
        assert raw.count("<table") >= tables, (
            f"{lesson.stem}: a Markdown table is shown as text"
        )
        page = " ".join(
            html.unescape(
                re.sub(
                    r"<[^>]+>",
                    "",
                    (SITE / f"{lesson.stem}.html").read_text(encoding="utf-8"),
                )
            ).split()
        )
        for output in _outputs(_notebook(lesson)):
            data = output.get("data", {})
            if "text/markdown" in data:
                # rendered as Markdown (a generated table, say): every table cell's words are on the page
                # (list markers, heading marks and link targets are not text)
                markdown = re.sub(
                    r"^\s*(?:[-*+]|\d+\.|#+)\s+",
                    "",
                    "".join(data["text/markdown"]),
                    flags=re.MULTILINE,
                )
                markdown = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)
                cells = [
                    c
                    for line in markdown.splitlines()
                    for c in line.strip("| ").split(" | ")
                    if c and set(c) - set("-: ")
                ]
                for cell in cells:
                    # the text between formulas (a formula is on the page as \( ... \))
                    for part in re.split(r"\$\$?[^$]+\$\$?", cell):
                        words = " ".join(re.sub(r"[*`]", "", part).split())
                        assert words in page.translate(_PLAIN_QUOTES), (
                            f"{lesson.stem}: markdown output {words[:80]!r} missing"
                        )
            elif "text/plain" in data and not data.keys() & {"image/png", "text/html"}:
                text = " ".join("".join(data["text/plain"]).split())
                if _NOT_ATTEMPTED.match(
                    text
                ):  # the checker's note to a learner: hidden
                    assert text not in page, f"{lesson.stem}: {text[:80]!r} shown"
                else:
                    assert text in page, f"{lesson.stem}: result {text[:80]!r} missing"
            if output.get("output_type") == "stream":
                text = " ".join("".join(output["text"]).split())
                if output["name"] == "stdout":
                    assert text in page, f"{lesson.stem}: stdout {text[:80]!r} missing"
                elif text:
                    assert text not in page, (
                        f"{lesson.stem}: stderr {text[:80]!r} shown"
                    )


def test_each_exercise_has_its_hints_and_solution_folded_on_the_page(built_site):
    import build_site

    for lesson in built_site:
        page = (SITE / f"{lesson.stem}.html").read_text(encoding="utf-8")
        lesson_exercises = build_site.load_exercises(lesson.number)
        assert page.count('class="course-exercise-help"') == len(lesson_exercises), (
            lesson.stem
        )
        for n, exercise in lesson_exercises.items():
            assert page.count(f'course-call">ex[{n}].hint(') == max(
                1, len(exercise.hints)
            ), f"{lesson.stem} ex[{n}]"
            assert f'course-call">ex[{n}].solution()' in page
        assert not re.search(r"<details[^>]*\bopen\b", page), (
            f"{lesson.stem}: a block is unfolded"
        )


def test_going_further_sections_are_folded_under_their_heading(built_site):
    """Each optional section's heading is on the page; its body is in a closed <details>."""
    import reading_time

    found = 0
    for lesson in built_site:
        nb = json.loads(
            (ROOT / "notebooks" / f"{lesson.stem}.ipynb").read_text(encoding="utf-8")
        )
        headings = [
            line[2:].strip()
            for cell in nb["cells"]
            if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines()
            if reading_time._OPTIONAL.match(line)
        ]
        page = (SITE / f"{lesson.stem}.html").read_text(encoding="utf-8")
        assert page.count('<details class="course-going-further">') == len(headings), (
            lesson.stem
        )
        for heading in headings:
            words = re.findall(r"\w+", heading)[:3]
            assert re.search(
                r"<h2>" + r"\W+".join(words) + r".*?</h2>\s*<details "
                r'class="course-going-further">',
                page,
                re.S,
            ), f"{lesson.stem}: {heading!r} is not folded right under its heading"
        found += len(headings)
    assert found, "no lesson has a Going further section to fold"


def test_the_search_index_has_decimals_and_no_glued_table_cells(built_site):
    """The landing table's cells are separate words in the index ("0.8133", not "8133six")."""
    index = (SITE / "searchindex.js").read_text(encoding="utf-8")
    terms = json.loads(index[index.index("(") + 1 : index.rindex(")")])["terms"]
    for lesson in built_site:
        last = re.findall(r"[\w.]+", lesson.short_title)[-1].lower()
        first = re.findall(r"\w+", lesson.puzzle)[0].lower()
        assert last + first not in terms and last.split(".")[-1] + first not in terms
    quoted = {w for lesson in built_site for w in re.findall(r"\d+\.\d+", lesson.title)}
    for number in quoted:  # a decimal in a lesson title can be searched for
        assert number in terms, number


def test_each_lesson_download_is_the_stored_notebook_with_a_note_first(built_site):
    for lesson in built_site:
        download = json.loads(
            (SITE / "notebooks" / f"{lesson.stem}.ipynb").read_text(encoding="utf-8")
        )
        stored = _notebook(lesson)
        note, *cells = download["cells"]
        assert cells == stored["cells"] and download["metadata"] == stored["metadata"]
        text = "".join(note["source"])
        assert note["cell_type"] == "markdown" and "needs the course folder" in text
        assert "course.zip" in text and "make lab" in text
        page = (SITE / f"{lesson.stem}.html").read_text(encoding="utf-8")
        assert f'href="notebooks/{lesson.stem}.ipynb" download' in page
        assert 'href="course.zip" download' in page and "make lab" in page
    for stored in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):  # originals: no note
        assert "course-download-note" not in stored.read_text(encoding="utf-8")


#: What `make lab` needs from the course folder (the archive holds these and more).
LAB_NEEDS = (
    "Makefile",
    "pyproject.toml",
    "requirements.lock",
    "README.md",
    "course_utils/__init__.py",
    "data/mnist_5k.npz",
    "jupyterlab-settings/overrides.json",
)


def check_course_archive(archive: Path, lessons, tmp_path: Path) -> list[str]:
    """The course archive holds every lesson and what `make lab` needs, byte for byte, and
    `make -n lab` in the unzipped folder plans the venv and JupyterLab with the course's
    settings. Returns the archive's names."""
    import zipfile

    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert all(n.startswith("conv-course/") for n in names), names[:3]
        inside = {n.removeprefix("conv-course/") for n in names}
        wanted = set(LAB_NEEDS) | {
            f"notebooks/{lesson.stem}.ipynb" for lesson in lessons
        }
        wanted |= {
            p.relative_to(ROOT).as_posix() for p in (ROOT / "course_utils").glob("*.py")
        }
        assert wanted <= inside, f"missing from the archive: {sorted(wanted - inside)}"
        assert not [n for n in inside if "__pycache__" in n or n.endswith(".pyc")]
        for name in wanted:
            assert z.read(f"conv-course/{name}") == (ROOT / name).read_bytes(), name
        z.extractall(tmp_path)
    plan = subprocess.run(
        ["make", "-n", "lab"],
        cwd=tmp_path / "conv-course",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert plan.returncode == 0, plan.stderr
    assert "-m venv .venv" in plan.stdout and "jupyter lab notebooks/" in plan.stdout
    assert "jupyterlab-settings" in plan.stdout
    return names


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_the_course_archive_holds_what_make_lab_needs(built_site, tmp_path):
    names = check_course_archive(SITE / "course.zip", built_site, tmp_path)
    assert 'href="course.zip" download' in (SITE / "index.html").read_text("utf-8")
    print(
        f"\ncourse.zip: {len(names)} files, {(SITE / 'course.zip').stat().st_size} bytes"
    )


def test_the_course_jupyterlab_settings_turn_off_news_and_update_checks():
    """make lab points JupyterLab's application settings at jupyterlab-settings/, whose
    overrides.json sets the notification plugin's defaults (JupyterLab's own settings code)."""
    settings_utils = pytest.importorskip("jupyterlab_server.settings_utils")
    folder = ROOT / "jupyterlab-settings"
    overrides, error = settings_utils._get_overrides(str(folder))
    assert not error
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    if not (
        schemas / "@jupyterlab" / "apputils-extension" / "notification.json"
    ).is_file():
        pytest.skip("JupyterLab's schemas are not installed in this environment")
    found = settings_utils.get_settings(
        str(folder),
        str(schemas),
        str(Path(tempfile.mkdtemp())),  # an empty user-settings folder
        schema_name="@jupyterlab/apputils-extension:notification",
        overrides=overrides,
    )[0]
    props = found["schema"]["properties"]
    assert props["fetchNews"]["default"] == "false"
    assert props["checkForUpdates"]["default"] is False
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert '--LabApp.app_settings_dir="$(LAB_SETTINGS)"' in makefile
    assert "LAB_SETTINGS := $(CURDIR)/jupyterlab-settings" in makefile


def test_no_page_loads_a_script_style_font_or_image_from_another_host(built_site):
    pattern = re.compile(
        r"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//",
        re.IGNORECASE,
    )
    for page in SITE.glob("*.html"):
        found = pattern.findall(page.read_text(encoding="utf-8"))
        assert not found, f"{page.name}: {found[:3]}"
    for css in (SITE / "_static").rglob("*.css"):
        found = re.findall(
            r"@import\s+url\([\"']?https?:|url\([\"']?https?://",
            css.read_text(encoding="utf-8"),
        )
        assert not found, f"{css}: {found[:3]}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def built_site():
    """Build the site exactly as `make site` does and return its lessons (in order)."""
    import build_site

    pytest.importorskip(
        "sphinx",
        reason="the web edition needs the site extra (Sphinx 9, Python >= 3.11): `make test` installs it",
    )
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_site.py"), "--out", str(SITE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    print(
        f"\n{result.stdout.strip()} (test measured {time.perf_counter() - start:.1f} s)"
    )
    return [
        build_site.read_lesson(json.loads(p.read_text(encoding="utf-8")), p)
        for p in build_site.lesson_notebooks()
    ]


@pytest.fixture(scope="module")
def base_url(built_site):
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM, NO_CHROMIUM
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed: `make test` installs the site extra",
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


class Visit:
    """One page load with every request, failure and console message recorded."""

    def __init__(self, browser, url: str, width: int = 1280, height: int = 900):
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, service_workers="block"
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on(
            "console",
            lambda m: self.errors.append(m.text) if m.type == "error" else None,
        )
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on(
            "requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})")
        )
        self.page.on(
            "response",
            lambda r: (
                self.failed.append(f"{r.url} (HTTP {r.status})")
                if r.status >= 400
                else None
            ),
        )
        self.page.goto(url, wait_until="load")

    def _route(self, route):
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def unexpected_errors(self) -> list[str]:
        return [
            e for e in self.errors if not any(k in e for k in HARMLESS_CONSOLE_ERRORS)
        ]

    def close(self):
        self.context.close()


# Every <img>: loaded and non-empty.
_BROKEN_IMAGES = """() => [...document.images].map(img => ({src: img.getAttribute('src'),
    ok: img.complete && img.naturalWidth > 0}))"""


# Math: Sphinx writes \( \) / \[ \] inside .math elements and MathJax 3 replaces the TeX
# with an <mjx-container> holding an SVG. Rendered = every .math element holds a visible
# container, none holds an error, and no TeX is left as page text (outside code and outputs).
def _stored_math_count(notebook: Path) -> int:
    """$...$ and $$...$$ spans in the notebook's markdown cells (0 when it has no math)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    text = "\n".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )
    text = re.sub(r"`[^`]*`", "", text)
    return len(re.findall(r"\$\$.+?\$\$|\$[^$\s][^$]*?\$", text, re.DOTALL))


_MATH_STATE = r"""async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
    const boxes = [...document.querySelectorAll('span.math, div.math')];
    const rendered = boxes.filter(b => {  // (a formula in a folded TOC entry is not visible)
        const c = b.querySelector('mjx-container svg');
        return c && (c.getBoundingClientRect().width > 0 || !b.checkVisibility());
    }).length;
    const errors = document.querySelectorAll('mjx-merror, [data-mjx-error]').length;
    const walker = document.createTreeWalker(document.querySelector('main') || document.body,
                                             NodeFilter.SHOW_TEXT);
    const raw = [];
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (n.parentElement.closest('pre, code, script, style, mjx-container, .cell_output')) continue;
        const t = n.textContent;
        if (/\\\(|\\\[|\\[A-Za-z]{2,}\b/.test(t) || /\$[^$\s][^$]*[\\^_{}][^$]*\$/.test(t))
            raw.push(t.trim().slice(0, 80));
    }
    return {boxes: boxes.length, rendered, errors, raw};
}"""

# Layout at one width. "wide": elements that reach past the viewport's edges, outside the
# containers allowed to scroll sideways (tables, display math, and on phones inline math, by
# course.css) and the off-canvas sidebars; "cut": code or output blocks whose content is wider
# than their box; "fit": at a wide window, how many characters of the code font fit on a code
# cell's line (the narrowest cell).
_LAYOUT = r"""() => {
    const vw = document.documentElement.clientWidth;
    const inside = r => r.left >= -1 && r.right <= vw + 1;
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.classList.length ? '.' + [...el.classList].slice(0, 2).join('.') : '');
    const drawers = [...document.querySelectorAll('.bd-sidebar-primary, .bd-sidebar-secondary, dialog')]
        .filter(d => !inside(d.getBoundingClientRect()) || !d.checkVisibility());
    const scrollers = '.pst-scrollable-table-container, div.cell_output table, div.math, span.math';
    const wide = [];
    let checked = 0;
    for (const el of document.body.querySelectorAll('*')) {
        if (drawers.some(d => d.contains(el))) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || !el.checkVisibility()) continue;
        checked++;
        if (inside(r)) continue;
        const box = el.parentElement && el.parentElement.closest(scrollers);
        if (box && inside(box.getBoundingClientRect())) continue;
        wide.push(name(el) + ' ' + Math.round(r.left) + '..' + Math.round(r.right) + ' ' +
                  (el.textContent || '').trim().slice(0, 40));
    }
    const blocks = [...document.querySelectorAll('div.highlight pre, div.cell_output pre')];
    const cut = blocks.filter(p => p.scrollWidth > p.clientWidth + 1)
        .map(p => p.textContent.trim().slice(0, 60));
    const ctx = document.createElement('canvas').getContext('2d');
    let fit = Infinity;
    for (const p of document.querySelectorAll('div.cell_input div.highlight pre')) {
        const cs = getComputedStyle(p);
        ctx.font = cs.fontSize + ' ' + cs.fontFamily;
        const room = p.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
        fit = Math.min(fit, Math.floor(room / ctx.measureText('x').width));
    }
    const text = document.body.innerText;
    const images = [...document.querySelectorAll('main img')].map(i => i.getAttribute('alt'));
    return {vw, page: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
            checked, wide: wide.slice(0, 5), nwide: wide.length, blocks: blocks.length,
            code: document.querySelectorAll('div.cell_input div.highlight pre').length,
            outputs: document.querySelectorAll('div.cell_output > .output').length,
            cut: cut.slice(0, 5), ncut: cut.length, fit: fit === Infinity ? null : fit,
            nbval: /NBVAL/.test(text), todo: /\[to do\]/.test(text), images};
}"""

#: Screenshots of every page at every width go to build/site-screenshots/: the first screen
#: by default, the whole page with SITE_SCREENSHOTS=full (about 40 s more on two cores).
FULL_SHOTS = os.environ.get("SITE_SCREENSHOTS", "") == "full"
#: Window widths every page is checked at: a laptop and a phone (CSS pixels).
WIDTHS = (1400, 390)
#: Characters a code line may have (ruff's line length, pyproject.toml); at 1400 px they fit.
CODE_COLUMNS = 88
_FILE_NAME_ALT = re.compile(
    r"(^|/)[\w.-]+\.(png|jpe?g|svg|gif)$|^[0-9a-f]{16,}", re.IGNORECASE
)


@needs_chromium
def test_every_page_loads_offline_fits_every_width_with_images_math_and_navigation(
    built_site, base_url, browser
):
    """Every page at 1400 and 390 px: nothing wider than the page, no code or output cut off
    (88-character code lines fit at 1400 px), images loaded with a describing alt text, math
    rendered by the local MathJax, no harness text, no request to another host, no console
    error, prev/next in order. Screenshots of every page at both widths (whole pages with
    SITE_SCREENSHOTS=full)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = ["index.html"] + [f"{lesson.stem}.html" for lesson in built_site]
    report = collections.Counter()
    nav = {}
    shots = 0.0
    for width in WIDTHS:
        for name in pages:
            visit = Visit(browser, base_url + name, width=width, height=1000)
            try:
                page = visit.page
                images = page.evaluate(_BROKEN_IMAGES)
                broken = [i["src"] for i in images if not i["ok"]]
                assert not broken, f"{name}: images that did not load: {broken}"
                math = page.evaluate(_MATH_STATE)
                assert math["errors"] == 0, f"{name}: {math['errors']} MathJax errors"
                assert math["rendered"] == math["boxes"], (
                    f"{name} at {width} px: {math['boxes'] - math['rendered']} of "
                    f"{math['boxes']} formulas not rendered"
                )
                assert not math["raw"], f"{name}: TeX left as text: {math['raw'][:3]}"
                layout = page.evaluate(_LAYOUT)
                where = f"{name} at {width} px"
                assert layout["page"] <= layout["vw"], (
                    f"{where}: the page is {layout['page']} px wide: {layout['wide']}"
                )
                assert not layout["nwide"], (
                    f"{where}: {layout['nwide']} elements past the page's edge: "
                    f"{layout['wide']}"
                )
                assert not layout["ncut"], (
                    f"{where}: {layout['ncut']} code/output blocks cut off: {layout['cut']}"
                )
                if width >= 1400 and layout["fit"] is not None:
                    assert layout["fit"] >= CODE_COLUMNS, (
                        f"{where}: a code cell shows {layout['fit']} characters a line"
                    )
                assert not layout["nbval"], f"{where}: NBVAL text on the page"
                assert not layout["todo"], f"{where}: an exercise's '[to do]' shown"
                bad_alt = [
                    a for a in layout["images"] if not a or _FILE_NAME_ALT.search(a)
                ]
                assert not bad_alt, f"{where}: images without a describing alt text"
                assert not visit.blocked, (
                    f"{name}: requests to other hosts: {visit.blocked}"
                )
                assert not visit.failed, f"{name}: failed requests: {visit.failed}"
                assert not visit.unexpected_errors(), (
                    f"{name}: console errors: {visit.unexpected_errors()}"
                )
                shot = time.perf_counter()
                page.screenshot(
                    path=str(SHOTS / f"{name[:-5]}-{width}.png"), full_page=FULL_SHOTS
                )
                shots += time.perf_counter() - shot
                report["pages"] += 1
                report["elements"] += layout["checked"]
                report["code"] += layout["code"]
                report["blocks"] += layout["blocks"]
                report["outputs"] += layout["outputs"]
                report["images"] += len(layout["images"])
                report["formulas"] += math["boxes"]
                if width == WIDTHS[0]:
                    nav[name] = page.evaluate("""() => ({
                        prev: document.querySelector('a.left-prev')?.getAttribute('href') ?? null,
                        next: document.querySelector('a.right-next')?.getAttribute('href') ?? null,
                        sidebar: [...document.querySelectorAll('.bd-sidebar-primary nav a.reference.internal')]
                                  .map(a => a.getAttribute('href')),
                        copy: document.querySelectorAll('button.copybtn').length,
                        code: document.querySelectorAll('div.highlight pre').length,
                        stderr: document.querySelectorAll('.output.stderr, .stderr').length})""")
                    nav[name]["math"] = math["boxes"]
            finally:
                visit.close()

    for (
        lesson
    ) in built_site:  # a lesson whose Markdown has $...$ shows rendered formulas
        if _stored_math_count(ROOT / "notebooks" / f"{lesson.stem}.ipynb"):
            assert nav[f"{lesson.stem}.html"]["math"] > 0, lesson.stem
    # Prev/next walk the lessons in order, from the landing page to the last lesson, and resolve.
    for i, name in enumerate(pages):
        expected_prev = pages[i - 1] if i > 0 else None
        expected_next = pages[i + 1] if i + 1 < len(pages) else None
        assert nav[name]["prev"] == expected_prev, (
            f"{name}: prev -> {nav[name]['prev']}"
        )
        assert nav[name]["next"] == expected_next, (
            f"{name}: next -> {nav[name]['next']}"
        )
        sidebar = {name if href == "#" else href for href in nav[name]["sidebar"]}
        assert set(pages[1:]) <= sidebar, (
            f"{name}: sidebar lists {nav[name]['sidebar']}"
        )
        assert nav[name]["stderr"] == 0, f"{name}: a stderr output is shown"
        if name != "index.html":
            assert nav[name]["code"] > 0 and nav[name]["copy"] >= nav[name]["code"], (
                f"{name}: copy buttons {nav[name]}"
            )
    print(
        f"\nbrowser check: {report['pages']} page views ({len(pages)} pages at "
        f"{' and '.join(map(str, WIDTHS))} px), {report['elements']} elements within the "
        f"page, {report['code']} code cells and {report['blocks']} code/output blocks "
        f"({report['outputs']} outputs) not cut off, {report['images']} images with alt "
        f"text, {report['formulas']} formulas rendered; screenshots in {SHOTS} "
        f"({shots:.0f} s)"
    )


@needs_chromium
def test_print_opens_folded_solutions_and_wraps_code(built_site, base_url, browser):
    lesson = next(
        (s for s in built_site if build_site_exercises(s.number)), built_site[0]
    )
    visit = Visit(browser, f"{base_url}{lesson.stem}.html", width=900)
    try:
        visit.page.emulate_media(media="print")
        state = visit.page.evaluate("""() => {
            const folded = [...document.querySelectorAll('details:not([open]) > :not(summary)')];
            const pre = document.querySelector('div.cell_input div.highlight pre');
            return {folded: folded.length,
                    shown: folded.filter(e => e.getBoundingClientRect().height > 0).length,
                    wrap: pre ? getComputedStyle(pre).whiteSpace : null};
        }""")
        assert state["folded"] > 0 and state["shown"] == state["folded"], state
        assert state["wrap"] == "pre-wrap", state
    finally:
        visit.close()


def build_site_exercises(number: str) -> dict:
    import build_site

    return build_site.load_exercises(number)


def _search(browser, base_url: str, query: str):
    """The search page's result links once every result is placed (hrefs as shown)."""
    visit = Visit(browser, f"{base_url}search.html?q={query}")
    try:
        page = visit.page
        page.locator("#search-results li a").first.wait_for(timeout=15000)
        page.wait_for_function(
            """() => { const s = document.querySelector('#search-results .search-summary, #search-results p');
                       return s && s.textContent.trim().length > 0; }""",
            timeout=15000,
        )
        page.wait_for_function(
            """() => ![...document.querySelectorAll('#search-results li > a')]
                      .some(a => a.dataset.courseSection === 'pending')""",
            timeout=15000,
        )
        links = page.evaluate(
            "() => [...document.querySelectorAll('#search-results li > a')]"
            ".map(a => [a.getAttribute('href'), a.textContent])"
        )
        assert not visit.blocked and not visit.unexpected_errors()
        return links
    finally:
        visit.close()


def _lessons_with(built_site, *words: str) -> list[str]:
    """Stems of the lessons whose text (Markdown, code, outputs) has every word."""
    found = []
    for lesson in built_site:
        text = json.dumps(_notebook(lesson)).lower()
        if all(w.lower() in text for w in words):
            found.append(lesson.stem)
    return found


@needs_chromium
def test_search_finds_numbers_and_terms_with_section_results(
    built_site, base_url, browser
):
    """ "0.8133" (a decimal: Sphinx alone cannot find it) finds lesson 03; two-word terms
    find the lessons that have them, linked to the section where they are."""
    expected = _lessons_with(built_site, "0.8133")
    assert expected, "no lesson quotes 0.8133 any more: pick another decimal"
    links = _search(browser, base_url, "0.8133")
    hit = {href.split(".html")[0] for href, _ in links}
    assert set(expected) <= hit, links
    assert any(s.number == "03" and s.stem in hit for s in built_site), links
    for query in ("Adam epsilon", "dead ReLU"):
        expected = _lessons_with(built_site, *query.split())
        if not expected:
            continue
        links = _search(browser, base_url, query.replace(" ", "+"))
        hit = {href.split(".html")[0] for href, _ in links}
        assert set(expected) & hit, f"{query}: {links}"
        sections = [href for href, _ in links if "#" in href]
        assert sections, f"{query}: no result names a section: {links}"
        print(f"\nsearch {query!r}: {links}")


@needs_chromium
def test_the_course_archive_downloads_from_the_landing_page(
    built_site, base_url, browser, tmp_path
):
    context = browser.new_context(accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(base_url + "index.html")
        with page.expect_download(timeout=30000) as info:
            page.locator("a.course-download").first.click()
        archive = tmp_path / info.value.suggested_filename
        info.value.save_as(archive)
    finally:
        context.close()
    assert archive.name == "course.zip"
    if shutil.which("make"):
        check_course_archive(archive, built_site, tmp_path / "unzipped")


def _body_words(nb: dict, first_cell: bool = False) -> collections.Counter:
    """Words of 7+ letters in a notebook's markdown (its first cell, or all the others), code removed."""
    cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    text = cells[0] if first_cell else "\n".join(cells[1:])
    text = re.sub(r"`[^`]*`|\$[^$]*\$|\([^)]*://[^)]*\)", " ", text)
    return collections.Counter(w.lower() for w in re.findall(r"\b[A-Za-z]{7,}\b", text))


@needs_chromium
def test_search_finds_a_term_from_lesson_02(built_site, base_url, browser):
    """Full-text search: a word from lesson 02's body text (not its title, in no other lesson)."""
    lesson = next(lesson for lesson in built_site if lesson.number == "02")
    counts = _body_words(_notebook(lesson))
    elsewhere = set(_body_words(_notebook(lesson), first_cell=True))
    for other in built_site:
        if other is not lesson:
            elsewhere |= set(_body_words(_notebook(other))) | set(
                _body_words(_notebook(other), first_cell=True)
            )
    candidates = sorted((-n, w) for w, n in counts.items() if w not in elsewhere)
    assert candidates, "lesson 02 has no word of its own to search for"
    term = candidates[0][1]  # its most frequent word found nowhere else
    visit = Visit(browser, f"{base_url}search.html?q={term}")
    try:
        link = visit.page.locator(
            f'#search-results a[href^="{lesson.stem}.html"]'
        ).first
        link.wait_for(timeout=15000)
        hits = visit.page.locator("#search-results li").count()
        assert hits >= 1
        assert not visit.blocked and not visit.unexpected_errors()
        print(
            f"\nsearch for {term!r}: {hits} results, lesson 02 found ({link.get_attribute('href')})"
        )
    finally:
        visit.close()
