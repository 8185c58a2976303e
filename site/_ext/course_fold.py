"""Fold each "Going further" section of a lesson: its heading shows, its body opens on a click.

A lesson's main path is the story a learner finishes in the stated time; a section whose heading
starts with "Going further" is optional (``tools/reading_time.py`` leaves it out of the measure).
On the page its heading stays in place (the contents sidebar and links to it still work) and
everything under it sits in a ``<details>`` element, closed until the reader opens it. The
course's script opens every folded block for printing, and Sphinx's search indexes the folded
text like any other.
"""

from __future__ import annotations

from docutils import nodes

SUMMARY = "Optional: the lesson does not need this section. Open it to read on."


class going_further(nodes.General, nodes.Element):
    """The body of an optional section (everything after its title)."""


def visit_html(self, node: going_further) -> None:
    self.body.append(
        '<details class="course-going-further">'
        f'<summary class="course-going-further-summary">{SUMMARY}</summary>\n'
    )


def depart_html(self, node: going_further) -> None:
    self.body.append("</details>\n")


def _skip(self, node: going_further) -> None:
    pass


def is_optional(section: nodes.section) -> bool:
    title = section.next_node(nodes.title)
    return title is not None and title.astext().strip().lower().startswith(
        "going further"
    )


def fold(app, doctree: nodes.document) -> None:
    for section in list(doctree.findall(nodes.section)):
        if not is_optional(section) or not section.children:
            continue
        title, body = section.children[0], section.children[1:]
        if not isinstance(title, nodes.title) or not body:
            continue
        box = going_further()
        for child in body:
            section.remove(child)
            box += child
        section += box


def setup(app):
    app.add_node(
        going_further,
        html=(visit_html, depart_html),
        latex=(_skip, _skip),
        text=(_skip, _skip),
        man=(_skip, _skip),
        texinfo=(_skip, _skip),
    )
    app.connect("doctree-read", fold)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
