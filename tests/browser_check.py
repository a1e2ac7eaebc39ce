"""Open every page of a built book in headless Chromium and list what a reader would see broken.

    python tests/browser_check.py [BOOK_HTML] [--out DIR] [--pages PATTERN ...]

BOOK_HTML (default ``_build/html``) is served over http on 127.0.0.1; every request to another host is
blocked (and reported), so the check sees the book as a reader without internet does. Each ``.html``
page is opened at a 1400 x 900 viewport; once MathJax has typeset it, the check collects

- ``mathjax``: a TeX error (``mjx-merror``, "Math input error", an undefined macro that MathJax's
  ``noundefined`` package shows in red), or math on a page where MathJax did not load or typeset;
- ``link``: an ``<a href>`` to a local page or file that does not exist, or to an ``#anchor`` with no
  such id on its target page;
- ``image``: an ``img`` whose file is missing or that the browser could not decode (naturalWidth 0);
- ``console``: a JavaScript error (a ``console.error`` message or an uncaught exception);
- ``request``: a request to a host other than the local server (a CDN), or a local request that
  failed (404, ...);
- ``widget``: a Jupyter widget output (myst-nb writes ``<script type="application/vnd.jupyter.widget-
  view+json">`` and relies on the ipywidgets HTML manager to draw it next to the script) with nothing
  drawn;
- ``figure``: a chapter figure (an ``img`` in a cell output) whose smallest text is shown smaller than
  :data:`MIN_TEXT_CSS_PX`, or that carries no text size (it was not made by ``alexnet_edu.display``);
- ``overflow``: code or printed output wider than the column, which scrolls sideways (the book's
  style sheet, ``alexnet_edu/book_static/alexnet-edu.css``, wraps it).

It saves a full-page screenshot per page (JPEG: a PNG of a 30,000 px page is tens of MB), as the page
looks on arrival, with folded content folded; the figures are measured afterwards, with every fold
opened. It prints one line per page, a summary, writes ``report.json`` beside the screenshots and exits
with 1 when anything failed. Each page's visible code and prose lines (``tests/book_html.py``) are in the
report too.

Importable: :func:`check_book` returns the report as a dict. Needs ``playwright`` (Python) and a
Chromium; it uses the system's ``/usr/bin/chromium`` (or ``$CHROMIUM``) and never downloads one.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import functools
import html as html_lib
import http.server
import json
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator, Optional
from urllib.parse import unquote, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import book_html  # noqa: E402
from alexnet_edu.display import MIN_FONT_PT, MIN_TEXT_PX_KEY  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 900}

# The smallest text a figure may show, in CSS pixels. 9 pt is the smallest type the book allows
# (alexnet_edu.display.MIN_FONT_PT); a CSS pixel is 1/96 inch and a point 1/72 inch, so
# 9 pt = 9 * 96 / 72 = 12 CSS px. The browser draws a figure's text at (its height in image pixels) x
# (the figure's shown width / its width in image pixels).
MIN_TEXT_CSS_PX = MIN_FONT_PT * 96 / 72
# Where alexnet_edu.display writes the smallest text height, in image pixels: a PNG text chunk of this
# key, or a JPEG comment "key=value".
MIN_TEXT_KEY = MIN_TEXT_PX_KEY

# Screenshots: JPEG quality, and the tallest page captured whole (Chromium renders a taller capture
# as blank tiles); a taller page is captured down to this height, and the report says so.
SCREENSHOT_QUALITY = 70
SCREENSHOT_MAX_PX = 60000

MATHJAX_TIMEOUT_MS = 60000
WIDGET_WAIT_MS = 3000
KINDS = ("mathjax", "link", "image", "console", "request", "widget", "figure", "overflow")


# ----------------------------------------------------------------------------------------------------
# Serving the book

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 at a free port; yields the base URL (ending in ``/``)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def local_file(url: str, base: str, folder: Path) -> Optional[Path]:
    """The file of ``folder`` that a URL on the local server names (None for another host)."""
    if not url.startswith(base):
        return None
    path = unquote(urlsplit(url).path)[len(urlsplit(base).path):]
    target = folder / path
    if path == "" or path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target


# ----------------------------------------------------------------------------------------------------
# Figures

def min_text_px(image_file: Path) -> Optional[float]:
    """The smallest text height in image pixels that alexnet_edu.display wrote into a figure, or None."""
    from PIL import Image

    with Image.open(image_file) as image:
        info = dict(image.info)
    value = info.get(MIN_TEXT_KEY)
    if value is None:
        comment = info.get("comment", b"")
        if isinstance(comment, bytes):
            comment = comment.decode("latin-1")
        match = re.search(re.escape(MIN_TEXT_KEY) + r"=([0-9.]+)", comment or "")
        value = match.group(1) if match else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# ----------------------------------------------------------------------------------------------------
# One page

_REFRESH = re.compile(r"""<meta[^>]+http-equiv=["']?refresh["']?[^>]+content=["'][^"';]*;\s*url=([^"']+)""", re.I)
_IDS = re.compile(r"""\b(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@functools.lru_cache(maxsize=512)
def _ids(path: Path) -> frozenset:
    text = path.read_text(errors="replace")
    return frozenset(html_lib.unescape(a or b) for a, b in _IDS.findall(text))


_WAIT_MATHJAX = """async (timeout) => {
  const mj = window.MathJax;
  if (!mj || !mj.startup || !mj.startup.promise) return false;
  await Promise.race([mj.startup.promise, new Promise(r => setTimeout(r, timeout))]);
  return true;
}"""

_MATH = """() => {
  const mj = window.MathJax;
  const errors = [];
  const tex = (s) => (s || '').replace(/\\s+/g, ' ').trim().slice(0, 80);
  // MathJax's own record of every expression it typeset: a TeX error is an merror node; an undefined
  // macro, which MathJax 3's default noundefined package draws as its name in red, a red mtext
  if (mj && mj.startup && mj.startup.document && mj.startup.toMML) {
    for (const item of mj.startup.document.math) {
      let mml = '';
      try { mml = mj.startup.toMML(item.root); } catch (e) { continue; }
      const merror = /<merror[^>]*data-mjx-error="([^"]*)"/.exec(mml) || (mml.includes('<merror') ? [0, 'error'] : null);
      if (merror) errors.push(`TeX error "${merror[1]}" in ${tex(item.math)}`);
      const undefinedMacro = /<mtext[^>]*mathcolor="red"[^>]*>(\\\\[^<]*)<\\/mtext>/.exec(mml);
      if (undefinedMacro) errors.push(`undefined macro ${undefinedMacro[1]} in ${tex(item.math)}`);
    }
  }
  for (const e of document.querySelectorAll('mjx-merror')) {
    const message = e.getAttribute('data-mjx-error') || 'error';
    if (!errors.some(x => x.includes(message))) errors.push(`mjx-merror "${message}"`);
  }
  if (document.body && document.body.innerText.includes('Math input error')) errors.push('"Math input error"');
  // math that MathJax never found (unbalanced braces hide the closing delimiter): its TeX shows raw
  const raw = [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container'));
  const typeset = document.querySelectorAll('mjx-container').length;
  if (typeset) for (const e of raw.slice(0, 10)) errors.push(`not typeset, raw TeX shown: ${tex(e.textContent)}`);
  return {
    errors,
    math: document.querySelectorAll('.math').length,
    typeset,
    loaded: !!(mj && mj.version && mj.startup),
    version: mj && mj.version ? mj.version : null,
  };
}"""

_LINKS_AND_IMAGES = """() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => [a.getAttribute('href'), a.href]),
  images: [...document.images].map(i => ({src: i.getAttribute('src') || '', url: i.currentSrc || i.src,
    complete: i.complete, natural: i.naturalWidth})),
})"""

_LOAD_IMAGES = """async () => {
  for (const i of document.images) i.loading = 'eager';
  await Promise.all([...document.images].map(i => i.complete ? 0 :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); setTimeout(r, 10000); })));
}"""

_WIDGETS = """() => [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')].map(s => {
  let model = '?';
  try { model = JSON.parse(s.textContent).model_id; } catch (e) {}
  const box = s.parentElement;
  const drawn = [...box.children].filter(e => e !== s && e.tagName !== 'SCRIPT');
  const size = drawn.reduce((n, e) => { const r = e.getBoundingClientRect(); return n + r.width * r.height; }, 0);
  const text = drawn.map(e => e.innerText || '').join('').trim().length;
  const controls = drawn.reduce((n, e) => n + e.querySelectorAll('input, select, button, canvas, img, svg').length, 0);
  return {model, drawn: drawn.length, size, content: text + controls};
})"""

_EMPTY_WIDGET_ELEMENTS = """() => [...document.querySelectorAll('.jupyter-widgets, .widget-subarea')]
  .filter(e => !e.closest('.jupyter-widgets') || e.closest('.jupyter-widgets') === e)
  .filter(e => { const r = e.getBoundingClientRect(); return r.width * r.height === 0 || !e.children.length; })
  .map(e => e.className).slice(0, 20)"""

_UNFOLD = """() => {
  for (const d of document.querySelectorAll('details')) d.open = true;
  for (const e of document.querySelectorAll('.toggle-hidden')) e.classList.remove('toggle-hidden');
}"""

# code and printed output wider than the column scroll sideways (the book's style sheet wraps them)
_OVERFLOW = """() => [...document.querySelectorAll('div.cell_input pre, div.cell_output pre, div.highlight pre')]
    .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth + 1)
    .map(p => (p.textContent.split('\\n').find(l => l.trim()) || '').trim().slice(0, 60))"""

_FIGURES = """() => [...document.querySelectorAll('.cell_output img')].map(i => {
  const r = i.getBoundingClientRect();
  return {url: i.currentSrc || i.src, src: i.getAttribute('src'), natural: i.naturalWidth, shown: r.width};
})"""


def _short(url: str, base: str) -> str:
    return url[len(base):] if url.startswith(base) else url


def check_page(context, base: str, folder: Path, rel: str, shot: Optional[Path]) -> dict:
    """Open one page and return its result: failures (kind, message), lines, screenshot, timing."""
    started = time.perf_counter()
    failures: list[tuple[str, str]] = []
    blocked: list[str] = []
    failed_local: list[str] = []
    console: list[str] = []
    page = context.new_page()

    def on_console(msg):
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        text = msg.text
        if text.startswith("Failed to load resource") and (not where.startswith(base) or where in failed_local):
            return  # reported as a request
        console.append(f"{text[:300]}" + (f" ({_short(where, base)})" if where else ""))

    def on_response(response):
        if response.url.startswith(base) and response.status >= 400:
            failed_local.append(response.url)
            failures.append(("request", f"{response.status} {_short(response.url, base)}"))

    def on_failed(request):
        if request.url.startswith(base) and request.url not in failed_local:
            failed_local.append(request.url)
            failures.append(("request", f"failed ({request.failure}) {_short(request.url, base)}"))

    page.on("console", on_console)
    page.on("pageerror", lambda err: console.append(f"uncaught {err.name}: {err.message[:300]}"))
    page.on("response", on_response)
    page.on("requestfailed", on_failed)

    def route(r):
        url = r.request.url
        if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
            r.continue_()
        else:
            blocked.append(url)
            r.abort("blockedbyclient")

    page.route("**/*", route)
    url = base + rel
    result: dict = {"page": rel}
    source = folder / rel
    text = source.read_text(errors="replace")
    redirect = _REFRESH.search(text)
    if redirect:  # a redirect page (jupyter-book's index.html): its target must exist; nothing to show
        page.close()
        target = local_file(urljoin(url, html_lib.unescape(redirect.group(1)).strip()), base, folder)
        result["redirect"] = redirect.group(1)
        failures = [] if target is not None and target.is_file() else [("link", f"redirect to missing {redirect.group(1)}")]
        result.update(failures=[{"kind": k, "message": m} for k, m in failures], chapter=False,
                      lines=book_html.Lines(0, 0, 0).as_dict(), seconds=round(time.perf_counter() - started, 2))
        return result
    try:
        page.goto(url, wait_until="load", timeout=120000)
        page.evaluate(_WAIT_MATHJAX, MATHJAX_TIMEOUT_MS)
        page.evaluate(_LOAD_IMAGES)
        # --- MathJax
        math = page.evaluate(_MATH)
        result["mathjax"] = {k: math[k] for k in ("math", "typeset", "loaded", "version")}
        failures += [("mathjax", e) for e in math["errors"]]
        if math["math"] and not math["loaded"]:
            failures.append(("mathjax", f"MathJax not loaded on a page with {math['math']} math elements"))
        elif math["math"] and not math["typeset"]:
            failures.append(("mathjax", f"MathJax typeset none of the page's {math['math']} math elements"))
        # --- widgets: the HTML manager (if it loads) draws each view next to its script
        widgets = page.evaluate(_WIDGETS)
        if widgets and not all(w["drawn"] for w in widgets):
            page.wait_for_timeout(WIDGET_WAIT_MS)
            widgets = page.evaluate(_WIDGETS)
        for w in widgets:
            if not w["drawn"] or not w["size"] or not w["content"]:
                failures.append(("widget", f"empty widget box (model {w['model']}): nothing drawn; the page "
                                           "shows a blank output"))
        for cls in page.evaluate(_EMPTY_WIDGET_ELEMENTS):
            failures.append(("widget", f"empty widget element .{cls.split()[0]}"))
        # --- links and images
        found = page.evaluate(_LINKS_AND_IMAGES)
        page_ids = None
        for href, absolute in found["links"]:
            if not href or href.startswith(("mailto:", "javascript:", "tel:")) or href == "#":
                continue
            if not absolute.startswith(base):
                continue  # a link to another site is the reader's click, not a request; not checked
            target = local_file(absolute, base, folder)
            fragment = unquote(urlsplit(absolute).fragment)
            if target is None or not target.is_file():
                failures.append(("link", f"{href} -> missing {_short(absolute.split('#')[0], base)}"))
                continue
            if fragment and not fragment.startswith(":~:") and target.suffix == ".html":
                if target == folder / rel:
                    if page_ids is None:
                        page_ids = set(page.evaluate("() => [...document.querySelectorAll('[id]')].map(e => e.id)"))
                    ok = fragment in page_ids or fragment in _ids(target)
                else:
                    ok = fragment in _ids(target)
                if not ok:
                    failures.append(("link", f"{href} -> no id #{fragment} on {_short(target.as_posix(), folder.as_posix() + '/')}"))
        for img in found["images"]:
            target = local_file(img["url"], base, folder) if img["url"] else None
            if img["url"].startswith("data:"):
                target = None
            if target is not None and not target.is_file():
                failures.append(("image", f"missing file {img['src']}"))
            elif img["complete"] and img["natural"] == 0 or not img["url"]:
                failures.append(("image", f"not shown (naturalWidth 0) {img['src'][:120]}"))
        # --- screenshot, as the page arrives (folds closed)
        if shot is not None:
            shot.parent.mkdir(parents=True, exist_ok=True)
            height = page.evaluate("() => document.documentElement.scrollHeight")
            result["height_px"] = height
            if height > SCREENSHOT_MAX_PX:
                result["screenshot_cut_at_px"] = SCREENSHOT_MAX_PX
                page.screenshot(path=str(shot), type="jpeg", quality=SCREENSHOT_QUALITY,
                                clip={"x": 0, "y": 0, "width": VIEWPORT["width"], "height": SCREENSHOT_MAX_PX})
            else:
                page.screenshot(path=str(shot), type="jpeg", quality=SCREENSHOT_QUALITY, full_page=True)
            result["screenshot"] = str(shot)
        # --- figures, with every fold open
        page.evaluate(_UNFOLD)
        page.evaluate(_LOAD_IMAGES)
        result["figures"] = []
        for fig in page.evaluate(_FIGURES):
            target = local_file(fig["url"], base, folder)
            entry = {"src": fig["src"], "natural_px": fig["natural"], "shown_css_px": round(fig["shown"], 1)}
            result["figures"].append(entry)
            if target is None or not target.is_file() or not fig["natural"]:
                continue  # reported as an image
            if target.suffix.lower() not in (".png", ".jpg", ".jpeg"):
                continue  # vector figures scale with the page
            px = min_text_px(target)
            entry["min_text_px"] = px
            if px is None:
                failures.append(("figure", f"{fig['src']}: no text size in the image (made without "
                                           "alexnet_edu.display.show_plot/show_photos)"))
                continue
            if not fig["shown"]:
                continue  # not laid out even unfolded
            css = px * fig["shown"] / fig["natural"]
            entry["min_text_css_px"] = round(css, 2)
            if css < MIN_TEXT_CSS_PX:
                failures.append(("figure", f"{fig['src']}: smallest text {css:.2f} CSS px < {MIN_TEXT_CSS_PX:g} "
                                           f"({px:g} image px, shown at {fig['shown']:.0f} of {fig['natural']} px)"))
        for first_line in page.evaluate(_OVERFLOW):
            failures.append(("overflow", f"code or output wider than the column scrolls sideways: {first_line}"))
    except Exception as err:  # a page that cannot be opened is a failure of that page, not of the run
        failures.append(("console", f"the check could not finish the page: {type(err).__name__}: {err}"[:400]))
    finally:
        page.close()
    failures += [("console", c) for c in console]
    for blocked_url in dict.fromkeys(blocked):
        failures.append(("request", f"request to a non-local host blocked: {blocked_url[:200]}"))
    result["failures"] = [{"kind": k, "message": m} for k, m in dict.fromkeys(failures)]
    result["chapter"] = book_html.is_chapter(text)
    result["lines"] = book_html.visible_lines(text).as_dict()
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


# ----------------------------------------------------------------------------------------------------
# A whole book

def pages_of(folder: Path, patterns: Optional[list[str]] = None) -> list[str]:
    """Every ``.html`` page under ``folder`` (relative, posix), outside ``_static``/``_sources``/``_images``."""
    pages = []
    for path in sorted(folder.rglob("*.html")):
        rel = path.relative_to(folder).as_posix()
        if rel.split("/")[0] in ("_static", "_sources", "_images", "_downloads"):
            continue
        if patterns and not any(fnmatch.fnmatch(rel, p) for p in patterns):
            continue
        pages.append(rel)
    return pages


def launch(playwright):
    """Headless system Chromium (never a downloaded one), fresh profile."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"no Chromium at {CHROMIUM}: install it (Debian: apt-get install chromium) "
                                "or set CHROMIUM to its path")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def check_book(folder: Path | str = "_build/html", out: Path | str | None = "_build/screenshots",
               patterns: Optional[list[str]] = None, progress: bool = True, echo=print) -> dict:
    """Check every page of the built book in ``folder``; screenshots and ``report.json`` in ``out``."""
    from playwright.sync_api import sync_playwright

    folder = Path(folder).resolve()
    if not (folder / "index.html").is_file() and not any(folder.glob("*.html")):
        raise FileNotFoundError(f"{folder} holds no built book (no .html page)")
    out = Path(out).resolve() if out is not None else None
    pages = pages_of(folder, patterns)
    started = time.perf_counter()
    results = []
    _ids.cache_clear()
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(pages), unit="page", file=sys.stderr, leave=False)
        echo = bar.write
    with serve(folder) as base, sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = launch(p)
        try:
            context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1,
                                          service_workers="block")
            for rel in pages:
                shot = out / (rel[:-len(".html")] + ".jpg") if out is not None else None
                result = check_page(context, base, folder, rel, shot)
                results.append(result)
                lines = result["lines"]
                head = f"{'OK  ' if not result['failures'] else 'FAIL'} {rel} ({result['seconds']:.1f} s"
                if result["chapter"]:
                    head += f"; code {lines['code']} lines, prose {lines['prose']} lines"
                echo(head + ")")
                for f in result["failures"]:
                    echo(f"       {f['kind']}: {f['message']}")
                if bar is not None:
                    bar.update()
            context.close()
        finally:
            browser.close()
            if bar is not None:
                bar.close()
    counts = {k: sum(f["kind"] == k for r in results for f in r["failures"]) for k in KINDS}
    report = {
        "book": str(folder),
        "pages": results,
        "failed_pages": sum(bool(r["failures"]) for r in results),
        "failures_by_kind": counts,
        "min_text_css_px": MIN_TEXT_CSS_PX,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    return report


def failures_on(report: dict, page: str, kind: Optional[str] = None) -> list[str]:
    """The failure messages of one page (its relative path) in a report, of one kind or all."""
    for r in report["pages"]:
        if r["page"] == page:
            return [f["message"] for f in r["failures"] if kind is None or f["kind"] == kind]
    raise KeyError(f"no page {page} in the report ({[r['page'] for r in report['pages']]})")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("book", nargs="?", default="_build/html", help="the built book's html folder")
    parser.add_argument("--out", default=None, help="screenshots and report.json (default: "
                        "_build/screenshots for _build/html, else <book>/../screenshots)")
    parser.add_argument("--pages", nargs="*", help="only the pages matching these patterns (e.g. 'book/2*')")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (there is none "
                        "unless stderr is a terminal); one line per page is printed either way")
    args = parser.parse_args(argv)
    book = Path(args.book)
    out = Path(args.out) if args.out else (Path("_build/screenshots") if book.resolve() == Path("_build/html").resolve()
                                           else book.resolve().parent / "screenshots")
    try:
        report = check_book(book, out, args.pages, progress=not args.no_progress and sys.stderr.isatty())
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    counts = ", ".join(f"{k} {n}" for k, n in report["failures_by_kind"].items() if n) or "none"
    print(f"{len(report['pages'])} pages in {report['seconds']:.0f} s: {report['failed_pages']} with failures "
          f"({counts}); screenshots and report.json in {out}")
    return 1 if report["failed_pages"] else 0


if __name__ == "__main__":
    sys.exit(main())
