"""Figures of photographs are shown as JPEG, plots as palette PNG, and both are closed."""

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image as PILImage  # noqa: E402

from alexnet_edu import display  # noqa: E402


def _photo_figure():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.imshow(np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8))
    return fig


def test_show_photos_displays_a_jpeg_smaller_than_the_png_and_closes_the_figure(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig = _photo_figure()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=90, bbox_inches="tight")
    display.show_photos(fig)
    assert not plt.fignum_exists(fig.number)
    (image,) = shown
    decoded = PILImage.open(io.BytesIO(image.data))
    assert decoded.format == "JPEG"
    assert len(image.data) < len(png.getvalue())


def test_show_photos_rejects_a_quality_pillow_would_misread():
    with pytest.raises(ValueError, match="between 1 and 95"):
        display.show_photos(_photo_figure(), quality=100)
    plt.close("all")


def test_show_plot_displays_a_palette_png_smaller_than_the_full_colour_one(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.linspace(0, 10, 400)
    for k in range(6):
        ax.plot(x, np.sin(x + k), label=f"curve {k}")
    ax.legend()
    display.fit_to_column(fig)  # what show_plot does first; then the same figure, full colour
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=100, bbox_inches="tight")
    display.show_plot(fig)
    assert not plt.fignum_exists(fig.number)
    (image,) = shown
    decoded = PILImage.open(io.BytesIO(image.data))
    full = PILImage.open(io.BytesIO(png.getvalue()))
    assert decoded.format == "PNG" and decoded.mode == "P" and decoded.size == full.size
    assert len(image.data) < len(png.getvalue())
    # the plot's colours survive: every pixel within a few levels of the full-colour one on average
    error = np.abs(np.asarray(decoded.convert("RGB"), float) - np.asarray(full.convert("RGB"), float))
    assert error.mean() < 2


def test_show_plot_rejects_a_palette_png_cannot_hold():
    with pytest.raises(ValueError, match="2 to 256"):
        display.show_plot(plt.figure(), colours=300)
    plt.close("all")


def _wide_figure(fontsize=7):
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.9))
    for ax in axes:
        ax.plot(np.arange(10))
        ax.set_title("a panel", fontsize=fontsize)
        ax.legend(["curve"], fontsize=fontsize - 1)
        ax.tick_params(labelsize=fontsize - 2)
    return fig


def test_fit_to_column_puts_a_row_of_four_panels_in_two_rows_and_raises_small_text():
    fig = _wide_figure()
    text_px = display.fit_to_column(fig)
    width, height = fig.get_size_inches()
    assert display.COLUMN_INCHES * 0.9 <= width <= display.COLUMN_INCHES
    # four 4-inch panels, 3.9 in high → two rows of two 3.6-inch panels, each 3.9 × 3.6/4 in high
    assert height == pytest.approx(2 * 3.9 * (display.COLUMN_INCHES / 2) / 4)
    rows = sorted({round(ax.get_position().y0, 2) for ax in fig.axes})
    columns = sorted({round(ax.get_position().x0, 2) for ax in fig.axes})
    assert len(rows) == 2 and len(columns) == 2
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text()]
    assert min(sizes) == display.MIN_FONT_PT
    assert text_px == pytest.approx(display.MIN_FONT_PT * display.DPI / 72)
    plt.close(fig)


def test_fit_to_column_narrows_two_panels_and_breaks_a_title_longer_than_its_panel():
    fig, axes = plt.subplots(1, 2, figsize=(14, 4))
    axes[0].set_title("a title far longer than the panel it sits on once the figure fits the column")
    display.fit_to_column(fig)
    width, height = fig.get_size_inches()
    assert display.COLUMN_INCHES * 0.9 <= width <= display.COLUMN_INCHES
    assert height == pytest.approx(4 * display.KEEP_HEIGHT)  # 14 → 7.2 in keeps 51 %: held at 75 %
    assert "\n" in axes[0].get_title() and "\n" not in axes[1].get_title()
    plt.close(fig)


def test_show_plot_writes_a_column_wide_png_with_its_smallest_text(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    display.show_plot(_wide_figure())
    image = PILImage.open(io.BytesIO(shown[0].data))
    # the saved image, margins and any text over the edge included, fits the column
    assert display.COLUMN_PX * 0.9 <= image.size[0] <= display.COLUMN_PX + 2  # rounding of the last pixel
    assert float(image.info[display.MIN_TEXT_PX_KEY]) == pytest.approx(12.5)


def test_show_photos_writes_its_smallest_text_as_a_jpeg_comment(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig = _photo_figure()
    fig.axes[0].set_title("a photo", fontsize=14)
    display.show_photos(fig)
    comment = PILImage.open(io.BytesIO(shown[0].data)).info["comment"].decode()
    key, value = comment.split("=")
    # the title is 14 pt, the tick labels the style's default: the smallest text is what counts
    assert key == display.MIN_TEXT_PX_KEY and float(value) < 14 * display.DPI / 72


def test_the_book_style_sets_no_font_below_the_minimum():
    display.book_style()
    for key in ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize", "ytick.labelsize",
                "legend.fontsize", "figure.titlesize"):
        assert matplotlib.font_manager.FontProperties(size=plt.rcParams[key]).get_size_in_points() \
            >= display.MIN_FONT_PT, key
    assert plt.rcParams["figure.figsize"][0] * plt.rcParams["figure.dpi"] <= display.COLUMN_PX


def test_a_figure_with_a_colour_bar_of_another_layout_is_still_fitted():
    # matplotlib refuses to switch such a figure to constrained layout; it keeps its own layout
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    image = axes[0].imshow(np.random.default_rng(0).random((5, 5)))
    fig.colorbar(image, ax=axes[0])
    fig.tight_layout()
    assert display.fit_to_column(fig) >= display.MIN_FONT_PT * display.DPI / 72
    assert fig.get_size_inches()[0] <= display.COLUMN_INCHES
    plt.close(fig)


def test_a_bare_figure_is_measured_and_fitted_too():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3))  # no pyplot: its canvas draws nothing until one is attached
    ax = fig.subplots()
    ax.set_title("a centred title long enough to hang over both edges of a narrowed figure " * 2)
    display.fit_to_column(fig)
    saved = fig.get_tightbbox().width + 2 * plt.rcParams["savefig.pad_inches"]
    assert saved <= display.COLUMN_INCHES + 1e-6


def test_show_plot_keeps_every_colour_when_asked(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    fig, ax = plt.subplots(figsize=(3, 3))
    ax.imshow(np.random.default_rng(0).random((40, 40, 3)))  # thousands of colours
    display.show_plot(fig, colours=None)
    image = PILImage.open(io.BytesIO(shown[0].data))
    assert image.mode == "RGB" and len(image.getcolors(maxcolors=1 << 20)) > 256
    assert float(image.info[display.MIN_TEXT_PX_KEY]) > 0
