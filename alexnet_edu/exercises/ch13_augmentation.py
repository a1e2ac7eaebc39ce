"""Checkers for chapter 13, augmentation (``book/13_augmentation.ipynb``)."""

from __future__ import annotations

import math
from typing import Sequence

from ._engine import AnswerError, Exercise, array, checker, choice, integer, judge, number, report
from ..paper import AUGMENTATION_FACTOR_STATED, PCA_ALPHA_STD as _PCA_ALPHA_STD
from ..transforms import IMAGENET_EIGVAL, PCA_SCALES as _PCA_SCALES, PCALighting
from ..transforms import distinct_patches as _distinct_patches


@checker
def check_distinct_patches(image_size: int, crop_size: int, answer: int, flips: bool = True) -> bool:
    """Augmentation: how many different training inputs random ``crop_size``×``crop_size`` crops of an
    ``image_size``×``image_size`` image make, with their horizontal reflections (``flips=True``) or without.
    """
    image_size = integer(image_size, "image_size as a whole number of pixels")
    crop_size = integer(crop_size, "crop_size as a whole number of pixels")
    try:
        truth = _distinct_patches(image_size, crop_size, flips=flips)
    except ValueError as err:
        return report(False, f"No patches: {err}.")
    given = integer(answer, "the number of patches as one integer")
    positions = image_size - crop_size + 1
    per = 2 if flips else 1
    what = f"{crop_size}×{crop_size} crops of a {image_size}×{image_size} image" + (
        ", with reflections" if flips else ", without reflections")
    factor = "·2 reflections" if flips else ""
    axes = "The crop moves along both axes: the offsets of the two axes multiply."
    per_axis = "Count offsets per axis first, then multiply the two axes, then the reflections."
    return judge(
        given, truth,
        right=f"{what}: {positions} positions per axis ({image_size} − {crop_size} + 1), "
              f"{positions}·{positions}{factor} = {truth:,} patches.",
        wrong=f"{given:,} is not the number of distinct patches for {what}.",
        misconceptions=[
            ((positions - 1) ** 2 * per if positions > 1 else None,
             "That counts how far the crop can move from its first position (the translations), as the "
             "paper's 2048 does; the first position is a patch too: count the offsets 0, 1, 2, … at which "
             "the crop still fits."),
            (positions ** 2 if flips else positions ** 2 * 2,
             "Each patch also has its horizontal reflection." if flips else
             "This question leaves the reflections out."),
            (positions * per, axes),
            (positions, axes),
            (positions ** 2 * 4 if flips else None, "Only horizontal reflections: the paper does not turn images "
                                                    "upside down."),
            ((image_size - crop_size) * per, per_axis),
            ((image_size - crop_size) ** 2 * 4, per_axis),
        ],
        otherwise="Count the offsets at which the crop fits along one axis, then combine the two axes and the "
                  "reflections.",
        rel=0, abs_=0.5,  # a count: exact (0.1 % of 2178 would let 2180 pass)
    )


def _magnitudes(eigval: Sequence[float], scale: str, value_range: float = 1.0) -> list[float]:
    """The m_i by which PCALighting multiplies α_i (λ_i or √λ_i, in units of ``value_range``)."""
    return [float(m) for m in PCALighting(eigval=eigval, scale=scale, value_range=value_range).magnitude]


def _rms(magnitudes: Sequence[float], alpha_std: float) -> float:
    """√E‖Δ‖² for Δ = Σ_i α_i m_i p_i, α_i ~ N(0, alpha_std²), orthonormal p_i."""
    return alpha_std * math.sqrt(sum(m * m for m in magnitudes))


@checker
def check_pca_shift_rms(eigval: Sequence[float], answer: float, scale: str = "eigval",
                        alpha_std: float = _PCA_ALPHA_STD, value_range: float = 255.0) -> bool:
    """PCA colour augmentation: the root-mean-square length of the RGB vector Δ = Σ_i α_i m_i p_i added to
    every pixel, with α_i ~ N(0, ``alpha_std``²), orthonormal eigenvectors p_i, and m_i = λ_i
    (``scale="eigval"``, the paper's formula) or m_i = √λ_i (``scale="stddev"``, Krizhevsky's code), for
    eigenvalues λ_i of pixels scaled to [0, 1], in the units of an image whose [0, 1] pixel 1 is
    ``value_range`` (255: grey levels). RMS length means √E[‖Δ‖²].
    """
    if scale not in _PCA_SCALES:
        raise AnswerError(f"scale must be one of {', '.join(_PCA_SCALES)}.")
    lam = array(eigval, "three eigenvalues")
    if lam.shape != (3,) or (lam < 0).any():
        raise AnswerError("An RGB covariance has three eigenvalues, none negative.")
    alpha_std = number(alpha_std, "alpha_std as a number")
    value_range = number(value_range, "value_range as a number")
    if alpha_std < 0 or value_range <= 0:
        raise AnswerError("alpha_std must be ≥ 0 and value_range > 0.")
    given = number(answer, "the RMS shift as one number")
    other = "stddev" if scale == "eigval" else "eigval"
    mags = _magnitudes(lam.tolist(), scale, value_range)
    truth = _rms(mags, alpha_std)
    return judge(
        given, truth,
        right=f"√E‖Δ‖² = σ·{value_range:g}·√(Σ m_i²) = {truth:.4g} ({scale}): the three components are "
              f"orthogonal, so their mean squares add; one channel gets {truth / math.sqrt(3):.3g} on average.",
        wrong=f"{given:.4g} is not the RMS shift for {scale!r}.",
        misconceptions=[
            (truth / math.sqrt(3), "That is the RMS shift of one channel; the question asks for the length of "
                                   "the whole RGB vector."),
            (_rms(_magnitudes(lam.tolist(), other, value_range), alpha_std),
             f"That is the {other!r} convention: here m_i = {'λ_i' if scale == 'eigval' else '√λ_i'}."),
            (truth / value_range, f"That is in units of [0, 1] pixels; give it in the image's units "
                                  f"(a [0, 1] pixel of 1 is {value_range:g})."),
            (alpha_std * sum(mags), "The components are orthogonal: their lengths add in quadrature "
                                    "(squares add), not linearly."),
            (alpha_std * truth, "σ = 0.1 is the standard deviation of α, not its variance."),
            (truth ** 2, "That is the mean square; take its root."),
            (alpha_std * max(mags), "All three components contribute, not only the first."),
        ],
        otherwise="E‖Δ‖² = Σ_i E[α_i²] m_i² for orthonormal p_i; then convert to the image's units.",
        # an answer measured by sampling PCALighting (±0.3 % with 200,000 draws) or worked out from
        # rounded eigenvalues passes; the nearest distinct misconception lies 10 % away
        rel=0.02,
    )


@checker
def check_pca_scale_factor(scale: str, answer: float, factor: float = 255.0) -> bool:
    """PCA colour augmentation: the factor by which the shift Σ_i α_i m_i p_i changes *relative to the
    pixel range* when the PCA is computed on pixels ``factor`` times larger (0–255 instead of [0, 1]) and
    the shift is added to those pixels, with the same formula and σ: m_i = λ_i (``scale="eigval"``,
    the paper's formula) or m_i = √λ_i (``scale="stddev"``, Krizhevsky's code)."""
    scale = choice(scale, _PCA_SCALES, "the scale")
    c = number(factor, "the factor between the two pixel scales as a number")
    if c <= 0:
        raise AnswerError("The factor between the two pixel scales must be positive.")
    given = number(answer, "the factor as one number")
    lam = list(IMAGENET_EIGVAL)
    small = _magnitudes(lam, scale)                              # PCA of [0, 1] pixels
    large = _magnitudes([v * c * c for v in lam], scale)         # the same pixels × c: variances × c²
    truth = large[0] / c / small[0]                              # in units of each pixel range
    if scale == "eigval":
        hints = [(c * c, "That is the change in pixel units; the pixel range grew too, by the factor of the "
                         "pixels."),
                 (1.0, "λ_i is a variance: multiplying the pixels by c multiplies it by c², not by c."),
                 (c, "")]
    else:
        hints = [(c, "That is the change in pixel units; the pixel range grew by the same factor."),
                 (c * c, "√λ_i is a standard deviation: it scales like the pixels, by c, not by c²."),
                 (1.0, "")]
    return judge(
        given, truth,
        right=(f"m_i = {'λ_i' if scale == 'eigval' else '√λ_i'} scales by "
               f"{'c²' if scale == 'eigval' else 'c'}, the range by c = {c:g}: relative to the range the shift "
               f"changes by {truth:g}."),
        wrong=f"{given:g} is not the factor for {scale!r}.",
        misconceptions=[(v, h) for v, h in hints if h] +
                       [(1 / c, "The shift does not shrink: the eigenvalues grow with the pixels.")],
        otherwise="Multiplying every pixel by c multiplies a variance λ_i by c² and a standard deviation √λ_i "
                  "by c; compare each with the range, which grows by c.",
    )


EXERCISES = [
    Exercise("aug-patches-227",
             {"patches_227": "distinct 227×227 patches of a 256×256 image, reflections included",
              "image_for_2048": "the image size n whose 224×224 crops give the paper's 2048 patches"},
             lambda patches_227, image_for_2048: all([
                 check_distinct_patches(256, 227, patches_227),
                 check_distinct_patches(image_for_2048, 224, AUGMENTATION_FACTOR_STATED)])),
    Exercise("aug-pca-rms",
             {"rms_eigval": "√E‖Δ‖² in grey levels for the ImageNet eigenvalues, the paper's m_i = λ_i",
              "rms_stddev": "the same with the code's m_i = √λ_i"},
             lambda rms_eigval, rms_stddev: all([
                 check_pca_shift_rms((0.2175, 0.0188, 0.0045), rms_eigval),
                 check_pca_shift_rms((0.2175, 0.0188, 0.0045), rms_stddev, scale="stddev")])),
    Exercise("aug-pca-scale",
             {"range_factor_eigval": "the factor by which the shift changes relative to the pixel range "
                                     "from [0, 1] to 0–255 pixels, the paper's formula",
              "range_factor_stddev": "the same for the code's formula"},
             lambda range_factor_eigval, range_factor_stddev: all([
                 check_pca_scale_factor("eigval", range_factor_eigval),
                 check_pca_scale_factor("stddev", range_factor_stddev)])),
]
