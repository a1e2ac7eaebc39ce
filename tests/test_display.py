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
