"""A Sphinx extension for the HTML book: exercises numbered within their chapter ("Exercise 23.2"),
code that wraps at the column (``book_static/alexnet-edu.css``), and each script loaded once.

sphinx-exercise numbers exercises through Sphinx's figure numbering, which counts across the whole book
unless the table of contents is numbered; a numbered table of contents would number the chapters 1, 2,
3, ... and not by their file names, which the book's prose uses ("chapter 32"). So, once Sphinx has
assigned its numbers, each chapter's exercises are renumbered (chapter, position within the chapter),
where the chapter's number is the two digits that start its file name. Enabled in ``_config.yml``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

STATIC = Path(__file__).parent / "book_static"

CHAPTER_FILE = re.compile(r"(?:^|/)(\d\d)_[^/]*$")


def chapter_number(docname: str) -> int | None:
    """The chapter number of a document (``book/23_lrn`` → 23), or None for pages without one."""
    match = CHAPTER_FILE.search(docname)
    return int(match.group(1)) if match else None


def renumber_exercises(app: Any, env: Any) -> list[str]:
    """Replace the book-wide exercise numbers by (chapter, position in the chapter)."""
    for docname, kinds in env.toc_fignumbers.items():
        chapter = chapter_number(docname)
        exercises = kinds.get("exercise")
        if chapter is None or not exercises:
            continue
        in_order = sorted(exercises, key=lambda node_id: exercises[node_id])
        kinds["exercise"] = {node_id: (chapter, i) for i, node_id in enumerate(in_order, start=1)}
    return []


def load_each_script_once(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Drop a page's repeated script entries.

    Why: sphinx-thebe adds its inline ``const THEBE_JS_URL = ...`` after the builder has started, and
    Sphinx 7.4 then lists it twice (once with the file name None, once ''), so every page raised
    "Identifier 'THEBE_JS_URL' has already been declared" in the browser.
    """
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"][:] = unique


def add_static_path(app: Any) -> None:
    """Serve ``book_static`` (the style sheet) beside the book's own static files."""
    app.config.html_static_path.append(str(STATIC))


def setup(app: Any) -> dict[str, Any]:
    # Sphinx assigns figure numbers in its own env-get-updated handler (priority 500); run after it.
    app.connect("env-get-updated", renumber_exercises, priority=900)
    app.connect("builder-inited", add_static_path)
    app.add_css_file("alexnet-edu.css")
    app.connect("html-page-context", load_each_script_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
