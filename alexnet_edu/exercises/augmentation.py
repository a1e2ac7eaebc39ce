"""Checkers for the augmentation chapter (13)."""

from __future__ import annotations

import math
from typing import Sequence

from ._common import report as _report
from ..paper import PCA_ALPHA_STD as _PCA_ALPHA_STD
from ..transforms import PCA_SCALES as _PCA_SCALES
from ..transforms import distinct_patches as _distinct_patches


def check_distinct_patches(image_size: int, crop_size: int, answer: int, flips: bool = True) -> bool:
    """Augmentation: how many different training inputs random ``crop_size``×``crop_size`` crops of an
    ``image_size``×``image_size`` image make, with their horizontal reflections (``flips=True``) or without.
    """
    try:
        image_size, crop_size = int(image_size), int(crop_size)
    except (TypeError, ValueError):
        return _report(False, "image_size and crop_size must be integers.")
    try:
        truth = _distinct_patches(image_size, crop_size, flips=flips)
    except ValueError as err:
        return _report(False, f"No patches: {err}.")
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of patches as one integer.")
    positions = image_size - crop_size + 1
    per = 2 if flips else 1
    what = f"{crop_size}×{crop_size} crops of a {image_size}×{image_size} image" + (
        ", with reflections" if flips else ", without reflections")
    if given == truth:
        factor = "·2 reflections" if flips else ""
        return _report(True, f"{what}: {positions} positions per axis ({image_size} − {crop_size} + 1), "
                             f"{positions}·{positions}{factor} = {truth:,} patches.")
    if positions > 1 and given == (positions - 1) ** 2 * per:
        hint = ("That counts how far the crop can move from its first position (the translations), as the "
                "paper's 2048 does; the first position is a patch too: count the offsets 0, 1, 2, … at which "
                "the crop still fits.")
    elif flips and given == positions ** 2:
        hint = "Each patch also has its horizontal reflection."
    elif not flips and given == positions ** 2 * 2:
        hint = "This question leaves the reflections out."
    elif given in (positions * per, positions):
        hint = "The crop moves along both axes: the offsets of the two axes multiply."
    elif flips and given == positions ** 2 * 4:
        hint = "Only horizontal reflections: the paper does not turn images upside down."
    elif given == (image_size - crop_size) * per or given == (image_size - crop_size) ** 2 * 4:
        hint = "Count offsets per axis first, then multiply the two axes, then the reflections."
    else:
        hint = "Count the offsets at which the crop fits along one axis, then combine the two axes and the reflections."
    return _report(False, f"{given:,} is not the number of distinct patches for {what}. {hint}")


def _aug_rms(magnitudes: Sequence[float], alpha_std: float, value_range: float) -> float:
    return alpha_std * value_range * math.sqrt(sum(m * m for m in magnitudes))


def check_pca_shift_rms(eigval: Sequence[float], answer: float, scale: str = "eigval",
                        alpha_std: float = _PCA_ALPHA_STD, value_range: float = 255.0) -> bool:
    """PCA colour augmentation: the root-mean-square length of the RGB vector Δ = Σ_i α_i m_i p_i added to
    every pixel, with α_i ~ N(0, ``alpha_std``²), orthonormal eigenvectors p_i, and m_i = λ_i
    (``scale="eigval"``, the paper's formula) or m_i = √λ_i (``scale="stddev"``, Krizhevsky's code), for
    eigenvalues λ_i of pixels scaled to [0, 1], in the units of an image whose [0, 1] pixel 1 is
    ``value_range`` (255: grey levels). RMS length means √E[‖Δ‖²].
    """
    if scale not in _PCA_SCALES:
        return _report(False, f"scale must be one of {', '.join(_PCA_SCALES)}.")
    try:
        lam = [float(v) for v in eigval]
        alpha_std, value_range, given = float(alpha_std), float(value_range), float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give three eigenvalues and your answer as numbers.")
    if len(lam) != 3 or any(v < 0 for v in lam):
        return _report(False, "An RGB covariance has three eigenvalues, none negative.")
    if alpha_std < 0 or value_range <= 0:
        return _report(False, "alpha_std must be ≥ 0 and value_range > 0.")
    stddev = [math.sqrt(v) for v in lam]
    mags = lam if scale == "eigval" else stddev
    truth = _aug_rms(mags, alpha_std, value_range)

    def near(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=0.02, abs_tol=1e-9)

    if near(given, truth):
        return _report(True, f"√E‖Δ‖² = σ·{value_range:g}·√(Σ m_i²) = {truth:.4g} ({scale}): the three components "
                             f"are orthogonal, so their mean squares add; one channel gets {truth / math.sqrt(3):.3g} "
                             f"on average.")
    other = "stddev" if scale == "eigval" else "eigval"
    wrong = [
        (truth / math.sqrt(3), "That is the RMS shift of one channel; the question asks for the length of the "
                               "whole RGB vector."),
        (_aug_rms(stddev if scale == "eigval" else lam, alpha_std, value_range),
         f"That is the {other!r} convention: here m_i = {'λ_i' if scale == 'eigval' else '√λ_i'}."),
        (truth / value_range, f"That is in units of [0, 1] pixels; give it in the image's units "
                              f"(a [0, 1] pixel of 1 is {value_range:g})."),
        (alpha_std * value_range * sum(mags), "The components are orthogonal: their lengths add in quadrature "
                                              "(squares add), not linearly."),
        (alpha_std ** 2 * value_range * math.sqrt(sum(m * m for m in mags)),
         "σ = 0.1 is the standard deviation of α, not its variance."),
        (alpha_std ** 2 * value_range ** 2 * sum(m * m for m in mags), "That is the mean square; take its root."),
        (alpha_std * value_range * max(mags), "All three components contribute, not only the first."),
    ]
    for value, hint in wrong:
        if not near(value, truth) and near(given, value):
            return _report(False, f"{given:.4g} is not the RMS shift. {hint}")
    return _report(False, f"{given:.4g} is not the RMS shift for {scale!r}. E‖Δ‖² = Σ_i E[α_i²] m_i² for "
                          f"orthonormal p_i; then convert to the image's units.")
