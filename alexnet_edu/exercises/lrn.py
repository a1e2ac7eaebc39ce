"""Checkers for the local response normalisation chapter (23)."""

from __future__ import annotations

import math
from typing import Sequence

import torch

from ._common import report as _report
from ..layers import LRN_CONVENTIONS, LocalResponseNorm, convert_lrn
from ..paper import LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE


def check_lrn_alpha(alpha: float, size: int, source: str, answer: float, target: str = "paper") -> bool:
    """LRN conventions: the α to write in convention ``target`` ("paper", "cuda-convnet2", "caffe",
    "pytorch") for the layer that convention ``source`` writes with ``alpha`` and window ``size``.
    """
    if source not in LRN_CONVENTIONS or target not in LRN_CONVENTIONS:
        return _report(False, f"Name the conventions as one of {', '.join(LRN_CONVENTIONS)}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give α as one number, for example 1e-4.")
    truth = convert_lrn(alpha, size, source, target)
    src, dst = LRN_CONVENTIONS[source], LRN_CONVENTIONS[target]
    how = (f"{source} multiplies Σ a² by {'α/n' if src.alpha_divided_by_size else 'α'}, "
           f"{target} by {'α/n' if dst.alpha_divided_by_size else 'α'}")
    k_note = ("" if src.default_k == dst.default_k else
              f" Remember k too: {source}'s default k is {src.default_k:g}, {target}'s is {dst.default_k:g}; "
              f"set it explicitly where the library lets you.")
    if math.isclose(given, truth, rel_tol=1e-6):
        return _report(True, f"α = {truth:g} in {target}: {how}, with n = {size}.{k_note}")
    if math.isclose(given, alpha, rel_tol=1e-6):
        hint = f"The same number describes a different layer: {how}."
    elif math.isclose(given, alpha * size, rel_tol=1e-6) or math.isclose(given, alpha / size, rel_tol=1e-6):
        hint = (f"Right factor, wrong direction: {how}. Write both denominators out and make the "
                f"factors in front of Σ a² equal.")
    else:
        hint = f"The two layers are the same when the factors in front of Σ a² agree; {how} (n = {size})."
    return _report(False, f"{given:g} is not the α to write in {target}. {hint}")


def check_lrn_response(
    activations: Sequence[float],
    channel: int,
    answer: float,
    size: int = LRN_SIZE,
    alpha: float = LRN_ALPHA,
    beta: float = LRN_BETA,
    k: float = LRN_K,
) -> bool:
    """LRN by hand: the response-normalised activity b of channel ``channel`` at one position, where
    ``activations`` lists a^0, a^1, … of every channel at that position (paper's constants by default).
    """
    try:
        a = torch.tensor([float(v) for v in activations], dtype=torch.float64).reshape(1, -1)
    except (TypeError, ValueError):
        return _report(False, "Give the activations as a list of numbers, one per channel.")
    if not 0 <= channel < a.shape[1]:
        return _report(False, f"channel must be between 0 and {a.shape[1] - 1}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give b as one number.")

    def b(size_=size, alpha_=alpha, beta_=beta, k_=k) -> float:
        return LocalResponseNorm(size_, alpha_, beta_, k_)(a)[0, channel].item()

    truth = b()
    lo, hi = max(0, channel - size // 2), min(a.shape[1] - 1, channel + (size - 1) // 2)
    total = (a[0, lo:hi + 1] ** 2).sum().item()
    how = (f"Σ a² over channels {lo}..{hi} is {total:g}, so the denominator is "
           f"({k:g} + {alpha:g}·{total:g})^{beta:g} = {(k + alpha * total) ** beta:.6g}")
    if math.isclose(given, truth, rel_tol=1e-3, abs_tol=1e-9):
        return _report(True, f"b = {truth:.6g}: {how}.")
    wrong = {
        "You divided α by n: that is PyTorch's and Caffe's way of writing it; the paper's α multiplies the plain sum.":
            b(alpha_=alpha / size),
        "Raise the whole denominator k + α Σ a² to the power β.": b(beta_=1.0),
        "The sum runs over the n adjacent channels including channel i itself, not over channel i alone.": b(size_=1),
        f"Only the {size} channels centred on channel {channel} count, not every channel.": b(size_=2 * a.shape[1] + 1),
        "Divide a by the denominator; you computed the denominator (or its inverse).": (k + alpha * total) ** beta,
    }
    for hint, value in wrong.items():
        if not math.isclose(value, truth, rel_tol=1e-3) and math.isclose(given, value, rel_tol=1e-3, abs_tol=1e-9):
            return _report(False, f"{given:g} is not b. {hint}")
    if truth and math.isclose(given, 1 / truth, rel_tol=1e-3):
        return _report(False, f"{given:g} is not b. You inverted the ratio: b = a / denominator.")
    return _report(False, f"{given:g} is not b for channel {channel}. Sum a² over channels {lo}..{hi} "
                          f"(the window clipped at the edges), then b = a / (k + α Σ a²)^β.")
