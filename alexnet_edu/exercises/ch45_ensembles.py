"""Checkers for chapter 45, ensembles (``book/45_ensembles.ipynb``, §6 of the paper): averaging the
softmax of several networks."""

from __future__ import annotations

import math

import numpy as np
import torch

from ._engine import AnswerError, Exercise, checker, integer, judge, number


def _as_probabilities(prob_list, images: bool) -> torch.Tensor:
    """The members' softmax outputs as one float64 tensor: (M, C) for one image, (M, N, C) for several."""
    try:
        p = torch.as_tensor(np.asarray(prob_list, dtype=np.float64))
    except (TypeError, ValueError):
        raise AnswerError("These probabilities do not work: give one row of numbers per network.") from None
    want = 3 if images else 2
    if p.dim() != want:
        shape = "(networks, images, classes)" if images else "(networks, classes)"
        raise AnswerError(f"These probabilities do not work: expected one row of probabilities per network, "
                          f"shape {shape}, got {tuple(p.shape)}.")
    if p.shape[0] < 1 or p.shape[-1] < 2:
        raise AnswerError("These probabilities do not work: need at least one network and two classes.")
    if not torch.isfinite(p).all() or (p < 0).any():
        raise AnswerError("These probabilities do not work: probabilities are finite and not negative.")
    return p


def _votes(p: torch.Tensor) -> torch.Tensor:
    """How many members put each class first (the last axis: classes)."""
    return torch.nn.functional.one_hot(p.argmax(-1), p.shape[-1]).sum(0)


@checker
def check_ensemble_prediction(prob_list, answer_class) -> bool:
    """The class an ensemble predicts for one image: ``prob_list`` holds one softmax vector per
    network (M, C); the ensemble averages them, as §6 averages "the predictions", and takes the
    class with the highest average."""
    p = _as_probabilities(prob_list, images=False)
    given = integer(answer_class, "the class as one index: 0 for the first class, 1 for the second, ...")
    average = p.mean(0)
    top = int(average.argmax())
    if (average == average[top]).sum() > 1:
        raise AnswerError("Two classes tie for the highest average here: choose probabilities without a tie.")
    votes = _votes(p)
    return judge(
        given, top,
        right=f"The averaged probabilities are {[round(v, 4) for v in average.tolist()]}: "
              f"class {top} has the highest.",
        wrong=f"Class {given} is not the ensemble's prediction.",
        misconceptions=[
            *[(c, "That class gets the most votes, but the ensemble does not vote: it averages the probabilities, "
                  "so one confident network can outweigh two hesitant ones.")
              for c in range(p.shape[1]) if votes[c] == votes.max() and votes[c] > votes[top]],
            (int(p[0].argmax()), "That is the first network's answer alone; average all the networks' rows first."),
        ],
        otherwise=f"There are {p.shape[1]} classes, numbered 0 … {p.shape[1] - 1}." if not 0 <= given < p.shape[1]
        else "Add the networks' probabilities class by class, divide by the number of networks, take the largest.",
        rel=0, abs_=0,  # a class index: only the exact one counts
    )


@checker
def check_ensemble_error(prob_list, labels, answer: float, k: int = 1) -> bool:
    """The top-``k`` error (a fraction) of the ensemble that averages the softmax outputs in
    ``prob_list`` (M networks, N images, C classes) on images whose true classes are ``labels``.
    Recomputed with :func:`alexnet_edu.experiments.ensemble_errors`; exact to 1e-6 (relative)."""
    from ..experiments import ensemble_errors

    p = _as_probabilities(prob_list, images=True)
    try:
        y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
        k = int(k)
    except (TypeError, ValueError):
        raise AnswerError("These inputs do not work: labels are class indices and k a whole number.") from None
    if y.dim() != 1 or len(y) != p.shape[1]:
        raise AnswerError(f"These inputs do not work: one label per image: {p.shape[1]} images, "
                          f"{tuple(y.shape)} labels.")
    if not (0 <= y).all() or not (y < p.shape[2]).all():
        raise AnswerError(f"These inputs do not work: labels are class indices 0 … {p.shape[2] - 1}.")
    if not 1 <= k <= p.shape[2]:
        raise AnswerError(f"These inputs do not work: k must be between 1 and the number of classes, {p.shape[2]}.")
    given = number(answer, "the error as one number, a fraction between 0 and 1")
    rows = ensemble_errors(list(p), y, ks=(k,))
    truth = rows[-1][f"top{k}"]["first"]  # all M networks averaged
    singles = rows[0][f"top{k}"]["mean"]  # the mean of the networks' own errors
    n = len(y)
    return judge(
        given, truth,
        right=f"Averaging the {p.shape[0]} networks misclassifies {round(truth * n)} of {n} images "
              f"(top-{k}): error {truth:.4f}.",
        wrong=f"{given:g} is not this ensemble's top-{k} error.",
        misconceptions=[
            (100 * truth, "That looks like a percentage: give a fraction between 0 and 1."),
            (truth * n, "That is a count of images; the error is a fraction of the images."),
            (1 - truth, "That is the share the ensemble gets right; the error is the rest."),
            (singles, "That is the mean of the networks' own errors. The ensemble's error is the error of the "
                      "averaged probabilities, which can be lower (or higher) than that mean."),
        ],
        otherwise="An error rate lies between 0 and 1." if not 0 <= given <= 1 else
                  f"For each image average the networks' probabilities, find the {k} highest class(es), and count "
                  "the images whose true class is not among them; divide by the number of images.",
        # an error is a count over n images: on 10,000 images one image more is 0.04 % of a 25 % error,
        # within the usual 0.1 %, so only rounding is tolerated
        rel=1e-6,
    )


def majority_error(p: float, n: int) -> float:
    """The probability that more than half of ``n`` networks are wrong on an image, when each is
    wrong with probability ``p`` independently of the others (a binomial tail)."""
    return sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(n // 2 + 1, n + 1))


@checker
def check_majority_error(p: float, n: int, answer: float) -> bool:
    """Independent mistakes: ``n`` networks (n odd), each wrong with probability ``p`` on an image,
    independently. What is the probability that a majority of them is wrong? ±1e-4."""
    p = number(p, "p as one number, a probability between 0 and 1")
    n = integer(n, "the number of networks as a whole number")
    if not 0 <= p <= 1:
        raise AnswerError("These inputs do not work: p is a probability, between 0 and 1.")
    if n < 1 or n % 2 == 0:
        raise AnswerError("These inputs do not work: take an odd number of networks, so there is always a majority.")
    given = number(answer, "the probability as one number between 0 and 1")
    truth = majority_error(p, n)
    need = n // 2 + 1
    exactly = math.comb(n, need) * p ** need * (1 - p) ** (n - need)
    return judge(
        given, truth,
        right=f"A majority of {n} independent networks is wrong with probability {truth:.4f}, against {p:.4f} "
              "for one.",
        wrong=f"{given:g} is not that probability.",
        misconceptions=[
            (100 * truth, "That looks like a percentage: give a probability between 0 and 1."),
            (p, "That is one network's error; the question is about a majority of them."),
            (p ** n, "That is the chance that all of them are wrong; a majority is enough."),
            (exactly, "That counts only the smallest majority; add the larger ones too."),
            (p ** need, "Count the ways to choose which networks are wrong, and include that the others are right."),
        ],
        otherwise="A probability lies between 0 and 1." if not 0 <= given <= 1 else
                  f"Add up the binomial probabilities of exactly j wrong networks for every j from {need} to {n}.",
        rel=0, abs_=1e-4,  # a probability worked out by hand to four decimals (0.1631)
    )


# The exercises' fixed data: the hesitant and the confident network of ensembles-prediction, and the
# three networks of the chapter's "Build it from scratch" (probs, labels), each wrong on one image.
_HESITANT_AND_SURE = [[0.45, 0.55, 0.0], [0.45, 0.55, 0.0], [0.95, 0.05, 0.0]]
_PROBS = [
    [[0.3, 0.6, 0.1], [0.7, 0.2, 0.1], [0.6, 0.1, 0.3]],
    [[0.65, 0.25, 0.1], [0.3, 0.1, 0.6], [0.7, 0.2, 0.1]],
    [[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3]],
]
_LABELS = [0, 0, 0]

EXERCISES = [
    Exercise("ensembles-prediction",
             {"ensemble_class": "the class the averaging ensemble predicts, its index from 0"},
             lambda ensemble_class: check_ensemble_prediction(_HESITANT_AND_SURE, ensemble_class)),
    Exercise("ensembles-error",
             {"error_pair": "the top-1 error of the average of networks 0 and 1 on the three images",
              "error_doubled": "the same with network 0 counted twice (probs[[0, 0, 1]])"},
             lambda error_pair, error_doubled: all([
                 check_ensemble_error(_PROBS[:2], _LABELS, error_pair),
                 check_ensemble_error([_PROBS[0], _PROBS[0], _PROBS[1]], _LABELS, error_doubled)])),
    Exercise("ensembles-independent",
             {"majority_wrong": "the probability that at least 3 of 5 independent networks, each wrong with "
                                "probability 0.3, are wrong"},
             lambda majority_wrong: check_majority_error(0.3, 5, majority_wrong)),
    Exercise("ensembles-diversity"),
]
