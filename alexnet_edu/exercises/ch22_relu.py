"""Checkers for the ReLU chapter (22)."""

from __future__ import annotations

import math
from typing import Iterable

import torch

from ._engine import AnswerError, Exercise, checker, judge, number
from .. import records


def _tanh_slope(z: float) -> float:
    """d tanh(z) / dz at ``z``, by autograd in float64."""
    t = torch.tensor(float(z), dtype=torch.float64, requires_grad=True)
    torch.tanh(t).backward()
    return t.grad.item()


@checker
def check_tanh_derivative(x: float, answer: float) -> bool:
    """ReLU chapter: the derivative of tanh at ``x`` (a saturating nonlinearity, §3.1)."""
    x = number(x, "x as one number")
    given = number(answer, "the derivative as one number")
    truth = _tanh_slope(x)
    t = math.tanh(x)
    sigmoid = 1 / (1 + math.exp(-x))
    sigmoid_hint = "That is the logistic sigmoid's slope; the question asks for tanh's: 1 − tanh²(x)."
    return judge(
        given, truth,
        right=f"tanh'({x:g}) = 1 − tanh²({x:g}) = {truth:.4g}, {truth:.1%} of its largest value (1, at x = 0).",
        wrong=f"{given:.4g} is not tanh'({x:g}).",
        misconceptions=[
            (t, "That is tanh(x) itself; differentiate it: tanh'(x) = 1 − tanh²(x)."),
            (1 - t, "Square tanh(x): the derivative is 1 − tanh²(x), not 1 − tanh(x)."),
            (1 - x * x, "Square tanh(x), not x: the derivative is 1 − tanh²(x)."),
            (1 / math.cosh(x), "That is sech(x); the derivative is its square, sech²(x) = 1 − tanh²(x)."),
            (0.25 * (1 - t * t), sigmoid_hint),
            (sigmoid * (1 - sigmoid), sigmoid_hint),
        ],
        otherwise="Use tanh'(x) = 1 − tanh²(x).",
    )


@checker
def check_relu_active_fraction(mean: float, std: float, answer: float) -> bool:
    """ReLU chapter: the fraction of ReLU units that are active (output > 0, slope 1) when their
    inputs are normally distributed with ``mean`` and standard deviation ``std``."""
    mean = number(mean, "the mean as one number")
    std = number(std, "the standard deviation as one number")
    if not std > 0:
        raise AnswerError("The standard deviation must be positive.")
    given = number(answer, "the active fraction as one number between 0 and 1")
    normal = torch.distributions.Normal(torch.tensor(mean, dtype=torch.float64),
                                        torch.tensor(std, dtype=torch.float64))
    truth = 1 - normal.cdf(torch.tensor(0.0, dtype=torch.float64)).item()  # P(x > 0)
    return judge(
        given, truth,
        right=f"P(x > 0) = Φ(μ/σ) = Φ({mean / std:.3g}) = {truth:.4f}: that fraction of "
              f"the units passes its gradient on unchanged, the rest pass none.",
        wrong=f"{given:.4g} is not the active fraction for mean {mean:g}, std {std:g}.",
        misconceptions=[
            (100 * truth, "Give a fraction between 0 and 1, not a percentage."),
            (1 - truth, "That is the fraction of inactive units (x ≤ 0); a ReLU is active where x > 0."),
            (0.5, "0.5 holds only for a zero mean: a nonzero mean (a bias) shifts the threshold to −μ/σ."),
        ],
        otherwise="Standardise: x > 0 means (x − μ)/σ > −μ/σ, whose probability is Φ(μ/σ).",
        abs_=1e-3,  # a fraction read off a table of Φ to 3 decimals (0.309 for 0.3085) is right

    )


@checker
def check_tanh_chain_derivative(preactivations: Iterable[float], answer: float) -> bool:
    """ReLU chapter: the factor by which a chain of tanh units with the given pre-activations scales
    a gradient passing back through them (weights of 1 along the path): the product of the slopes."""
    try:
        zs = [float(z) for z in preactivations]
    except (TypeError, ValueError):
        raise AnswerError("Give the pre-activations as a list of numbers.") from None
    if not zs:
        raise AnswerError("Give at least one pre-activation.")
    given = number(answer, "the factor as one number")
    slopes = [_tanh_slope(z) for z in zs]
    truth = math.prod(slopes)
    relu = math.prod(1.0 if z > 0 else 0.0 for z in zs)
    worst = min(range(len(zs)), key=lambda i: slopes[i])
    missing = f"One layer is missing: multiply all {len(zs)} slopes."
    return judge(
        given, truth,
        right=f"The {len(zs)} slopes multiply to {truth:.3g}; the smallest, "
              f"{slopes[worst]:.3g} at z = {zs[worst]:g}, does most of the shrinking. "
              f"A chain of ReLUs with the same pre-activations passes a factor of {relu:g}.",
        wrong=f"{given:.4g} is not the product of the tanh slopes.",
        misconceptions=[
            (sum(slopes), "The chain rule multiplies the slopes of the layers; it does not add them."),
            (math.prod(math.tanh(z) for z in zs), "That multiplies the values tanh(z); multiply the slopes "
                                                  "1 − tanh²(z) instead."),
            (math.prod(1 - z * z for z in zs), "Each slope is 1 − tanh²(z), not 1 − z²."),
            *[(truth / s, missing) for s in slopes],
        ],
        otherwise="Multiply the slopes 1 − tanh²(z), one per layer.",
    )


@checker
def check_figure1_fastest(relu_epochs: float, tanh_epochs: float, speedup: float, relu_lr: float,
                          tanh_lr: float, record: str = "figure1") -> bool:
    """Reading the Figure-1 record: for each nonlinearity the fewest epochs to the target error over
    all its runs and the learning rate of that run, and the speed-up tanh epochs / ReLU epochs,
    checked against what the ``figure1`` experiment stored as its best runs (``record``: the record's
    name)."""
    data = records.load(record)
    best = data.get("best") or {}
    if not all(best.get(act) for act in ("relu", "tanh")):
        raise AnswerError(f"In the record {record!r} a nonlinearity never reached the target: there is no "
                          "fewest number of epochs to check, only a bound on the speed-up.")
    given = {"relu_epochs": number(relu_epochs, "ReLU's fewest epochs to the target as one number"),
             "tanh_epochs": number(tanh_epochs, "tanh's fewest epochs to the target as one number"),
             "speedup": number(speedup, "the speed-up as one number"),
             "relu_lr": number(relu_lr, "the learning rate of ReLU's fastest run as one number"),
             "tanh_lr": number(tanh_lr, "the learning rate of tanh's fastest run as one number")}
    reached = {act: [r for r in data["runs"] if r["config"]["activation"] == act and r["epochs_to_target"] is not None]
               for act in ("relu", "tanh")}
    oks = []
    names = {"relu": "ReLU", "tanh": "tanh"}
    for act, other in (("relu", "tanh"), ("tanh", "relu")):
        truth, lr = best[act]["epochs_to_target"], best[act]["lr"]
        name = names[act]
        oks.append(judge(
            given[f"{act}_epochs"], truth,
            right=f"{name}'s fastest run reaches {data['target_error']:.0%} training error after {truth:g} epochs.",
            wrong=f"{given[f'{act}_epochs']:g} is not the fewest epochs of {name}'s runs.",
            misconceptions=[(best[other]["epochs_to_target"], f"That is {names[other]}'s fastest run, not {name}'s."),
                            *[(r["epochs_to_target"], f"That run is slower than {name}'s fastest: take the "
                                                      "minimum over the runs that reached the target.")
                              for r in reached[act]]],
            otherwise=f"Keep {name}'s runs whose epochs_to_target is not None, and take the smallest.",
        ))
        oks.append(judge(
            given[f"{act}_lr"], lr,
            right=f"{name}'s fastest run used the learning rate {lr:g}.",
            wrong=f"{given[f'{act}_lr']:g} is not the learning rate of {name}'s fastest run.",
            misconceptions=[(best[other]["lr"], f"That is the learning rate of {names[other]}'s fastest run."),
                            *[(r["lr"], f"That is the learning rate of another of {name}'s runs: the one with "
                                        "the fewest epochs to the target won.") for r in data["runs"]
                              if r["config"]["activation"] == act]],
            otherwise=f"Look up the field lr of {name}'s fastest run.",
        ))
    relu, tanh = best["relu"]["epochs_to_target"], best["tanh"]["epochs_to_target"]
    truth = data["speedup_relu_over_tanh"]
    same_lr = [(t["epochs_to_target"] / r["epochs_to_target"],
                "Compare each nonlinearity at its own best learning rate, not both at the same one.")
               for r in reached["relu"] for t in reached["tanh"] if r["lr"] == t["lr"]]
    oks.append(judge(
        given["speedup"], truth,
        right=f"The speed-up is {tanh:g} / {relu:g} = {truth:.3g}: ReLU reaches the target that many times sooner.",
        wrong=f"{given['speedup']:g} is not the speed-up.",
        misconceptions=[(relu / tanh, "That is ReLU's epochs over tanh's: the speed-up is tanh's over ReLU's."),
                        (tanh - relu, "That is a difference of epochs; the speed-up is a ratio."),
                        *same_lr],
        otherwise="Divide the fewest epochs of tanh by the fewest epochs of ReLU.",
    ))
    return all(oks)


EXERCISES = [
    Exercise("relu-tanh-slope", {"tanh_slope": "the slope of tanh at x = 1.5"},
             lambda tanh_slope: check_tanh_derivative(1.5, tanh_slope)),
    Exercise("relu-active-fraction",
             {"active_centred": "the active fraction for mean 0, standard deviation 1",
              "active_biased": "the active fraction for mean −0.5, standard deviation 1"},
             lambda active_centred, active_biased: all([check_relu_active_fraction(0.0, 1.0, active_centred),
                                                        check_relu_active_fraction(-0.5, 1.0, active_biased)])),
    Exercise("relu-tanh-chain", {"chain_factor": "the factor of five tanh units with z = (0.5, 1, 2, 0.1, 3)"},
             lambda chain_factor: check_tanh_chain_derivative([0.5, 1.0, 2.0, 0.1, 3.0], chain_factor)),
    Exercise("relu-read-record",
             {"relu_fewest_epochs": "the fewest epochs to the target over ReLU's runs in the record figure1",
              "tanh_fewest_epochs": "the same over tanh's runs",
              "speedup_from_runs": "the speed-up, tanh's fewest epochs over ReLU's",
              "relu_best_lr": "the learning rate of ReLU's fastest run",
              "tanh_best_lr": "the learning rate of tanh's fastest run"},
             lambda relu_fewest_epochs, tanh_fewest_epochs, speedup_from_runs, relu_best_lr, tanh_best_lr:
             check_figure1_fastest(relu_fewest_epochs, tanh_fewest_epochs, speedup_from_runs,
                                   relu_best_lr, tanh_best_lr)),
    Exercise("relu-normalisation-dying"),
]
