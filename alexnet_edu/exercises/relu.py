"""Checkers for the ReLU chapter (22)."""

from __future__ import annotations

import math
from typing import Iterable

import torch

from ._common import report as _report


def _tanh_slope(z: float) -> float:
    """d tanh(z) / dz at ``z``, by autograd in float64."""
    t = torch.tensor(float(z), dtype=torch.float64, requires_grad=True)
    torch.tanh(t).backward()
    return t.grad.item()


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-6)


def check_tanh_derivative(x: float, answer: float) -> bool:
    """ReLU chapter: the derivative of tanh at ``x`` (a saturating nonlinearity, §3.1)."""
    try:
        x, given = float(x), float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give x and the derivative as two numbers.")
    truth = _tanh_slope(x)
    t = math.tanh(x)
    if _close(given, truth):
        return _report(True, f"tanh'({x:g}) = 1 − tanh²({x:g}) = {truth:.4g}, "
                             f"{truth:.1%} of its largest value (1, at x = 0).")
    if _close(given, t):
        hint = "That is tanh(x) itself; differentiate it: tanh'(x) = 1 − tanh²(x)."
    elif _close(given, 1 - t):
        hint = "Square tanh(x): the derivative is 1 − tanh²(x), not 1 − tanh(x)."
    elif _close(given, 1 - x * x):
        hint = "Square tanh(x), not x: the derivative is 1 − tanh²(x)."
    elif _close(given, 1 / math.cosh(x)):
        hint = "That is sech(x); the derivative is its square, sech²(x) = 1 − tanh²(x)."
    elif _close(given, 0.25 * (1 - t * t)) or _close(given, 1 / (1 + math.exp(-x)) * (1 - 1 / (1 + math.exp(-x)))):
        hint = "That is the logistic sigmoid's slope; the question asks for tanh's: 1 − tanh²(x)."
    else:
        hint = "Use tanh'(x) = 1 − tanh²(x)."
    return _report(False, f"{given:.4g} is not tanh'({x:g}). {hint}")


def check_relu_active_fraction(mean: float, std: float, answer: float) -> bool:
    """ReLU chapter: the fraction of ReLU units that are active (output > 0, slope 1) when their
    inputs are normally distributed with ``mean`` and standard deviation ``std``."""
    try:
        mean, std, given = float(mean), float(std), float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the mean, the standard deviation and your fraction as numbers.")
    if not std > 0:
        return _report(False, "The standard deviation must be positive.")
    normal = torch.distributions.Normal(torch.tensor(mean, dtype=torch.float64),
                                        torch.tensor(std, dtype=torch.float64))
    truth = 1 - normal.cdf(torch.tensor(0.0, dtype=torch.float64)).item()  # P(x > 0)
    if abs(given - truth) <= 1e-3:
        return _report(True, f"P(x > 0) = Φ(μ/σ) = Φ({mean / std:.3g}) = {truth:.4f}: that fraction of "
                             f"the units passes its gradient on unchanged, the rest pass none.")
    if 1 < given <= 100 and abs(given / 100 - truth) <= 1e-3:
        hint = "Give a fraction between 0 and 1, not a percentage."
    elif abs(given - (1 - truth)) <= 1e-3:
        hint = "That is the fraction of inactive units (x ≤ 0); a ReLU is active where x > 0."
    elif abs(given - 0.5) <= 1e-3 and mean != 0:
        hint = "0.5 holds only for a zero mean: a nonzero mean (a bias) shifts the threshold to −μ/σ."
    else:
        hint = "Standardise: x > 0 means (x − μ)/σ > −μ/σ, whose probability is Φ(μ/σ)."
    return _report(False, f"{given:.4g} is not the active fraction for mean {mean:g}, std {std:g}. {hint}")


def check_tanh_chain_derivative(preactivations: Iterable[float], answer: float) -> bool:
    """ReLU chapter: the factor by which a chain of tanh units with the given pre-activations scales
    a gradient passing back through them (weights of 1 along the path): the product of the slopes."""
    try:
        zs = [float(z) for z in preactivations]
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the pre-activations as a list of numbers and the factor as one number.")
    if not zs:
        return _report(False, "Give at least one pre-activation.")
    slopes = [_tanh_slope(z) for z in zs]
    truth = math.prod(slopes)
    relu = math.prod(1.0 if z > 0 else 0.0 for z in zs)
    if _close(given, truth):
        worst = min(range(len(zs)), key=lambda i: slopes[i])
        return _report(True, f"The {len(zs)} slopes multiply to {truth:.3g}; the smallest, "
                             f"{slopes[worst]:.3g} at z = {zs[worst]:g}, does most of the shrinking. "
                             f"A chain of ReLUs with the same pre-activations passes a factor of {relu:g}.")
    if _close(given, sum(slopes)):
        hint = "The chain rule multiplies the slopes of the layers; it does not add them."
    elif _close(given, math.prod(math.tanh(z) for z in zs)):
        hint = "That multiplies the values tanh(z); multiply the slopes 1 − tanh²(z) instead."
    elif _close(given, math.prod(1 - z * z for z in zs)):
        hint = "Each slope is 1 − tanh²(z), not 1 − z²."
    elif any(_close(given, truth / s) for s in slopes):
        hint = f"One layer is missing: multiply all {len(zs)} slopes."
    else:
        hint = "Multiply the slopes 1 − tanh²(z), one per layer."
    return _report(False, f"{given:.4g} is not the product of the tanh slopes. {hint}")
