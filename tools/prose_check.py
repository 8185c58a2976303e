"""List the numbers a lesson's prose quotes that its own run does not show.

    python tools/prose_check.py notebooks/02_*.ipynb      # exit 1 if any number is unbacked

The rule (CONTRIBUTING.md, "Every sentence true at every seed"): each number in a Markdown
cell is backed by one of

- an output of a code cell above it (stream text, text/plain, generated Markdown or HTML),
  at the precision quoted: ``0.8133`` is backed by a printed ``0.81326``, ``54%`` by a
  printed ``0.54`` or ``54%``, ``1.7 x 10^5`` by ``1.7e+05``. A count from a run ("3 of 25
  runs", "16 of the 25 starts") needs both numbers on one printed line above it;
- a literal in the code of any cell (comments do not count): the question's own figures
  and the constants the code sets;
- the lesson's entry in the full-scale ledger (``notebooks/full_scale_results.json``);
- the lesson's allow-list, at most three entries, each with its reason, in the notebook's
  metadata: ``{"course": {"prose_allow": {"65,025": "255^2, derived in the sentence"}}}``.

Not numbers: headings, link targets and URLs, fenced code, numbers inside words and
identifiers (``conv2d``, ``float32``, ``1st``), ordered-list markers, version numbers
(``3.11.7``), references such as "lesson 02", "section 3", "exercise 2", "seeds 0-49", and
the lesson's stated time in its first cell ("**Time.** About 45 minutes"), which
``tests/test_reading_time.py`` checks against the measure of ``tools/reading_time.py``.

``tools/rerun.py --seeds`` runs this on every seed's executed notebook (a run with an
unbacked number fails), and ``tests/test_notebook_hygiene.py`` on the stored notebooks.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT / "tools") not in sys.path:  # imported from tests, or run as a script
    sys.path.insert(0, str(ROOT / "tools"))
import reading_time  # noqa: E402  (the stated-time pattern and cell sources)

LEDGER = ROOT / "notebooks" / "full_scale_results.json"
MAX_ALLOWED = 3


#: A word right before a number that makes it a reference, not a quoted measurement.
REFERENCE_WORDS = {
    "lesson", "lessons", "section", "sections", "§", "cell", "cells", "exercise",
    "exercises", "chapter", "chapters", "part", "parts", "figure", "figures", "fig",
    "table", "tables", "item", "items", "hint", "hints", "seed", "seeds",
    "python", "tensorflow", "keras", "numpy", "scipy", "pytorch", "matplotlib", "tf",
    "jupyterlab", "version", "versions", "v", "issue", "issues", "question", "questions",
    "review", "in",
}  # fmt: skip
# "in" makes "In [12]" a reference; "in 187 of 200 starts" is checked through its other words:
# a number after "in" is skipped only when it is followed by "]".
_JOINERS = re.compile(r"^\s*(?:-|–|—|,|and|or|to|&)\s*$")

_NUMBER = re.compile(
    r"(?<![\w.])"  # not inside a word or after a decimal point
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?:[eE](?P<exp>[+-]?\d+))?"
    r"(?P<pct>\s?%)?"
    r"(?!\.\d)"  # not the start of a version number such as 3.11.7
)
_BACKING = re.compile(
    r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?:[eE](?P<exp>[+-]?\d+))?(?P<pct>\s?%)?"
)
_TIMES_TEN = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:\\times|×|\\cdot|·|x)\s*10\s*\^\s*\{?\s*([+\-−]?\d+)\s*\}?"
)


# "3 of 25 runs", "16 of the 25 starts", "187 out of 200": a count from a run, which only a
# printed line holding both numbers can back (a code literal 3 says nothing about 3 runs).
_COUNT_OF = re.compile(
    r"\s+(?:out\s+)?of\s+(?:the\s+|its\s+|their\s+|all\s+)?"
    r"(\d{1,3}(?:,\d{3})+|\d+)(?![\d.])"
)


@dataclass(frozen=True)
class Quote:
    """A number as the prose writes it."""

    cell: int  # index in nb.cells
    text: str  # as written, e.g. "0.8133", "54%", "1,562"
    value: float  # absolute value (signs and ranges are written too many ways)
    tolerance: float  # half a unit in the last quoted place
    percent: bool
    context: str
    of: float | None = (
        None  # "3 of 25 runs": the total, which must be printed beside it
    )


def _parse(match: re.Match) -> tuple[float, float, bool]:
    whole = match.group("int").replace(",", "")
    frac = match.group("frac") or ""
    exp = int((match.group("exp") or "0").replace("−", "-"))
    if abs(exp) > 300:  # e.g. "69e708" inside a commit id in the ledger: backs nothing
        return math.inf, 0.0, False
    value = float(whole + frac) * 10.0**exp
    decimals = len(frac) - 1 if frac else 0
    tolerance = 0.5 * 10.0 ** (exp - decimals) * (1 + 1e-9)
    return abs(value), tolerance, bool(match.group("pct"))


def _clean_markdown(source: str) -> str:
    """The prose with what is not a quoted number removed or blanked (offsets change)."""
    text = re.sub(r"<!--.*?-->", " ", source, flags=re.S)
    text = text.replace("{,}", ",").replace("\\,", " ")  # LaTeX 1{,}562 and thin spaces
    text = re.sub(
        r"^(```|~~~).*?^\1[^\n]*$", " ", text, flags=re.S | re.M
    )  # fenced code
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    text = "\n".join(lines)
    text = reading_time.STATED_TIME.sub(
        lambda m: m.group(1), text
    )  # checked by test_reading_time
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"<https?://[^>]*>|https?://\S+", " ", text)  # bare URLs
    text = re.sub(r"<[^>\n]+>", " ", text)  # HTML tags and their attributes
    text = re.sub(r"^\s*(?:[-*+]\s+)?\d+[.)]\s", " ", text, flags=re.M)  # list markers
    # 1.7 \times 10^{5}  ->  1.7e5 ;  3x3, 20x  ->  3 × 3, 20 ×
    text = _TIMES_TEN.sub(
        lambda m: f"{m.group(1)}e{m.group(2).replace('−', '-')}", text
    )
    text = re.sub(r"(?<=\d)\s*[x×]\s*(?=\d)", " × ", text)
    text = re.sub(r"(?<=\d)[x×](?![A-Za-z])", " ×", text)
    return text


def _is_reference(
    text: str, start: int, end: int, previous_ref_end: int | None
) -> bool:
    before = text[:start]
    word = re.search(r"([A-Za-z§]+)\.?\s*(?:\[\s*)?\(?$", before)
    if word:
        name = word.group(1).lower()
        if name == "in":
            return text[end : end + 1] == "]"
        if name in REFERENCE_WORDS:
            return True
    # "lessons 00 and 01", "sections 3-5", "seeds 0-49": joined to a reference just before
    return previous_ref_end is not None and bool(
        _JOINERS.match(text[previous_ref_end:start])
    )


def _is_year(match: re.Match) -> bool:
    whole = match.group("int")
    return (
        len(whole) == 4
        and not match.group("frac")
        and not match.group("exp")
        and not match.group("pct")
        and 1950 <= int(whole) <= 2039
    )


def prose_numbers(source: str, cell: int = 0) -> list[Quote]:
    """The numbers one Markdown cell quotes (see the module docstring for what is skipped)."""
    text = _clean_markdown(source)
    quotes: list[Quote] = []
    previous_ref_end: int | None = None
    for match in _NUMBER.finditer(text):
        after = text[match.end() : match.end() + 1]
        if after.isalpha() or after == "_":  # 1st, 2D, 5k, 10px: part of a word
            previous_ref_end = None
            continue
        if _is_reference(text, match.start(), match.end(), previous_ref_end):
            previous_ref_end = match.end()
            continue
        previous_ref_end = None
        if _is_year(match):
            continue
        value, tolerance, percent = _parse(match)
        context = text[max(0, match.start() - 40) : match.end() + 40].replace("\n", " ")
        total = _COUNT_OF.match(text, match.end())
        of = float(total.group(1).replace(",", "")) if total else None
        quotes.append(
            Quote(cell, match.group(0).strip(), value, tolerance, percent, context, of)
        )
    return quotes


def backing_values(text: str) -> list[float]:
    """Every number printed in ``text`` (absolute values), generously read.

    ``1,562`` counts as 1562 and as 1 and 562 (it may be a tuple); ``54%`` as 54 and 0.54.
    """
    values: list[float] = []
    for match in _BACKING.finditer(text):
        value, _, percent = _parse(match)
        values.append(value)
        if percent:
            values.append(value / 100)
        if "," in match.group("int"):
            values.extend(float(part) for part in match.group("int").split(","))
    return values


def _strip_comments(code: str) -> str:
    """Code without its comments (a number typed into a comment backs nothing)."""
    import io
    import tokenize

    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "\n".join(line.split("#", 1)[0] for line in code.splitlines())
    return " ".join(
        tok.string for tok in tokens if tok.type not in (tokenize.COMMENT, tokenize.NL)
    )


def _output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
        return text if isinstance(text, str) else "".join(text)
    data = output.get("data", {})
    parts = []
    for kind in ("text/plain", "text/markdown", "text/html", "text/latex"):
        if kind in data:
            value = data[kind]
            parts.append(value if isinstance(value, str) else "".join(value))
    return "\n".join(parts)


def ledger_values(lesson: str, ledger_path: Path | None = None) -> list[float]:
    """The numbers of one lesson's ledger entry (figures and the run's own figures)."""
    path = LEDGER if ledger_path is None else Path(ledger_path)
    if not path.exists():
        return []
    entry = (
        json.loads(path.read_text(encoding="utf-8")).get("lessons", {}).get(lesson, {})
    )
    values: list[float] = []

    def walk(item) -> None:
        if isinstance(item, bool):
            return
        if isinstance(item, int | float) and math.isfinite(item):
            values.append(abs(float(item)))
            if 0 < abs(item) <= 1:
                values.append(abs(float(item)) * 100)  # quoted as a percentage
        elif isinstance(item, str):
            values.extend(backing_values(item))
        elif isinstance(item, dict):
            for sub in item.values():
                walk(sub)
        elif isinstance(item, list):
            for sub in item:
                walk(sub)

    walk(entry)
    return values


def _backed(quote: Quote, values: list[float]) -> bool:
    for value in values:
        if abs(value - quote.value) <= quote.tolerance:
            return True
        if quote.percent and abs(100 * value - quote.value) <= quote.tolerance:
            return True
    return False


def allow_list(nb: dict) -> dict[str, str]:
    """The notebook's allow-list: ``{number as written: reason}``."""
    allowed = nb.get("metadata", {}).get("course", {}).get("prose_allow", {})
    if not isinstance(allowed, dict):
        raise ValueError("metadata.course.prose_allow must map a number to its reason")
    return dict(allowed)


def unbacked(
    nb: dict, lesson: str | None = None, ledger_path: Path | None = None
) -> list[Quote]:
    """The quoted numbers of ``nb`` (a notebook as a dict) that nothing backs.

    Args:
        nb: the notebook (``nbformat`` node or plain dict), executed.
        lesson: its two-digit number, to read its ledger entry (``None``: no ledger).
        ledger_path: the ledger file (default ``notebooks/full_scale_results.json``).
    """
    cells = nb["cells"]
    code_values: list[float] = []
    for cell in cells:
        if cell["cell_type"] == "code":
            source = (
                cell["source"]
                if isinstance(cell["source"], str)
                else "".join(cell["source"])
            )
            code_values.extend(backing_values(_strip_comments(source)))
    fixed = code_values + (ledger_values(lesson, ledger_path) if lesson else [])
    allowed = allow_list(nb)
    above: list[float] = []
    lines: list[
        list[float]
    ] = []  # the numbers of each printed line, for "N of M" counts
    missing: list[Quote] = []
    for index, cell in enumerate(cells):
        source = cell["source"]
        source = source if isinstance(source, str) else "".join(source)
        if cell["cell_type"] == "code":
            for output in cell.get("outputs", []):
                text = _output_text(output)
                above.extend(backing_values(text))
                lines.extend(backing_values(line) for line in text.splitlines())
        elif cell["cell_type"] == "markdown":
            for quote in prose_numbers(source, index):
                if quote.text in allowed:
                    continue
                if quote.of is not None:
                    total = Quote(0, "", quote.of, 0.5, False, "")
                    if any(_backed(quote, ln) and _backed(total, ln) for ln in lines):
                        continue
                elif _backed(quote, above) or _backed(quote, fixed):
                    continue
                missing.append(quote)
    return missing


def lesson_of(path: Path) -> str | None:
    """'02' for notebooks/02_recovering_a_gaussian_blur.ipynb."""
    match = re.match(r"(\d\d)_", Path(path).name)
    return match.group(1) if match else None


def describe(quotes: list[Quote]) -> list[str]:
    return [f"cell {q.cell}: {q.text}  ...{q.context.strip()}..." for q in quotes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--ledger", type=Path, default=None, help="default: " + str(LEDGER)
    )
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"no such notebook: {path}")
    status = 0
    for path in args.notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        missing = unbacked(nb, lesson_of(path), args.ledger)
        allowed = allow_list(nb)
        print(f"{path.name}: {len(missing)} unbacked number(s), {len(allowed)} allowed")
        for line in describe(missing):
            print("  " + line)
        if missing or len(allowed) > MAX_ALLOWED:
            status = 1
        if len(allowed) > MAX_ALLOWED:
            print(f"  more than {MAX_ALLOWED} allow-list entries")
    return status


if __name__ == "__main__":
    sys.exit(main())
