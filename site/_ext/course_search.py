"""Search that finds numbers: Sphinx's English index with decimals kept whole.

Sphinx splits "0.8133" at the dot into "0" and "8133" and drops both (all-digit words are not
indexed, and its search page skips all-digit query words too), so the loss in lesson 03's title
could not be found. Here a decimal ("0.8133", "1.545") or a thousands-grouped number ("5,000")
is one word, in the index (Python, below) and in the query (the JavaScript splitter, which
Sphinx puts into the search page's language_data.js in place of its default). Everything else
is Sphinx's English search: the same stemmer and stop words.
"""

from __future__ import annotations

import re

from sphinx.search.en import SearchEnglish

#: A decimal, a thousands-grouped number, or a word: the same rule on both sides.
WORD = r"\d+(?:\.\d+)+|\d{1,3}(?:,\d{3})+(?!\d)|\w+"
# No quotes, < > or & below: the template inserts this text escaped.
JS_SPLITTER = (
    "function splitQuery(query) {\n"
    "  return query.match(/\\d+(?:\\.\\d+)+|\\d{1,3}(?:,\\d{3})+(?!\\d)"
    "|[\\p{Letter}\\p{Number}_\\p{Emoji_Presentation}]+/gu) || [];\n"
    "}\n"
)


class SearchCourse(SearchEnglish):
    """English search in which "0.8133" is a word."""

    _word_re = re.compile(WORD)
    js_splitter_code = JS_SPLITTER


def setup(app):
    app.add_search_language(SearchCourse)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
