"""The browser check of the built book (tests/browser_check.py) finds what it is meant to find.

A tiny book is built with jupyter-book, with the book's local MathJax, and with one page for each kind of
failure: broken TeX, a missing image and broken links, JavaScript errors and a CDN request, and chapter
figures (an empty widget, a figure with too small text, one without its text size). The check must
report each on its page, and pass the good page.

Needs Chromium at /usr/bin/chromium (or $CHROMIUM) and the MathJax copy that `make mathjax` fetches; when
either is missing these tests are skipped, except on CI (the variable CI is set), where they fail.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import browser_check

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "_build" / "vendor"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser check must run here)")
    pytest.skip(reason)


def _png(width: int, height: int, min_text_px: float | None) -> str:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if min_text_px is not None:
        info.add_text(browser_check.MIN_TEXT_KEY, f"{min_text_px:.2f}")
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 220, 240)).save(buffer, format="png", pnginfo=info)
    return base64.b64encode(buffer.getvalue()).decode()


def _image_output(data: str) -> dict:
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": data, "text/plain": ["<IPython.core.display.Image object>"]}}


def _notebook(cells: list[tuple[str, list[dict]]]) -> str:
    nb_cells = [{"cell_type": "markdown", "metadata": {}, "source": "# Figures\n\nA chapter's figures."}]
    for n, (source, outputs) in enumerate(cells, start=1):
        nb_cells.append({"cell_type": "code", "execution_count": n, "metadata": {}, "source": source,
                         "outputs": outputs})
    return json.dumps({"cells": nb_cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}}})


PAGES = {
    "good.md": """\
        # Good

        Some math, $a^2 + b^2 = c^2$, a [link to the next page](bad_math.md), an [anchor](#good) and a
        picture:

        ![a small picture](picture.png)

        $$\\int_0^1 x \\, dx = \\tfrac{1}{2}$$
        """,
    "bad_math.md": """\
        # Bad math

        A missing argument: $\\frac{1}$.

        An undefined macro: $\\undefinedmacro x$.

        Unbalanced braces: $\\frac{1}{$.
        """,
    "bad_links.md": """\
        # Bad links

        ![a missing image](missing.png)

        <p><a href="nowhere.html">a missing page</a> and <a href="good.html#no-such-anchor">a missing
        anchor</a>.</p>
        """,
    "wide.md": """\
        # Wide

        <div class="highlight"><pre style="white-space: pre">x = [""" + ", ".join(["1000"] * 60) + """]</pre></div>
        """,
    "bad_js.md": """\
        # Bad JavaScript

        <script>console.error("boom from the page");</script>
        <script>window.addEventListener("load", () => { undefinedFunction(); });</script>
        <script src="https://cdn.example.com/library.js"></script>
        """,
}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    if not Path(browser_check.CHROMIUM).exists():
        _unavailable(f"no Chromium at {browser_check.CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the Python package playwright is not installed (make venv)")
    if not (VENDOR / "mathjax" / "tex-chtml.js").is_file():
        if shutil.which("npm") is None or shutil.which("make") is None:
            _unavailable("no local MathJax in _build/vendor and no npm to fetch it (make mathjax)")
        subprocess.run(["make", "-C", str(ROOT), "mathjax"], check=True, capture_output=True)

    book = tmp_path_factory.mktemp("tiny-book")
    (book / "_config.yml").write_text(textwrap.dedent(f"""\
        title: Tiny
        author: test
        only_build_toc_files: true
        execute:
          execute_notebooks: "off"
        parse:
          myst_enable_extensions: [dollarmath, amsmath]
        sphinx:
          extra_extensions: [alexnet_edu.book_theme]  # the book's own: each script once, code wraps
          config:
            mathjax_path: mathjax/tex-chtml.js
            html_static_path: ["{VENDOR.as_posix()}"]
            html_context:
              default_mode: auto
        """))
    (book / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: good
        chapters:
          - file: bad_math
          - file: bad_links
          - file: bad_js
          - file: wide
          - file: figures
        """))
    for name, text in PAGES.items():
        (book / name).write_text(textwrap.dedent(text))
    (book / "picture.png").write_bytes(base64.b64decode(_png(40, 30, None)))
    widget = {"output_type": "display_data", "metadata": {}, "data": {
        "application/vnd.jupyter.widget-view+json": {"model_id": "0123456789abcdef", "version_major": 2,
                                                      "version_minor": 0},
        "text/plain": ["IntSlider(value=3)"]}}
    (book / "figures.ipynb").write_text(_notebook([
        ("show_plot(fine)", [_image_output(_png(600, 200, 14.0))]),  # 14 px shown at 1:1
        ("show_plot(small)", [_image_output(_png(600, 200, 5.0))]),  # 5 px: too small
        ("plt.show()", [_image_output(_png(600, 200, None))]),  # no text size written
        ("interact(f, n=3)", [widget]),
        ("x = [" + ", ".join(["1000"] * 60) + "]", []),  # wrapped by the book's style sheet
    ]))
    out = tmp_path_factory.mktemp("tiny-html")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    build = subprocess.run([str(jupyter_book), "build", str(book), "--path-output", str(out)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    html = out / "_build" / "html"
    shots = out / "screenshots"
    return browser_check.check_book(html, shots, progress=False, echo=lambda line: None) | {"_shots": shots}


def test_a_good_page_passes_with_math_typeset_by_the_local_mathjax(report):
    assert browser_check.failures_on(report, "good.html") == []
    good = next(p for p in report["pages"] if p["page"] == "good.html")
    assert good["mathjax"]["loaded"] and good["mathjax"]["typeset"] == good["mathjax"]["math"] == 2
    assert good["mathjax"]["version"].startswith("3.")


def test_broken_tex_is_reported_on_its_page(report):
    math = browser_check.failures_on(report, "bad_math.html", "mathjax")
    assert any("Missing argument for \\frac" in m for m in math), math
    assert any("undefined macro \\undefinedmacro" in m for m in math), math
    assert any("raw TeX" in m and "\\frac{1}{" in m for m in math), math
    assert browser_check.failures_on(report, "bad_links.html", "mathjax") == []


def test_a_missing_image_and_broken_links_are_reported(report):
    images = browser_check.failures_on(report, "bad_links.html", "image")
    links = browser_check.failures_on(report, "bad_links.html", "link")
    assert any("missing.png" in m for m in images), images
    assert any("nowhere.html" in m for m in links), links
    assert any("#no-such-anchor" in m for m in links), links
    assert not any("#good" in m for m in browser_check.failures_on(report, "good.html"))


def test_javascript_errors_and_a_cdn_request_are_reported(report):
    console = browser_check.failures_on(report, "bad_js.html", "console")
    requests = browser_check.failures_on(report, "bad_js.html", "request")
    assert any("boom from the page" in m for m in console), console
    assert any("undefinedFunction" in m for m in console), console
    assert any("cdn.example.com/library.js" in m for m in requests), requests


def test_an_empty_widget_and_figures_with_small_or_unknown_text_are_reported(report):
    widgets = browser_check.failures_on(report, "figures.html", "widget")
    figures = browser_check.failures_on(report, "figures.html", "figure")
    assert len(widgets) == 1 and "0123456789abcdef" in widgets[0], widgets
    assert len(figures) == 2, figures
    assert any("smallest text 5.00 CSS px" in m for m in figures), figures
    assert any("made without alexnet_edu.display" in m for m in figures), figures
    page = next(p for p in report["pages"] if p["page"] == "figures.html")
    fine = [f for f in page["figures"] if f.get("min_text_px") == 14.0]
    assert fine and fine[0]["min_text_css_px"] == pytest.approx(14.0), page["figures"]


def test_code_wider_than_the_column_is_reported_unless_the_style_sheet_wraps_it(report):
    overflow = browser_check.failures_on(report, "wide.html", "overflow")
    assert len(overflow) == 1 and "x = [1000, 1000" in overflow[0], overflow
    assert browser_check.failures_on(report, "figures.html", "overflow") == []


def test_each_page_has_a_screenshot_lines_and_a_json_report(report):
    shots = report["_shots"]
    saved = json.loads((shots / "report.json").read_text())
    assert saved["failures_by_kind"] == report["failures_by_kind"]
    for name in ("good", "bad_math", "bad_links", "bad_js", "wide", "figures"):
        assert (shots / f"{name}.jpg").stat().st_size > 1000
    figures = next(p for p in report["pages"] if p["page"] == "figures.html")
    assert figures["chapter"] and figures["lines"]["code"] == 5
    assert report["failed_pages"] == 5


def test_the_command_exits_zero_on_a_good_page_and_one_on_a_bad_one(report, tmp_path, capsys):
    html = Path(report["book"])
    assert browser_check.main([str(html), "--pages", "good.html", "--out", str(tmp_path / "a"),
                               "--no-progress"]) == 0
    assert browser_check.main([str(html), "--pages", "bad_links.html", "--out", str(tmp_path / "b"),
                               "--no-progress"]) == 1
    out = capsys.readouterr().out
    assert "OK   good.html" in out and "FAIL bad_links.html" in out
