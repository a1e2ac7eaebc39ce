"""Showing figures of photographs in a notebook without bloating it."""

from __future__ import annotations

import io

import matplotlib.pyplot as plt
from matplotlib.figure import Figure


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
