"""Checkers for the chapter on ensembles (45, §6 of the paper): averaging the softmax of several networks."""

from __future__ import annotations

import math

import numpy as np
import torch

from ._common import report as _report


def _as_probabilities(prob_list, images: bool) -> torch.Tensor:
    """The members' softmax outputs as one float64 tensor: (M, C) for one image, (M, N, C) for several."""
    p = torch.as_tensor(np.asarray(prob_list, dtype=np.float64))
    want = 3 if images else 2
    if p.dim() != want:
        shape = "(networks, images, classes)" if images else "(networks, classes)"
        raise ValueError(f"expected one row of probabilities per network, shape {shape}, got {tuple(p.shape)}")
    if p.shape[0] < 1 or p.shape[-1] < 2:
        raise ValueError("need at least one network and two classes")
    if not torch.isfinite(p).all() or (p < 0).any():
        raise ValueError("probabilities are finite and not negative")
    return p


def _votes(p: torch.Tensor) -> torch.Tensor:
    """How many members put each class first (the last axis: classes)."""
    return torch.nn.functional.one_hot(p.argmax(-1), p.shape[-1]).sum(0)


def check_ensemble_prediction(prob_list, answer_class) -> bool:
    """The class an ensemble predicts for one image: ``prob_list`` holds one softmax vector per
    network (M, C); the ensemble averages them, as §6 averages "the predictions", and takes the
    class with the highest average."""
    try:
        p = _as_probabilities(prob_list, images=False)
    except (TypeError, ValueError) as err:
        return _report(False, f"These probabilities do not work: {err}.")
    try:
        given = int(answer_class)
    except (TypeError, ValueError):
        return _report(False, "Give the class as one index: 0 for the first class, 1 for the second, ...")
    if given != answer_class:
        return _report(False, "Give the class as a whole number, its index from 0.")
    average = p.mean(0)
    top = int(average.argmax())
    if (average == average[top]).sum() > 1:
        return _report(False, "Two classes tie for the highest average here: choose probabilities without a tie.")
    if given == top:
        return _report(True, f"The averaged probabilities are {[round(v, 4) for v in average.tolist()]}: "
                             f"class {top} has the highest.")
    votes = _votes(p)
    if not 0 <= given < p.shape[1]:
        hint = f"There are {p.shape[1]} classes, numbered 0 … {p.shape[1] - 1}."
    elif votes[given] == votes.max() and votes[given] > votes[top]:
        hint = ("That class gets the most votes, but the ensemble does not vote: it averages the probabilities, "
                "so one confident network can outweigh two hesitant ones.")
    elif given == int(p[0].argmax()):
        hint = "That is the first network's answer alone; average all the networks' rows first."
    else:
        hint = "Add the networks' probabilities class by class, divide by the number of networks, take the largest."
    return _report(False, f"Class {given} is not the ensemble's prediction. {hint}")


def check_ensemble_error(prob_list, labels, answer: float, k: int = 1) -> bool:
    """The top-``k`` error (a fraction) of the ensemble that averages the softmax outputs in
    ``prob_list`` (M networks, N images, C classes) on images whose true classes are ``labels``.
    Recomputed with :func:`alexnet_edu.experiments.ensemble_errors`; exact to 1e-9."""
    from ..experiments import ensemble_errors

    try:
        p = _as_probabilities(prob_list, images=True)
        y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
        k = int(k)
        if y.dim() != 1 or len(y) != p.shape[1]:
            raise ValueError(f"one label per image: {p.shape[1]} images, {tuple(y.shape)} labels")
        if not (0 <= y).all() or not (y < p.shape[2]).all():
            raise ValueError(f"labels are class indices 0 … {p.shape[2] - 1}")
        if not 1 <= k <= p.shape[2]:
            raise ValueError(f"k must be between 1 and the number of classes, {p.shape[2]}")
    except (TypeError, ValueError) as err:
        return _report(False, f"These inputs do not work: {err}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the error as one number, a fraction between 0 and 1.")
    rows = ensemble_errors(list(p), y, ks=(k,))
    truth = rows[-1][f"top{k}"]["first"]  # all M networks averaged
    singles = rows[0][f"top{k}"]["mean"]  # the mean of the networks' own errors
    if not math.isfinite(given):
        return _report(False, "Give the error as one finite number between 0 and 1.")
    if abs(given - truth) <= 1e-9 + 1e-6 * truth:
        return _report(True, f"Averaging the {p.shape[0]} networks misclassifies "
                             f"{round(truth * len(y))} of {len(y)} images (top-{k}): error {truth:.4f}.")
    n = len(y)
    if given > 1 and abs(given / 100 - truth) <= 1e-6:
        hint = "That looks like a percentage: give a fraction between 0 and 1."
    elif abs(given - truth * n) <= 1e-6 and n > 1:
        hint = "That is a count of images; the error is a fraction of the images."
    elif abs(given - (1 - truth)) <= 1e-6:
        hint = "That is the share the ensemble gets right; the error is the rest."
    elif abs(given - singles) <= 1e-6:
        hint = ("That is the mean of the networks' own errors. The ensemble's error is the error of the averaged "
                "probabilities, which can be lower (or higher) than that mean.")
    elif not 0 <= given <= 1:
        hint = "An error rate lies between 0 and 1."
    else:
        hint = (f"For each image average the networks' probabilities, find the {k} highest class(es), and count "
                "the images whose true class is not among them; divide by the number of images.")
    return _report(False, f"{given:g} is not this ensemble's top-{k} error. {hint}")


def majority_error(p: float, n: int) -> float:
    """The probability that more than half of ``n`` networks are wrong on an image, when each is
    wrong with probability ``p`` independently of the others (a binomial tail)."""
    return sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j) for j in range(n // 2 + 1, n + 1))


def check_majority_error(p: float, n: int, answer: float) -> bool:
    """Independent mistakes: ``n`` networks (n odd), each wrong with probability ``p`` on an image,
    independently. What is the probability that a majority of them is wrong? ±1e-4."""
    try:
        p, n = float(p), int(n)
        if not 0 <= p <= 1:
            raise ValueError("p is a probability, between 0 and 1")
        if n < 1 or n % 2 == 0:
            raise ValueError("take an odd number of networks, so there is always a majority")
    except (TypeError, ValueError) as err:
        return _report(False, f"These inputs do not work: {err}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the probability as one number between 0 and 1.")
    truth = majority_error(p, n)
    if not math.isfinite(given):
        return _report(False, "Give the probability as one finite number between 0 and 1.")
    if abs(given - truth) <= 1e-4:
        return _report(True, f"A majority of {n} independent networks is wrong with probability {truth:.4f}, "
                             f"against {p:.4f} for one.")
    need = n // 2 + 1
    exactly = math.comb(n, need) * p ** need * (1 - p) ** (n - need)
    if given > 1 and abs(given / 100 - truth) <= 1e-4:
        hint = "That looks like a percentage: give a probability between 0 and 1."
    elif abs(given - p) <= 1e-4:
        hint = "That is one network's error; the question is about a majority of them."
    elif abs(given - p ** n) <= 1e-4:
        hint = "That is the chance that all of them are wrong; a majority is enough."
    elif abs(given - exactly) <= 1e-4:
        hint = "That counts only the smallest majority; add the larger ones too."
    elif abs(given - p ** need) <= 1e-4:
        hint = "Count the ways to choose which networks are wrong, and include that the others are right."
    elif not 0 <= given <= 1:
        hint = "A probability lies between 0 and 1."
    else:
        hint = f"Add up the binomial probabilities of exactly j wrong networks for every j from {need} to {n}."
    return _report(False, f"{given:g} is not that probability. {hint}")
