"""Checkers for the dropout chapter (31)."""

from __future__ import annotations

import math
from typing import Optional

from ..paper import ARCHITECTURE, DROPOUT_P, FC
from ._common import close as _close
from ._common import report as _report


_DROPOUT_CONVENTIONS = ("paper", "inverted")
_DROPOUT_PHASES = ("train", "test")


def _dropout_factor(p: float, convention: str, phase: str) -> float:
    """The factor a kept neuron's output is multiplied by (training) or every output (test)."""
    if convention == "paper":  # §4.2: drop while training, "multiply their outputs by 0.5" at test time
        return 1.0 if phase == "train" else 1.0 - p
    return 1.0 / (1.0 - p) if phase == "train" else 1.0  # inverted: torch.nn.Dropout


def _dropout_args(p: float, convention: str, phase: str = "train") -> str:
    """An error message for arguments the dropout checkers cannot use, or ""."""
    if not isinstance(p, (int, float)) or not 0.0 <= p < 1.0:
        return f"p is the probability of dropping a neuron: a number in [0, 1), got {p!r}."
    if convention not in _DROPOUT_CONVENTIONS:
        return f"convention must be one of {', '.join(map(repr, _DROPOUT_CONVENTIONS))}, got {convention!r}."
    if phase not in _DROPOUT_PHASES:
        return f"phase must be one of {', '.join(map(repr, _DROPOUT_PHASES))}, got {phase!r}."
    return ""


def check_dropout_subnetworks(answer: float, units: Optional[int] = None) -> bool:
    """Dropout: log10 of the number of sub-networks that dropout samples from when it acts on
    ``units`` neurons (default: the outputs of fc6 and fc7 of the paper's network, §4.2: "We use
    dropout in the first two fully-connected layers"), to two decimals."""
    if units is None:
        units = sum(layer.out_features for layer in ARCHITECTURE if isinstance(layer, FC) and layer.name in ("fc6", "fc7"))
    try:
        units = int(units)
    except (TypeError, ValueError):
        return _report(False, "units must be a whole number of neurons.")
    if units < 1:
        return _report(False, "Give at least one neuron.")
    try:
        given = float(answer)
    except OverflowError:
        return _report(False, "That number is too large for a float: give its base-10 logarithm instead.")
    except (TypeError, ValueError):
        return _report(False, "Give one number: the base-10 logarithm of the count.")
    truth = units * math.log10(2)
    if abs(given - truth) <= 0.01:
        return _report(True, f"{units} neurons, each kept or dropped: 2^{units} sub-networks ≈ 10^{truth:.2f}.")
    if math.isfinite(given) and given > 1000 * truth + 1000:
        hint = "That looks like the count itself (or a huge number): give its base-10 logarithm."
    elif abs(given - units) <= 0.5:
        hint = "That is the number of neurons (the base-2 logarithm of the count); convert it to base 10."
    elif abs(given - units * math.log(2)) <= 0.01:
        hint = "That is the natural logarithm; the question asks for base 10."
    elif abs(given - truth / 2) <= 0.01 or abs(given - 2 * truth) <= 0.01:
        hint = f"Count the neurons of every layer with dropout: {units} here."
    elif abs(given - math.log10(units)) <= 0.01 or abs(given - math.log10(2 * units)) <= 0.01:
        hint = "Dropout does not drop one neuron at a time: every neuron is kept or dropped independently."
    else:
        hint = "Each neuron is either kept or dropped, independently of the others: count the masks."
    return _report(False, f"{given:g} is not log10 of the number of sub-networks of {units} neurons. {hint}")


def check_dropout_factor(p: float, convention: str, phase: str, answer: float) -> bool:
    """Dropout: the factor by which a *kept* neuron's output is multiplied while training
    (``phase="train"``), or every neuron's output at test time (``phase="test"``), for dropout
    probability ``p`` in the paper's convention or the inverted one (``torch.nn.Dropout``)."""
    problem = _dropout_args(p, convention, phase)
    if problem:
        return _report(False, problem)
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the factor as one number.")
    truth = _dropout_factor(p, convention, phase)
    when = "while training (kept neurons)" if phase == "train" else "at test time"
    if _close(given, truth):
        return _report(True, f"{convention} convention, p = {p:g}: the factor {when} is {truth:.4g}; "
                             f"the factor 1 − p = {1 - p:g} appears once, in one of the two phases.")
    other_phase = _dropout_factor(p, convention, "test" if phase == "train" else "train")
    other_convention = _dropout_factor(p, "inverted" if convention == "paper" else "paper", phase)
    if p > 0 and (_close(given, p) or _close(given, 1 / p)) and not _close(p, 1 - p):
        hint = "p is the probability of dropping; the factor uses the probability of keeping, 1 − p."
    elif _close(given, 0.5) and not _close(p, DROPOUT_P):
        hint = f"0.5 is the paper's factor for its p = {DROPOUT_P:g}; work it out for p = {p:g}."
    elif _close(given, other_phase):
        hint = f"That is the factor of the other phase; {convention} dropout puts its factor in the other one."
    elif _close(given, other_convention):
        hint = "That is the other convention's factor for this phase."
    else:
        hint = "The expected output while training must equal the output at test time."
    return _report(False, f"{given:g} is not the factor {when} for {convention} dropout with p = {p:g}. {hint}")


def check_dropout_moment(h: float, p: float, convention: str, moment: str, answer: float) -> bool:
    """Dropout: the mean (``moment="mean"``) or the variance (``moment="variance"``), over the random
    mask, of the training-time output of a neuron whose output without dropout is ``h``."""
    problem = _dropout_args(p, convention)
    if problem:
        return _report(False, problem)
    if moment not in ("mean", "variance"):
        return _report(False, f"moment must be 'mean' or 'variance', got {moment!r}.")
    try:
        h, given = float(h), float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give h and your answer as numbers.")
    c = _dropout_factor(p, convention, "train")
    mean, variance = c * (1 - p) * h, c * c * p * (1 - p) * h * h
    truth = mean if moment == "mean" else variance
    if _close(given, truth):
        return _report(True, f"The output is c·m·h with m ~ Bernoulli({1 - p:g}) and c = {c:.4g} ({convention}): "
                             f"{moment} {truth:.4g}.")
    other_c = _dropout_factor(p, "inverted" if convention == "paper" else "paper", "train")
    if moment == "mean":
        if _close(given, other_c * (1 - p) * h):
            hint = "That is the other convention's mean: check whether the kept outputs are scaled while training."
        elif _close(given, c * p * h):
            hint = "A neuron is kept with probability 1 − p, not p."
        else:
            hint = "The mean of m is the probability of keeping the neuron."
    else:
        if _close(given, math.sqrt(variance)):
            hint = "That is the standard deviation; square it."
        elif _close(given, c * p * (1 - p) * h) or _close(given, c * c * p * (1 - p) * h):
            hint = "The output is proportional to h, so its variance is proportional to h²."
        elif _close(given, other_c ** 2 * p * (1 - p) * h * h):
            hint = "That is the other convention's variance: check whether the kept outputs are scaled while training."
        elif _close(given, c * c * (1 - p) * h * h):
            hint = "That is E[output²]; subtract the square of the mean."
        else:
            hint = "A Bernoulli variable with P(1) = q has variance q(1 − q); scaling by a scales the variance by a²."
    return _report(False, f"{given:g} is not the {moment} of the training output ({convention}, h = {h:g}, "
                          f"p = {p:g}). {hint}")
