"""What a reader sees of a built book page, counted from its HTML alone (no browser).

:func:`visible_lines` counts, in the page's article (not the navigation or the sidebars),

- **code lines**: the lines of every code cell's input (``div.cell_input``) that is not folded away;
- **prose lines**: the text of every paragraph, list item, block quote, heading, definition term or
  description and table cell outside code cells, cell outputs and literal blocks, each block's text
  (whitespace collapsed) divided by :data:`LINE_CHARS` characters and rounded up, summed.

Folded away, so neither code nor prose: the inside of a closed ``<details>`` (myst-nb puts a
``hide-input`` cell's input in ``<details class="hide above-input">``; sphinx-design dropdowns) but
not its ``<summary>``, which is a button's label and counted as neither; and the body of a dropdown
admonition that sphinx-togglebutton hides (``.admonition.dropdown``: sphinx-exercise's solutions with
``:class: dropdown``), whose title stays visible and counts as prose.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from bs4 import BeautifulSoup, NavigableString, Tag

#: characters in one line of prose: the width a code line is held to in this project (PEP 8 with
#: the project's 88-column limit), so that code and prose lines are counted in the same unit
LINE_CHARS = 88

#: block elements whose text is prose; a block nested in another (a paragraph in a list item)
#: counts its own text, and its parent only the text outside it
PROSE_BLOCKS = ("p", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd", "td", "th",
                "caption", "figcaption")

#: never prose: code, outputs, literal blocks, scripts, the labels of fold buttons, heading anchors
NOT_PROSE_CLASSES = ("cell_input", "cell_output", "highlight", "output", "headerlink")
NOT_PROSE_TAGS = ("pre", "script", "style", "summary", "button", "nav", "noscript", "template")


@dataclass(frozen=True)
class Lines:
    code: int  # visible lines of code-cell input
    prose: int  # visible prose lines of LINE_CHARS characters
    hidden_code: int  # lines of code-cell input folded away (hide-input, solutions)

    def as_dict(self) -> dict:
        return asdict(self)


def _article(soup: BeautifulSoup) -> Tag:
    """The page's own content: sphinx-book-theme's ``article.bd-article``, else the main element."""
    for selector in ("article.bd-article", "[role=main]", "main", "body"):
        found = soup.select_one(selector)
        if found is not None:
            return found
    return soup


def _classes(tag: Tag) -> list[str]:
    return tag.get("class") or []


def is_folded(node, stop: Tag | None = None) -> bool:
    """Whether ``node`` is hidden until the reader unfolds something (see the module's docstring)."""
    child = node
    for parent in node.parents:
        if parent is stop:
            return False
        if parent.name == "details" and not parent.has_attr("open"):
            if not (isinstance(child, Tag) and child.name == "summary"):
                return True
        classes = _classes(parent)
        if "admonition" in classes and "dropdown" in classes:
            if not (isinstance(child, Tag) and "admonition-title" in _classes(child)):
                return True
        if "toggle-hidden" in classes:
            return True
        child = parent
    return False


def _not_prose(tag: Tag) -> bool:
    return tag.name in NOT_PROSE_TAGS or any(c in _classes(tag) for c in NOT_PROSE_CLASSES)


def code_lines(cell_input: Tag) -> int:
    """Lines of one ``div.cell_input``: its ``pre``'s text, without a trailing newline."""
    pre = cell_input.find("pre")
    text = (pre or cell_input).get_text()
    text = text.rstrip("\n")
    return len(text.split("\n")) if text.strip() else 0


def visible_lines(html: str) -> Lines:
    """Visible code lines and prose lines of one built page (see the module's docstring)."""
    soup = BeautifulSoup(html, "html.parser")
    article = _article(soup)
    code = hidden = 0
    for cell_input in article.select("div.cell_input"):
        n = code_lines(cell_input)
        if is_folded(cell_input, stop=article):
            hidden += n
        else:
            code += n
    # Each piece of text belongs to its nearest prose block; text outside any prose block (a bare
    # div's text, a figure's alt) is not prose.
    text_of: dict[int, list[str]] = {}
    for string in article.find_all(string=True):
        if type(string) is not NavigableString:
            continue  # comments, CDATA, doctype
        if not string.strip():
            continue
        block = None
        excluded = False
        for parent in string.parents:
            if parent is article:
                break
            if _not_prose(parent):
                excluded = True
                break
            if block is None and parent.name in PROSE_BLOCKS:
                block = parent
        if excluded or block is None or is_folded(string, stop=article):
            continue
        text_of.setdefault(id(block), []).append(str(string))
    prose = sum(math.ceil(len(" ".join("".join(parts).split())) / LINE_CHARS) for parts in text_of.values())
    return Lines(code=code, prose=prose, hidden_code=hidden)


def is_chapter(html: str) -> bool:
    """Whether the page is a chapter (a notebook: it has code cells)."""
    return "cell_input" in html
