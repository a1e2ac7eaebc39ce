"""Checkers for chapter 23, local response normalisation (``book/23_lrn.ipynb``).

:func:`check_lrn_value` is the book's one LRN-by-hand checker: chapter 44 uses it too.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ._engine import AnswerError, Exercise, array, checker, integer, judge, number
from ..layers import LRN_CONVENTIONS, LocalResponseNorm, convert_lrn
from ..paper import LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE


@checker
def check_lrn_alpha(alpha: float, size: int, source: str, answer: float, target: str = "paper") -> bool:
    """LRN conventions: the α to write in convention ``target`` ("paper", "cuda-convnet2", "caffe",
    "pytorch") for the layer that convention ``source`` writes with ``alpha`` and window ``size``.
    """
    if source not in LRN_CONVENTIONS or target not in LRN_CONVENTIONS:
        raise AnswerError(f"Name the conventions as one of {', '.join(LRN_CONVENTIONS)}.")
    given = number(answer, "α as one number, for example 1e-4")
    truth = convert_lrn(alpha, size, source, target)
    src, dst = LRN_CONVENTIONS[source], LRN_CONVENTIONS[target]
    how = (f"{source} multiplies Σ a² by {'α/n' if src.alpha_divided_by_size else 'α'}, "
           f"{target} by {'α/n' if dst.alpha_divided_by_size else 'α'}")
    k_note = ("" if src.default_k == dst.default_k else
              f" Remember k too: {source}'s default k is {src.default_k:g}, {target}'s is {dst.default_k:g}; "
              f"set it explicitly where the library lets you.")
    direction = (f"Right factor, wrong direction: {how}. Write both denominators out and make the "
                 f"factors in front of Σ a² equal.")
    return judge(
        given, truth,
        right=f"α = {truth:g} in {target}: {how}, with n = {size}.{k_note}",
        wrong=f"{given:g} is not the α to write in {target}.",
        misconceptions=[(alpha, f"The same number describes a different layer: {how}."),
                        (alpha * size, direction), (alpha / size, direction)],
        otherwise=f"The two layers are the same when the factors in front of Σ a² agree; {how} (n = {size}).",
    )


def _lrn(a: torch.Tensor, groups: int = 1, size: int = LRN_SIZE, alpha: float = LRN_ALPHA,
         beta: float = LRN_BETA, k: float = LRN_K) -> torch.Tensor:
    """The package's LRN of maps ``a`` (N, H, W), in float64."""
    return LocalResponseNorm(size, alpha, beta, k, groups=groups)(a[None])[0]


def _lrn_inputs(maps: Any, channel: Any, groups: Any, size: Any, k: float) -> tuple[torch.Tensor, int, int, int]:
    """:func:`check_lrn_value`'s inputs as a float64 tensor (N, H, W) and whole numbers, or a clear error."""
    try:
        a = torch.as_tensor(np.asarray(maps, dtype=np.float64))
    except (TypeError, ValueError):
        raise AnswerError("Give the maps as numbers: a list of one value per channel, or an array (N, H, W).") from None
    if a.dim() == 1:
        a = a[:, None, None]
    if a.dim() != 3 or a.shape[0] == 0:
        raise AnswerError(f"Expected one value per channel (N,) or maps (N, H, W), got shape {tuple(a.shape)}.")
    channel = integer(channel, "channel as a whole number")
    groups = integer(groups, "groups as a whole number")
    size = integer(size, "the window size n as a whole number")
    if not 0 <= channel < a.shape[0]:
        raise AnswerError(f"channel must be between 0 and {a.shape[0] - 1}.")
    if groups < 1 or a.shape[0] % groups:
        raise AnswerError(f"{a.shape[0]} channels cannot be split into {groups} equal groups.")
    if size < 1 or k <= 0:
        raise AnswerError("The window size n must be at least 1 and k positive.")
    return a, channel, groups, size


@checker
def check_lrn_value(
    maps: Any,
    channel: int,
    answer: Any,
    groups: int = 1,
    size: int = LRN_SIZE,
    alpha: float = LRN_ALPHA,
    beta: float = LRN_BETA,
    k: float = LRN_K,
) -> bool:
    """LRN by hand (§3.3): b = a / (k + α Σ a²)^β for channel ``channel``, where ``maps`` holds the
    values a^0 … a^(N−1) of all N channels at one position, shape (N,), or whole maps (N, H, W); the
    answer is one number b, or channel ``channel``'s whole normalised map (H, W). The paper's
    constants by default (k = 2, n = 5, α = 1e-4, β = 0.75, α not divided by n); ``groups=2``
    normalises the two halves of the channels separately, as the paper's two GPUs did.
    """
    a, channel, groups, size = _lrn_inputs(maps, channel, groups, size, k)
    want = tuple(a.shape[1:])
    given = array(answer, "b as a number (or, for whole maps, an array of the map's shape)", shape=want)

    def b(**change: Any) -> np.ndarray:
        """Channel ``channel`` of the LRN with some of the constants changed."""
        constants = dict(groups=groups, size=size, alpha=alpha, beta=beta, k=k) | change
        return _lrn(a, **constants)[channel].numpy()

    truth = b()
    per_group = a.shape[0] // groups
    first = channel // per_group * per_group
    lo = max(first, channel - size // 2)
    hi = min(first + per_group - 1, channel + (size - 1) // 2)
    sums = (a[lo:hi + 1] ** 2).sum(0).numpy()
    denominator = (k + alpha * sums) ** beta
    if given.size == 1:
        how = (f"Σ a² over channels {lo}..{hi} is {sums.item():g}, so the denominator is "
               f"({k:g} + {alpha:g}·{sums.item():g})^{beta:g} = {denominator.item():.6g}")
    else:
        how = f"at every position Σ a² runs over channels {lo}..{hi}"
    wrong = (f"{given.item():g} is not b for channel {channel}." if given.size == 1
             else f"Your map is not b for channel {channel}.")
    edge = "clipped at the edges of its group" if groups > 1 else "clipped at the first and last channel"
    misconceptions = [
        (b(alpha=alpha / size), "You divided α by n (α/n): that is PyTorch's and Caffe's convention; "
                                "the paper's α multiplies the plain sum of squares."),
        (b(beta=1.0), "Raise the whole denominator k + α Σ a² to the power β."),
        (b(size=1), f"The window holds n = {size} neighbouring channels, channel i among them, "
                    "not channel i alone."),
        (b(groups=1) if groups > 1 else None,
         f"The window is clipped at the edge of the channel's group: with groups={groups} each part of the "
         "channels is normalised on its own, as each GPU normalised only the maps it held."),
        (b(size=2 * a.shape[0] + 1), f"Only the {size} channels centred on channel {channel} count, "
                                     "not every channel."),
        (b(k=1.0) if k != 1 else None, f"The constant is k = {k:g} (the paper's), not PyTorch's default of 1."),
        (a[channel].numpy(), f"That is a itself: the denominator is not 1 (k alone is {k:g})."),
        (denominator, "Divide a by the denominator; you computed the denominator (or its inverse)."),
        (1 / denominator, "Divide a by the denominator; you computed the denominator (or its inverse)."),
        (1 / truth if np.all(truth != 0) else None, "You inverted the ratio: b = a / denominator."),
    ]
    return judge(
        given, truth,
        right=f"b = {truth.item():.6g}: {how}." if given.size == 1 else
              f"Channel {channel}'s map is b = a / (k + α Σ a²)^β, where {how}.",
        wrong=wrong,
        misconceptions=misconceptions,
        otherwise=f"Sum a² over the channels of its window ({size // 2} before it and {(size - 1) // 2} after, "
                  f"{edge}), then b = a / (k + α Σ a²)^β.",
    )


@checker
def check_lrn_peak(a_star: float, b_star: float, equal_maps: int = 1, alpha: float = LRN_ALPHA,
                   beta: float = LRN_BETA, k: float = LRN_K) -> bool:
    """Where LRN's response peaks: the activity ``a_star`` at which b = a / (k + α·m·a²)^β is largest
    when ``equal_maps`` = m maps of the window hold the same value a (m = 1: the neighbours are 0),
    and the largest response ``b_star`` there. The paper's constants by default; needs β > 1/2.
    """
    m = integer(equal_maps, "the number of equal maps as a whole number")
    if not beta > 0.5 or alpha <= 0 or k <= 0 or m < 1:
        raise AnswerError("A peak exists only for β > 1/2, with α and k positive and at least one map.")
    given_a = number(a_star, "a* as one number")
    given_b = number(b_star, "b(a*) as one number")

    def peak(alpha_: float = alpha) -> float:
        # db/da ∝ k + αm·a² − 2αβm·a²: zero where αm·a²·(2β − 1) = k
        return math.sqrt(k / (alpha_ * m * (2 * beta - 1)))

    truth_a = peak()
    # b at a*, by the package's layer: m equal maps, the middle one's window holding all of them
    maps = torch.full((2 * m - 1, 1, 1), truth_a, dtype=torch.float64)
    truth_b = _lrn(maps, size=2 * m - 1, alpha=alpha, beta=beta, k=k)[m - 1].item()
    ok_a = judge(
        given_a, truth_a,
        right=f"db/da = 0 where α·{m}·a²·(2β − 1) = k: a* = {truth_a:.4g}.",
        wrong=f"{given_a:g} is not a*.",
        misconceptions=[
            (peak(alpha_=alpha / LRN_SIZE), "You divided α by n: the paper's α multiplies the plain sum of squares."),
            (truth_a / math.sqrt(LRN_SIZE) if m == 1 else None,
             f"That is the peak when all {LRN_SIZE} maps of the window hold a; here the neighbours are 0, "
             "so only one square enters the sum."),
            (math.sqrt(k / (alpha * m)), "Differentiate the power too: the factor (2β − 1) comes from β."),
            (math.sqrt(k / (2 * alpha * beta * m)), "Both terms of the derivative count: k + αa² − 2αβa²."),
            (truth_a ** 2, "That is a*²: take the square root."),
        ],
        otherwise="Set db/da = 0: the derivative of a·(k + αa²)^(−β) vanishes where k + αa² = 2αβa².",
    )
    ok_b = judge(
        given_b, truth_b,
        right=f"b(a*) = {truth_b:.4g}: beyond a* a stronger input gives a weaker output.",
        wrong=f"{given_b:g} is not b(a*).",
        misconceptions=[
            (truth_a / (k + alpha * m * truth_a ** 2), "Raise the denominator k + αa² to the power β."),
            ((k + alpha * m * truth_a ** 2) ** beta, "That is the divisor; b is a divided by it."),
            (truth_a, "That is a*; the question asks for the response b there."),
        ],
        otherwise="Put a* into b = a / (k + αa²)^β.",
    )
    return ok_a and ok_b


_BY_HAND = [120, 0, 80, 200, 40, 0]

EXERCISES = [
    Exercise("lrn-convert-alpha",
             {"paper_alpha": "the paper's α for Caffe's layer with alpha 1e-4, local_size 5",
              "torch_alpha": "the alpha to pass to torch.nn.LocalResponseNorm for the same layer"},
             lambda paper_alpha, torch_alpha: all([check_lrn_alpha(1e-4, 5, "caffe", paper_alpha),
                                                   check_lrn_alpha(1e-4, 5, "caffe", torch_alpha, target="pytorch")])),
    Exercise("lrn-by-hand",
             {"b3": "b for map 3 of a = (120, 0, 80, 200, 40, 0), paper's constants",
              "b0": "b for map 0 of the same activities"},
             lambda b3, b0: all([check_lrn_value(_BY_HAND, 3, b3), check_lrn_value(_BY_HAND, 0, b0)])),
    Exercise("lrn-alpha-over-n"),
    Exercise("lrn-peak",
             {"a_star": "the activity a* of a lone map at which b peaks, paper's constants",
              "b_star": "the response b(a*) there"},
             lambda a_star, b_star: check_lrn_peak(a_star, b_star)),
]
