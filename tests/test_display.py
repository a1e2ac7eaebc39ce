"""Figures of photographs are shown as JPEG and closed."""

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
