"""Showing figures in a notebook without bloating it: photographs as JPEG, plots as palette PNG."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


def show_plot(fig: Figure, dpi: int = 100, colours: int = 256) -> None:
    """Display ``fig`` as a PNG of at most ``colours`` colours (a palette image) and close it.

    Why: the book is committed executed and no file over 1 MB goes into git; a plot has few colours
    beyond its antialiased edges, so a 256-colour palette keeps lines and text sharp (unlike JPEG) at
    about half the size of a full-colour PNG.
    """
    from IPython.display import Image, display  # only needed inside a notebook
    from PIL import Image as PILImage

    if not 2 <= colours <= 256:
        raise ValueError(f"a palette PNG holds 2 to 256 colours, got {colours}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    image = PILImage.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    palette = io.BytesIO()
    image.quantize(colours, method=PILImage.Quantize.MEDIANCUT).save(palette, format="png", optimize=True)
    display(Image(data=palette.getvalue(), format="png"))


def show_photos(fig: Figure, dpi: int = 90, quality: int = 85) -> None:
    """Display ``fig`` as a JPEG and close it.

    Why: the book is committed executed, and a figure of photographs stored as PNG is several times
    larger than the same figure as JPEG (line plots stay PNG: JPEG blurs thin lines and text).
    """
    from IPython.display import Image, display  # only needed inside a notebook

    if not 1 <= quality <= 95:
        raise ValueError(f"JPEG quality must be between 1 and 95, got {quality}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="jpeg", dpi=dpi, bbox_inches="tight", pil_kwargs={"quality": quality})
    plt.close(fig)
    display(Image(data=buffer.getvalue(), format="jpeg"))
