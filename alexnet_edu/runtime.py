"""What every chapter's setup cell needs: the quick/full switch, seeding, Colab detection, and the
data a chapter reads, fetched where it is missing.

A chapter starts with::

    from alexnet_edu.runtime import start_chapter
    QUICK = start_chapter("23_lrn")

which seeds every generator, chooses quick or full mode, says what the chapter reads and how long
it takes (measured, from the ``chapter_times`` record), and makes sure the data is there: a copy in
the data root is used as it is; otherwise the official archive is downloaded once, with a progress
bar (in Colab into ``/content/data``, locally into the checkout's ``data/``).
"""

from __future__ import annotations

import os
import random
import sys
from typing import Optional

import numpy as np
import torch

QUICK_ENV = "ALEXNET_EDU_QUICK"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

# The datasets each chapter reads (by its file name in book/). Chapter 21 reads none.
CHAPTER_DATA: dict[str, tuple[str, ...]] = {
    "11_imagenet_metric": ("imagenette",),
    "12_preprocessing": ("imagenette",),
    "13_augmentation": ("imagenette",),
    "21_shape_arithmetic": (),
    "22_relu": ("cifar10",),
    "23_lrn": ("imagenette", "cifar10"),
    "24_overlapping_pooling": ("imagenette", "cifar10"),
    "25_architecture": ("imagenette",),
    "31_dropout": ("cifar10",),
    "32_training_recipe": ("imagenette",),
    "33_full_imagenet_training": ("imagenette",),
    "41_ten_crop": ("imagenette", "cifar10"),
    "42_first_layer": ("imagenette",),
    "43_predictions_neighbours": ("imagenette",),
    "44_inside_layers": ("imagenette",),
    "45_ensembles": ("cifar10",),
    "51_popular_accounts": (),
}
DATASET_NAMES = {"imagenette": "Imagenette", "cifar10": "CIFAR-10"}


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules


def quick_mode() -> bool:
    """True when quick mode is asked for (small subsets, few steps).

    ``ALEXNET_EDU_QUICK=1`` asks for it, ``0`` for full mode. Unset, a chapter runs in full mode,
    except in Colab, where the default is quick mode: a fresh runtime should finish a chapter in
    minutes. CI and ``make test`` set ``ALEXNET_EDU_QUICK=1``.
    """
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if not value:
        return in_colab()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{QUICK_ENV}={os.environ[QUICK_ENV]!r} is not understood: set it to 1 for quick mode "
        f"or 0 for full mode"
    )


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's random number generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def duration(seconds: Optional[float]) -> str:
    """``"45 s"``, ``"6 min"``, ``"1 h 10 min"``; ``"not measured"`` for ``None``."""
    if seconds is None:
        return "not measured"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def _chapter_times() -> dict:
    """The ``chapter_times`` record, or an empty one where it is missing."""
    from . import records

    try:
        return records.load("chapter_times")
    except records.RecordNotFoundError:
        return {}


def chapter_costs(chapter: str) -> dict[str, Optional[float]]:
    """Measured seconds of ``chapter`` in quick and full mode, on the CPU and on a GPU runtime
    (``None`` where it was not measured), from the ``chapter_times`` record."""
    measured = _chapter_times().get("chapters", {}).get(chapter, {})
    return {key: measured.get(key) for key in ("quick_cpu_s", "full_cpu_s", "quick_gpu_s", "full_gpu_s")}


def describe_chapter(chapter: str, quick: bool) -> str:
    """What a chapter reads and how long it takes, in a few short lines, for its setup cell."""
    from . import data

    if chapter not in CHAPTER_DATA:
        raise ValueError(f"unknown chapter {chapter!r}: one of {', '.join(CHAPTER_DATA)}")
    mode = (f"Quick mode: small subsets, short runs ({QUICK_ENV}=0 first for full mode)."
            if quick else f"Full mode ({QUICK_ENV}=1 first for quick mode).")
    costs, cpu = chapter_costs(chapter), _chapter_times().get("cpu", "a CPU")
    gpu = ("not measured yet" if costs["quick_gpu_s"] is None and costs["full_gpu_s"] is None else
           f"quick mode {duration(costs['quick_gpu_s'])}, full mode {duration(costs['full_gpu_s'])}")
    lines = [mode,
             f"Time on {cpu}: quick mode {duration(costs['quick_cpu_s'])}, full mode {duration(costs['full_cpu_s'])}.",
             f"Time on a GPU runtime: {gpu}."]
    needs = [f"{DATASET_NAMES[n]} ({data.archive_for(n).filename}, {data.archive_for(n).size_text} to download "
             f"if no copy is found)" for n in CHAPTER_DATA[chapter]]
    if not needs:
        lines.append("Data: none; this chapter reads no dataset.")
    for i, need in enumerate(needs):
        lines.append(("Data: " if i == 0 else "  and ") + need + ("." if i == len(needs) - 1 else ""))
    return "\n".join(lines)


def start_chapter(chapter: str, seed: int = 0, fetch: bool = True) -> bool:
    """Set a chapter up: seed, choose quick or full mode, say what it reads and costs, make sure its
    data is in the data root (downloaded once where it is missing), and set the book's figure style.
    Returns ``True`` in quick mode.
    """
    quick = quick_mode()
    print(describe_chapter(chapter, quick))
    if fetch:
        from . import data

        for name in CHAPTER_DATA[chapter]:
            _, layout = data.ensure(name)
            print(f"{DATASET_NAMES[name]}: {layout.description}.")
    seed_everything(seed)
    from .display import book_style

    book_style()  # one figure style for the whole book: the column's width, no text under 9 pt
    return quick
