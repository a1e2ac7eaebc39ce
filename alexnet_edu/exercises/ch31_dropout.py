"""Checkers for chapter 31, dropout (``book/31_dropout.ipynb``)."""

from __future__ import annotations

import math
from typing import Any, Optional

from ._engine import AnswerError, Exercise, checker, choice, integer, judge, number
from ..paper import ARCHITECTURE, DROPOUT_P, FC

_DROPOUT_CONVENTIONS = ("paper", "inverted")
_DROPOUT_PHASES = ("train", "test")
_MOMENTS = ("mean", "variance")


def _dropout_factor(p: float, convention: str, phase: str) -> float:
    """The factor a kept neuron's output is multiplied by (training) or every output (test)."""
    if convention == "paper":  # §4.2: drop while training, "multiply their outputs by 0.5" at test time
        return 1.0 if phase == "train" else 1.0 - p
    return 1.0 / (1.0 - p) if phase == "train" else 1.0  # inverted: torch.nn.Dropout


def _dropout_p(p: Any) -> float:
    """``p`` as a dropout probability in [0, 1)."""
    value = number(p, "p, the probability of dropping a neuron, as a number in [0, 1)")
    if not 0.0 <= value < 1.0:
        raise AnswerError(f"p is the probability of dropping a neuron: a number in [0, 1), got {p!r}.")
    return value


def _other(convention: str) -> str:
    return "inverted" if convention == "paper" else "paper"


def _dropout_units() -> int:
    """The neurons dropout acts on in the paper's network (§4.2: "We use dropout in the first two
    fully-connected layers"): the outputs of fc6 and fc7."""
    return sum(layer.out_features for layer in ARCHITECTURE if isinstance(layer, FC) and layer.name in ("fc6", "fc7"))


@checker
def check_dropout_subnetworks(answer: float, units: Optional[int] = None) -> bool:
    """Dropout: log10 of the number of sub-networks that dropout samples from when it acts on
    ``units`` neurons (default: the outputs of fc6 and fc7 of the paper's network, §4.2: "We use
    dropout in the first two fully-connected layers"), to two decimals."""
    units = _dropout_units() if units is None else integer(units, "units as a whole number of neurons")
    if units < 1:
        raise AnswerError("Give at least one neuron.")
    try:
        given = number(answer, "one number: the base-10 logarithm of the count")
    except OverflowError:  # an int such as 2**8192: too large for a float
        raise AnswerError("That number is too large for a float: give its base-10 logarithm instead.") from None
    truth = units * math.log10(2)
    if given > 1000 * truth + 1000:
        raise AnswerError("That looks like the count itself (or a huge number): give its base-10 logarithm.")
    return judge(
        given, truth,
        right=f"{units} neurons, each kept or dropped: 2^{units} sub-networks ≈ 10^{truth:.2f}.",
        wrong=f"{given:g} is not log10 of the number of sub-networks of {units} neurons.",
        misconceptions=[
            (units, "That is the number of neurons (the base-2 logarithm of the count); convert it to base 10."),
            (units * math.log(2), "That is the natural logarithm; the question asks for base 10."),
            (truth / 2, f"Count the neurons of every layer with dropout: {units} here."),
            (2 * truth, f"Count the neurons of every layer with dropout: {units} here."),
            (math.log10(units), "Dropout does not drop one neuron at a time: every neuron is kept or dropped "
                                "independently."),
            (math.log10(2 * units), "Dropout does not drop one neuron at a time: every neuron is kept or dropped "
                                    "independently."),
        ],
        otherwise="Each neuron is either kept or dropped, independently of the others: count the masks.",
        rel=0.0, abs_=0.01,  # the question asks for two decimals: anything that rounds near them passes
    )


@checker
def check_dropout_factor(p: float, convention: str, phase: str, answer: float) -> bool:
    """Dropout: the factor by which a *kept* neuron's output is multiplied while training
    (``phase="train"``), or every neuron's output at test time (``phase="test"``), for dropout
    probability ``p`` in the paper's convention or the inverted one (``torch.nn.Dropout``)."""
    p = _dropout_p(p)
    convention = choice(convention, _DROPOUT_CONVENTIONS, "convention")
    phase = choice(phase, _DROPOUT_PHASES, "phase")
    given = number(answer, "the factor as one number")
    truth = _dropout_factor(p, convention, phase)
    when = "while training (kept neurons)" if phase == "train" else "at test time"
    keep = "p is the probability of dropping; the factor uses the probability of keeping, 1 − p."
    return judge(
        given, truth,
        right=f"{convention} convention, p = {p:g}: the factor {when} is {truth:.4g}; "
              f"the factor 1 − p = {1 - p:g} appears once, in one of the two phases.",
        wrong=f"{given:g} is not the factor {when} for {convention} dropout with p = {p:g}.",
        misconceptions=[
            # with p = 1 − p (0.5) the probabilities of dropping and keeping coincide: no slip to name
            *([(p, keep), (1 / p, keep)] if p > 0 and not math.isclose(p, 1 - p) else []),
            (0.5 if not math.isclose(p, DROPOUT_P) else None,
             f"0.5 is the paper's factor for its p = {DROPOUT_P:g}; work it out for p = {p:g}."),
            (_dropout_factor(p, convention, "test" if phase == "train" else "train"),
             f"That is the factor of the other phase; {convention} dropout puts its factor in the other one."),
            (_dropout_factor(p, _other(convention), phase), "That is the other convention's factor for this phase."),
        ],
        otherwise="The expected output while training must equal the output at test time.",
    )


@checker
def check_dropout_moment(h: float, p: float, convention: str, moment: str, answer: float) -> bool:
    """Dropout: the mean (``moment="mean"``) or the variance (``moment="variance"``), over the random
    mask, of the training-time output of a neuron whose output without dropout is ``h``."""
    p = _dropout_p(p)
    convention = choice(convention, _DROPOUT_CONVENTIONS, "convention")
    moment = choice(moment, _MOMENTS, "moment")
    h = number(h, "h, the neuron's output without dropout, as a number")
    given = number(answer, f"the {moment} as one number")
    c, other_c = _dropout_factor(p, convention, "train"), _dropout_factor(p, _other(convention), "train")
    mean, variance = c * (1 - p) * h, c * c * p * (1 - p) * h * h
    other_scale = "That is the other convention's {}: check whether the kept outputs are scaled while training."
    if moment == "mean":
        truth = mean
        misconceptions = [
            (other_c * (1 - p) * h, other_scale.format("mean")),
            (c * p * h, "A neuron is kept with probability 1 − p, not p."),
        ]
        otherwise = "The mean of m is the probability of keeping the neuron."
    else:
        truth = variance
        proportional = "The output is proportional to h, so its variance is proportional to h²."
        misconceptions = [
            (math.sqrt(variance), "That is the standard deviation; square it."),
            (c * p * (1 - p) * h, proportional),
            (c * c * p * (1 - p) * h, proportional),
            (other_c ** 2 * p * (1 - p) * h * h, other_scale.format("variance")),
            (c * c * (1 - p) * h * h, "That is E[output²]; subtract the square of the mean."),
        ]
        otherwise = "A Bernoulli variable with P(1) = q has variance q(1 − q); scaling by a scales the variance by a²."
    return judge(
        given, truth,
        right=f"The output is c·m·h with m ~ Bernoulli({1 - p:g}) and c = {c:.4g} ({convention}): "
              f"{moment} {truth:.4g}.",
        wrong=f"{given:g} is not the {moment} of the training output ({convention}, h = {h:g}, p = {p:g}).",
        misconceptions=misconceptions,
        otherwise=otherwise,
    )


EXERCISES = [
    Exercise("dropout-subnetworks",
             {"log10_subnetworks": "log10 of the number of sub-networks of AlexNet's fc6 and fc7, two decimals",
              "log10_subnetworks_small": "the same for the ablation's two hidden layers of 1024 neurons"},
             lambda log10_subnetworks, log10_subnetworks_small: all([
                 check_dropout_subnetworks(log10_subnetworks),
                 check_dropout_subnetworks(log10_subnetworks_small, units=2 * 1024)])),
    Exercise("dropout-factor",
             {"paper_train_factor": "p = 0.3, paper's convention: the factor of a kept neuron while training",
              "paper_test_factor": "p = 0.3, paper's convention: the factor of every neuron at test time",
              "inverted_train_factor": "p = 0.3, inverted convention: the factor of a kept neuron while training",
              "inverted_test_factor": "p = 0.3, inverted convention: the factor at test time"},
             lambda paper_train_factor, paper_test_factor, inverted_train_factor, inverted_test_factor: all([
                 check_dropout_factor(0.3, "paper", "train", paper_train_factor),
                 check_dropout_factor(0.3, "paper", "test", paper_test_factor),
                 check_dropout_factor(0.3, "inverted", "train", inverted_train_factor),
                 check_dropout_factor(0.3, "inverted", "test", inverted_test_factor)])),
    Exercise("dropout-moments",
             {"paper_mean": "h = 3, p = 0.3, paper's convention: the mean of the training output",
              "paper_variance": "its variance",
              "inverted_mean": "h = 3, p = 0.3, inverted convention: the mean of the training output",
              "inverted_variance": "its variance"},
             lambda paper_mean, paper_variance, inverted_mean, inverted_variance: all([
                 check_dropout_moment(3, 0.3, "paper", "mean", paper_mean),
                 check_dropout_moment(3, 0.3, "paper", "variance", paper_variance),
                 check_dropout_moment(3, 0.3, "inverted", "mean", inverted_mean),
                 check_dropout_moment(3, 0.3, "inverted", "variance", inverted_variance)])),
    Exercise("dropout-exact-one-layer"),
]
