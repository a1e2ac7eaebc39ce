"""Checkers for the ImageNet and metric chapter (11)."""

from __future__ import annotations

import math
from typing import Optional, Sequence

import torch

from ._common import close as _close
from ._common import report as _report
from ..metrics import topk_error as _topk_error
from ..paper import NUM_CLASSES, TOP_K


def check_topk_error(scores: Sequence[Sequence[float]], targets: Sequence[int], k: int, answer: float) -> bool:
    """ImageNet's metric: the top-``k`` error, as a fraction, of a table of ``scores`` (one row per
    image, one column per class; logits or probabilities) whose true classes are ``targets``."""
    try:
        s = torch.tensor([[float(v) for v in row] for row in scores], dtype=torch.float64)
        t = torch.tensor([int(c) for c in targets], dtype=torch.long)
        k = int(k)
        truth = _topk_error(s, t, k)
    except (TypeError, ValueError) as err:
        return _report(False, f"This table cannot be scored: {err}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the error as one number, a fraction between 0 and 1.")
    n, classes = s.shape
    true_scores = s.gather(1, t[:, None])
    above = (s > true_scores).sum(1)
    level = (s == true_scores).sum(1)  # includes the true class itself
    tied = [i for i in range(n) if above[i] < k < above[i] + level[i]]
    if tied:  # the k-th place is shared: any answer between the two tie rules is defensible
        low, high = float((above >= k).double().mean()), float((above + level > k).double().mean())
        if low - 1e-9 <= given <= high + 1e-9:
            return _report(True, f"Row(s) {tied} tie at place {k}, so the top-{k} error lies between "
                                 f"{low:.4g} (ties broken in the true class's favour) and {high:.4g} (against it).")
    elif _close(given, truth):
        wrong = round(truth * n)
        return _report(True, f"{wrong} of the {n} rows have their true class outside the {k} highest scores: "
                             f"top-{k} error {wrong}/{n} = {truth:.4g}.")
    hints = []
    if given > 1 and _close(given / 100, truth):
        hints.append("Give the error as a fraction between 0 and 1, not as a percentage.")
    elif given > 1 and _close(given, truth * n):
        hints.append(f"That is a number of rows; divide it by the {n} rows to get a rate.")
    elif _close(given, 1 - truth):
        hints.append(f"That is the top-{k} accuracy; the error counts the rows whose true class is NOT among the "
                     f"{k} highest scores.")
    elif _close(given, _topk_error(-s, t, k)):
        hints.append(f"The {k} guesses are the classes with the {k} HIGHEST scores, not the lowest.")
    else:
        for other in range(1, classes + 1):
            if other != k and _close(given, _topk_error(s, t, other)):
                hints.append(f"That is the top-{other} error; this question asks for the top-{k} error. "
                             f"Count how many classes score higher than the true one in each row.")
                break
    if not hints:
        hints.append(f"For each row, count the classes that score strictly higher than the true class: the row "
                     f"is an error when that count is {k} or more. The error is the share of such rows.")
    return _report(False, f"{given:g} is not the top-{k} error of this table. {hints[0]}")


def check_random_topk_error(answer: float, k: int = TOP_K, classes: int = NUM_CLASSES) -> bool:
    """ImageNet's metric: the expected top-``k`` error, as a fraction, of a scorer that puts the
    ``classes`` classes in a uniformly random order (it knows nothing about the image)."""
    try:
        k, classes = int(k), int(classes)
    except (TypeError, ValueError):
        return _report(False, "k and the number of classes must be integers.")
    if not 1 <= k <= classes:
        return _report(False, f"k must be between 1 and the number of classes ({classes}).")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the error as one number, a fraction between 0 and 1.")
    # The true class is equally likely to land in each of the `classes` places of the random order,
    # and it is a hit in the first k of them.
    hit = k / classes
    truth = 1 - hit
    if _close(given, truth, rel=1e-6):
        return _report(True, f"The true class lands in each of the {classes} places with probability 1/{classes}, "
                             f"so it is among the first {k} with probability {k}/{classes}: the top-{k} error of "
                             f"random guessing is 1 − {k}/{classes} = {truth:.6g}.")
    if given > 1 and _close(given / 100, truth, rel=1e-6):
        hint = "Give the error as a fraction between 0 and 1, not as a percentage."
    elif _close(given, hit, rel=1e-6):
        hint = "That is the chance of a hit (the accuracy); the question asks for the error."
    elif k > 1 and _close(given, (1 - 1 / classes) ** k, rel=1e-6):
        hint = ("That treats the guesses as independent draws that may repeat a class. The guesses are the first "
                f"{k} places of one random order: {k} different classes.")
    elif k > 1 and _close(given, 1 - 1 / classes, rel=1e-6):
        hint = f"That is the top-1 error; with {k} guesses the true class has {k} chances."
    else:
        hint = f"Where in a random order of the {classes} classes does the true class land? Each place is equally likely."
    return _report(False, f"{given:g} is not the top-{k} error of random guessing among {classes} classes. {hint}")


def check_error_gap_standard_errors(
    error_a: float, error_b: float, images: int, answer: float, images_b: Optional[int] = None
) -> bool:
    """Error bars: how many standard errors separate two error rates (fractions), measured on
    ``images`` and ``images_b`` (default: the same number) test images, each image an independent
    error with the model's error rate: |a − b| / sqrt(a(1 − a)/n_a + b(1 − b)/n_b)."""
    try:
        a, b = float(error_a), float(error_b)
        n_a = int(images)
        n_b = n_a if images_b is None else int(images_b)
    except (TypeError, ValueError):
        return _report(False, "Give the error rates as fractions and the numbers of images as integers.")
    if not (0 <= a <= 1 and 0 <= b <= 1):
        return _report(False, "Give the error rates as fractions between 0 and 1 (15.3% is 0.153).")
    if n_a < 1 or n_b < 1:
        return _report(False, "The test sets must have at least one image each.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of standard errors as one number.")
    var_a, var_b = a * (1 - a) / n_a, b * (1 - b) / n_b
    if var_a + var_b == 0:
        return _report(False, "Both rates are 0 or 1: their standard errors are 0 and the ratio is undefined.")
    gap = abs(a - b)
    truth = gap / math.sqrt(var_a + var_b)

    def near(value: float) -> bool:
        return math.isfinite(value) and math.isclose(given, value, rel_tol=0.02, abs_tol=0.01)

    if near(truth):
        return _report(True, f"The standard error of the difference is √({a:g}·{1 - a:g}/{n_a:,} + {b:g}·{1 - b:g}/"
                             f"{n_b:,}) = {100 * math.sqrt(var_a + var_b):.3g} points, so the gap of "
                             f"{100 * gap:.3g} points is {truth:.3g} standard errors.")
    wrong = [
        (gap / math.sqrt(max(var_a, var_b)) if max(var_a, var_b) else math.inf,
         "Both rates are measured with noise: add their variances before taking the square root."),
        (gap / math.sqrt(min(var_a, var_b)) if min(var_a, var_b) else math.inf,
         "Both rates are measured with noise: add their variances before taking the square root."),
        (gap / (math.sqrt(var_a) + math.sqrt(var_b)),
         "Add the variances, then take the square root; standard errors themselves do not add."),
        (gap / (var_a + var_b), "You divided by the variance; divide by its square root, the standard error."),
        (gap / math.sqrt(a * (1 - a) + b * (1 - b)),
         "Divide each rate's variance p(1 − p) by its number of images."),
        (gap / math.sqrt(a * (1 - a) * n_a + b * (1 - b) * n_b),
         "p(1 − p)·n is the variance of the COUNT of errors; for the rate, divide p(1 − p) by n."),
        (gap / math.sqrt(a * (1 - a) / n_a + b * (1 - b) / n_a) if n_b != n_a else math.inf,
         "The two rates come from test sets of different sizes: divide each variance by its own n."),
    ]
    for value, hint in wrong:
        if near(value) and not near(truth):
            return _report(False, f"{given:g} is not the number of standard errors. {hint}")
    if near(100 * truth) or near(truth / 100):
        hint = "Use fractions throughout (15.3% is 0.153); the ratio itself has no unit."
    else:
        hint = "Standard error of a rate p on n images: √(p(1 − p)/n); of a difference: the root of the summed variances."
    return _report(False, f"{given:g} is not the number of standard errors between {a:g} and {b:g}. {hint}")
