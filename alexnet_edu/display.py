"""The book's one figure style, and showing figures in a notebook without bloating it.

Every figure of the book goes through :func:`show_plot` (plots, as palette PNG) or :func:`show_photos`
(photographs, as JPEG). Both lay the figure out at the width of the book's text column, with no text
smaller than :data:`MIN_FONT_PT`, so that a reader at 100 % zoom reads every label without the browser
shrinking the picture; and both write the smallest text height into the image, so that the browser
check of the built book (``tests/browser_check.py``) can measure what a reader sees.
"""

from __future__ import annotations

import io
import textwrap
import warnings
from typing import Optional

import matplotlib.pyplot as plt
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.text import Text

# The width figures are made at, in CSS pixels. The text column of the rendered book (sphinx-book-theme)
# measures 784 px in headless Chromium at a 1,400 px window (tests/browser_check.py); 720 leaves room for
# a narrower window. A figure saved at DPI dots per inch is shown at one image pixel per CSS pixel while
# it is no wider than the column; wider, the browser shrinks it, text and all.
COLUMN_PX = 720
DPI = 100
COLUMN_INCHES = COLUMN_PX / DPI

# 9 pt at 100 dpi is 12.5 image pixels, shown as 12.5 CSS pixels: 9.4 pt at the browser's 96 px per inch.
MIN_FONT_PT = 9.0

# Where the smallest text height (in image pixels) is written: a PNG text chunk, or a JPEG comment
# "key=value". The browser check reads it and multiplies by the scale at which the page shows the image.
MIN_TEXT_PX_KEY = "alexnet-edu-min-text-px"

# A figure designed wider than the column keeps at least this share of its height when it is narrowed,
# so that a row of panels does not become a row of slits.
KEEP_HEIGHT = 0.75

# A panel narrower than this (in inches) has no room for its tick labels and title at 9 pt.
MIN_PANEL_INCHES = 3.0

STYLE = {
    "figure.figsize": (COLUMN_INCHES, 3.4),
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def book_style() -> None:
    """Make the book's figure style matplotlib's default (every chapter's setup cell calls it)."""
    plt.rcParams.update(STYLE)


def _texts(fig: Figure) -> list[Text]:
    fig.canvas.draw()  # tick labels exist only once the figure has been drawn
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _regrid_row(fig: Figure, column: float) -> bool:
    """Put a row of panels too wide for the column into rows of at most two; True if it did."""
    panels = [ax for ax in fig.axes if ax.get_subplotspec() is not None]
    if len(panels) != len(fig.axes) or len(panels) < 3:
        return False  # colour bars or insets placed by hand: leave the layout to the figure's author
    grid = panels[0].get_subplotspec().get_gridspec()
    nrows, ncols = grid.get_geometry()
    if nrows != 1 or ncols != len(panels):
        return False  # a grid the author chose: it is narrowed, not rearranged
    if any(ax.get_subplotspec().get_gridspec() is not grid or ax.get_subplotspec().colspan.stop
           - ax.get_subplotspec().colspan.start != 1 for ax in panels):
        return False
    width, height = fig.get_size_inches()
    per_row = max(1, min(ncols, int(column // MIN_PANEL_INCHES)))
    rows = -(-ncols // per_row)
    row_height = height * min(1.0, max(KEEP_HEIGHT, (column / per_row) / (width / ncols)))
    new = fig.add_gridspec(rows, per_row)
    for ax in panels:
        i = ax.get_subplotspec().colspan.start
        ax.set_subplotspec(new[i // per_row, i % per_row])
    fig.set_size_inches(column, row_height * rows + (0.4 if fig._suptitle is not None else 0))
    return True


def _wrap(text: Text, width_px: float) -> None:
    """Break ``text`` into lines no wider than ``width_px`` (a title longer than its panel)."""
    extent = text.get_window_extent().width
    lines = text.get_text().split("\n")
    if extent <= width_px:
        return
    chars = max(12, int(width_px * max(map(len, lines)) / extent))  # characters that fit in width_px
    text.set_text("\n".join(textwrap.fill(line, chars) for line in lines))


def fit_to_column(fig: Figure, dpi: int = DPI) -> float:
    """Lay ``fig`` out at most as wide as the book's column, with no text below :data:`MIN_FONT_PT`.

    A row of three or more panels becomes rows of at most two; any other figure is narrowed; titles
    longer than their panel are broken into lines. Returns the smallest text height in image pixels at
    ``dpi``. Why here and not in each chapter: one style for the whole book, and no chapter forgets it.
    """
    if type(fig.canvas) is FigureCanvasBase:  # a bare Figure() draws nothing, so measures nothing
        FigureCanvasAgg(fig)
    fig.set_dpi(dpi)
    column = COLUMN_PX / dpi
    width, height = fig.get_size_inches()
    if width > column and not _regrid_row(fig, column):
        fig.set_size_inches(column, height * max(column / width, KEEP_HEIGHT))
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = axis.get_ticklabels(which="both")
            if labels and min(t.get_fontsize() for t in labels) < MIN_FONT_PT:
                axis.set_tick_params(which="both", labelsize=MIN_FONT_PT)
    for text in _texts(fig):
        if text.get_fontsize() < MIN_FONT_PT:
            text.set_fontsize(MIN_FONT_PT)
    for ax in fig.axes:
        for title in (ax.title, ax._left_title, ax._right_title):
            _wrap(title, ax.get_window_extent().width * 1.1)
    if fig._suptitle is not None:
        _wrap(fig._suptitle, fig.bbox.width * 0.98)
    if not isinstance(fig.get_layout_engine(), ConstrainedLayoutEngine):
        # constrained layout makes room for every title, label, legend and colour bar as they now are
        with warnings.catch_warnings():  # axes it cannot place (insets placed by hand) stay put
            warnings.simplefilter("ignore")
            try:
                fig.set_layout_engine("constrained")
            except RuntimeError:  # a colour bar made for another layout engine: keep that engine
                fig.tight_layout()
    for _ in range(6):  # text hanging over the edge widens the saved image: narrow until it fits
        fig.canvas.draw()
        saved = fig.get_tightbbox().width + 2 * plt.rcParams["savefig.pad_inches"]
        if saved <= column:
            break
        # a centred title hangs over both edges: narrowing by the overhang removes only half of it
        width, height = fig.get_size_inches()
        fig.set_size_inches(width - 2 * (saved - column) - 0.01, height)
    texts = _texts(fig)
    smallest = min((t.get_fontsize() for t in texts), default=MIN_FONT_PT)
    return smallest * dpi / 72


def show_plot(fig: Figure, dpi: int = DPI, colours: Optional[int] = 256) -> None:
    """Lay ``fig`` out for the column, display it as a PNG of at most ``colours`` colours, close it.

    Why a palette: the book is committed executed and no file over 1 MB goes into git; a plot has few
    colours beyond its antialiased edges, so a 256-colour palette keeps lines and text sharp (unlike
    JPEG) at about half the size of a full-colour PNG. ``colours=None`` keeps every colour, for a
    figure whose colours are the point (chapter 42's kernels).
    """
    from IPython.display import Image, display  # only needed inside a notebook
    from PIL import Image as PILImage
    from PIL.PngImagePlugin import PngInfo

    if colours is not None and not 2 <= colours <= 256:
        raise ValueError(f"a palette PNG holds 2 to 256 colours, got {colours}")
    text_px = fit_to_column(fig, dpi)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    image = PILImage.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    info = PngInfo()
    info.add_text(MIN_TEXT_PX_KEY, f"{text_px:.2f}")
    if colours is not None:
        image = image.quantize(colours, method=PILImage.Quantize.MEDIANCUT)
    png = io.BytesIO()
    image.save(png, format="png", optimize=True, pnginfo=info)
    display(Image(data=png.getvalue(), format="png"))


def show_photos(fig: Figure, dpi: int = DPI, quality: int = 85) -> None:
    """Lay ``fig`` out for the column, display it as a JPEG and close it.

    Why: the book is committed executed, and a figure of photographs stored as PNG is several times
    larger than the same figure as JPEG (line plots stay PNG: JPEG blurs thin lines and text).
    """
    from IPython.display import Image, display  # only needed inside a notebook

    if not 1 <= quality <= 95:
        raise ValueError(f"JPEG quality must be between 1 and 95, got {quality}")
    text_px = fit_to_column(fig, dpi)
    buffer = io.BytesIO()
    comment = f"{MIN_TEXT_PX_KEY}={text_px:.2f}".encode()
    fig.savefig(buffer, format="jpeg", dpi=dpi, bbox_inches="tight",
                pil_kwargs={"quality": quality, "comment": comment})
    plt.close(fig)
    display(Image(data=buffer.getvalue(), format="jpeg"))
