"""What every chapter's setup cell needs: the quick/full switch, seeding, and Colab detection."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

QUICK_ENV = "ALEXNET_EDU_QUICK"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def quick_mode() -> bool:
    """True when ``ALEXNET_EDU_QUICK`` asks for quick mode (small subsets, few steps).

    CI and ``make test`` set ``ALEXNET_EDU_QUICK=1``; unset means full mode.
    """
    value = os.environ.get(QUICK_ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(
        f"{QUICK_ENV}={os.environ[QUICK_ENV]!r} is not understood: set it to 1 for quick mode "
        f"or 0 (or leave it unset) for full mode"
    )


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and PyTorch's random number generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def in_colab() -> bool:
    """True when running inside Google Colab."""
    return "google.colab" in sys.modules
