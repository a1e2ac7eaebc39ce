"""Checkers for chapter 11, ImageNet and its metric (``book/11_imagenet_metric.ipynb``)."""

from __future__ import annotations

import math
from typing import Optional, Sequence

import torch

from ._engine import AnswerError, Exercise, checker, integer, judge, number, percent_or_count, report
from ..metrics import topk_error as _topk_error
from ..paper import NUM_CLASSES, TOP_K

_FRACTION = "the error as one number, a fraction between 0 and 1"


@checker
def check_topk_error(scores: Sequence[Sequence[float]], targets: Sequence[int], k: int, answer: float) -> bool:
    """ImageNet's metric: the top-``k`` error, as a fraction, of a table of ``scores`` (one row per
    image, one column per class; logits or probabilities) whose true classes are ``targets``."""
    try:
        s = torch.tensor([[float(v) for v in row] for row in scores], dtype=torch.float64)
        t = torch.tensor([int(c) for c in targets], dtype=torch.long)
        k = int(k)
        truth = _topk_error(s, t, k)
    except (TypeError, ValueError) as err:
        raise AnswerError(f"This table cannot be scored: {err}.") from None
    given = number(answer, _FRACTION)
    n, classes = s.shape
    true_scores = s.gather(1, t[:, None])
    above = (s > true_scores).sum(1)
    level = (s == true_scores).sum(1)  # includes the true class itself
    tied = [i for i in range(n) if above[i] < k < above[i] + level[i]]
    if tied:  # the k-th place is shared: any answer between the two tie rules is defensible
        low, high = float((above >= k).double().mean()), float((above + level > k).double().mean())
        if low - 1e-9 <= given <= high + 1e-9:
            return report(True, f"Row(s) {tied} tie at place {k}, so the top-{k} error lies between "
                                f"{low:.4g} (ties broken in the true class's favour) and {high:.4g} (against it).")
    wrong = round(truth * n)
    return judge(
        given, truth,
        right=f"{wrong} of the {n} rows have their true class outside the {k} highest scores: "
              f"top-{k} error {wrong}/{n} = {truth:.4g}.",
        wrong=f"{given:g} is not the top-{k} error of this table.",
        misconceptions=[
            (100 * truth, "Give the error as a fraction between 0 and 1, not as a percentage."),
            (truth * n, f"That is a number of rows; divide it by the {n} rows to get a rate."),
            (1 - truth, f"That is the top-{k} accuracy; the error counts the rows whose true class is NOT among "
                        f"the {k} highest scores."),
            (_topk_error(-s, t, k), f"The {k} guesses are the classes with the {k} HIGHEST scores, not the lowest."),
            *[(_topk_error(s, t, o), f"That is the top-{o} error; this question asks for the top-{k} error. "
                                     f"Count how many classes score higher than the true one in each row.")
              for o in range(1, classes + 1) if o != k],
        ],
        otherwise=f"For each row, count the classes that score strictly higher than the true class: the row "
                  f"is an error when that count is {k} or more. The error is the share of such rows.",
    )


@checker
def check_random_topk_error(answer: float, k: int = TOP_K, classes: int = NUM_CLASSES) -> bool:
    """ImageNet's metric: the expected top-``k`` error, as a fraction, of a scorer that puts the
    ``classes`` classes in a uniformly random order (it knows nothing about the image)."""
    k, classes = integer(k, "k as a whole number"), integer(classes, "the number of classes as a whole number")
    if not 1 <= k <= classes:
        raise AnswerError(f"k must be between 1 and the number of classes ({classes}).")
    given = number(answer, _FRACTION)
    # The true class is equally likely to land in each of the `classes` places of the random order,
    # and it is a hit in the first k of them.
    hit = k / classes
    truth = 1 - hit
    return judge(
        given, truth,
        right=f"The true class lands in each of the {classes} places with probability 1/{classes}, so it is "
              f"among the first {k} with probability {k}/{classes}: the top-{k} error of random guessing is "
              f"1 − {k}/{classes} = {truth:.6g}.",
        wrong=f"{given:g} is not the top-{k} error of random guessing among {classes} classes.",
        misconceptions=[
            (100 * truth, "Give the error as a fraction between 0 and 1, not as a percentage."),
            (hit, "That is the chance of a hit (the accuracy); the question asks for the error."),
            ((1 - 1 / classes) ** k if k > 1 else None,
             "That treats the guesses as independent draws that may repeat a class. The guesses are the first "
             f"{k} places of one random order: {k} different classes."),
            (1 - 1 / classes if k > 1 else None, f"That is the top-1 error; with {k} guesses the true class has {k} chances."),
        ],
        otherwise=f"Where in a random order of the {classes} classes does the true class land? Each place is equally likely.",
        rel=1e-6,  # 1 − 5/1000 and (1 − 1/1000)^5 differ by 1e-5: the usual 0.1 % cannot tell them apart
    )


@checker
def check_error_gap_standard_errors(
    error_a: float, error_b: float, images: int, answer: float, images_b: Optional[int] = None
) -> bool:
    """Error bars: how many standard errors separate two error rates (fractions), measured on
    ``images`` and ``images_b`` (default: the same number) test images, each image an independent
    error with the model's error rate: |a − b| / sqrt(a(1 − a)/n_a + b(1 − b)/n_b)."""
    a = number(error_a, "the error rates as fractions between 0 and 1 (15.3% is 0.153)")
    b = number(error_b, "the error rates as fractions between 0 and 1 (15.3% is 0.153)")
    n_a = integer(images, "the number of images as a whole number")
    n_b = n_a if images_b is None else integer(images_b, "the number of images as a whole number")
    if not (0 <= a <= 1 and 0 <= b <= 1):
        raise AnswerError("Give the error rates as fractions between 0 and 1 (15.3% is 0.153).")
    if n_a < 1 or n_b < 1:
        raise AnswerError("The test sets must have at least one image each.")
    given = number(answer, "the number of standard errors as one number")
    var_a, var_b = a * (1 - a) / n_a, b * (1 - b) / n_b
    if var_a + var_b == 0:
        raise AnswerError("Both rates are 0 or 1: their standard errors are 0 and the ratio is undefined.")
    gap = abs(a - b)
    truth = gap / math.sqrt(var_a + var_b)
    add = "Both rates are measured with noise: add their variances before taking the square root."
    # This answer is read from a calculator: two per cent (or 0.01 standard errors) is close enough.
    return judge(
        given, truth,
        right=f"The standard error of the difference is √({a:g}·{1 - a:g}/{n_a:,} + {b:g}·{1 - b:g}/{n_b:,}) = "
              f"{100 * math.sqrt(var_a + var_b):.3g} points, so the gap of {100 * gap:.3g} points is "
              f"{truth:.3g} standard errors.",
        wrong=f"{given:g} is not the number of standard errors between {a:g} and {b:g}.",
        misconceptions=[
            (gap / math.sqrt(max(var_a, var_b)) if max(var_a, var_b) else None, add),
            (gap / math.sqrt(min(var_a, var_b)) if min(var_a, var_b) else None, add),
            (gap / (math.sqrt(var_a) + math.sqrt(var_b)),
             "Add the variances, then take the square root; standard errors themselves do not add."),
            (gap / (var_a + var_b), "You divided by the variance; divide by its square root, the standard error."),
            (gap / math.sqrt(a * (1 - a) + b * (1 - b)), "Divide each rate's variance p(1 − p) by its number of images."),
            (gap / math.sqrt(a * (1 - a) * n_a + b * (1 - b) * n_b),
             "p(1 − p)·n is the variance of the COUNT of errors; for the rate, divide p(1 − p) by n."),
            (gap / math.sqrt(a * (1 - a) / n_a + b * (1 - b) / n_a) if n_b != n_a else None,
             "The two rates come from test sets of different sizes: divide each variance by its own n."),
            (100 * truth, "Use fractions throughout (15.3% is 0.153); the ratio itself has no unit."),
            (truth / 100, "Use fractions throughout (15.3% is 0.153); the ratio itself has no unit."),
        ],
        otherwise="Standard error of a rate p on n images: √(p(1 − p)/n); of a difference: the root of the "
                  "summed variances.",
        rel=0.02, abs_=0.01,
    )


@checker
def check_two_object_errors(share: float, top1: float, top5: float) -> bool:
    """Labels as noise: the top-1 and top-5 errors of a perfect model when a ``share`` of the photos
    show two equally prominent classes and the label names one of the two at random."""
    f = number(share, "the share of two-object photos as a fraction between 0 and 1")
    if not 0 <= f <= 1:
        raise AnswerError("The share of two-object photos is a fraction between 0 and 1.")
    given1, given5 = number(top1, _FRACTION), number(top5, _FRACTION)
    ok1 = judge(
        given1, f / 2,
        right=f"Top-1: on a two-object photo the first guess is the label half the time, so the error is f/2 = {f / 2:g}.",
        wrong=f"{given1:g} is not the top-1 error.",
        misconceptions=[(f, "The model's first guess is one of the two objects, and the label is that one half "
                            "of the time."), (0.0, "A perfect model still misses when the label names the other "
                                                   "object."), *percent_or_count(f / 2)],
        otherwise="On a two-object photo, how often is the model's first guess the object the labeller named?",
    )
    ok5 = judge(
        given5, 0.0,
        right="Top-5: both objects are among the first two guesses, so the label is always within the top 5: error 0.",
        wrong=f"{given5:g} is not the top-5 error.",
        misconceptions=[(f / 2, "Five guesses cover both objects of every photo."),
                        (f, "Five guesses cover both objects of every photo.")],
        otherwise="With five guesses, can the label of a two-object photo be missed?",
    )
    return ok1 and ok5


_TABLE = [[1.2, 0.3, 2.5, -0.7, 0.9],
          [0.1, 0.4, 0.2, 0.3, -1.0],
          [2.0, 2.2, 0.5, 1.9, 2.1],
          [-0.5, 0.8, 0.0, 0.6, 0.7]]
_TRUTH = [0, 3, 0, 2]

EXERCISES = [
    Exercise("metric-topk-table",
             {"table_top1": "the top-1 error of the table, a fraction", "table_top2": "its top-2 error"},
             lambda table_top1, table_top2: all([check_topk_error(_TABLE, _TRUTH, 1, table_top1),
                                                 check_topk_error(_TABLE, _TRUTH, 2, table_top2)])),
    Exercise("metric-random",
             {"blind_top5": "the top-5 error of blind guessing among 1000 classes",
              "blind_top5_ten": "the same among 10 classes"},
             lambda blind_top5, blind_top5_ten: all([check_random_topk_error(blind_top5),
                                                     check_random_topk_error(blind_top5_ten, k=5, classes=10)])),
    Exercise("metric-standard-errors",
             {"z_pretrained": "standard errors between 18.2% and 16.6% on 50,000 images each",
              "z_val_test": "standard errors between 15.4% (50,000 images) and 15.3% (100,000)"},
             lambda z_pretrained, z_val_test: all([
                 check_error_gap_standard_errors(0.182, 0.166, 50_000, z_pretrained),
                 check_error_gap_standard_errors(0.154, 0.153, 50_000, z_val_test, images_b=100_000)])),
    Exercise("metric-two-objects",
             {"top1_perfect": "the perfect model's top-1 error when f = 0.2",
              "top5_perfect": "its top-5 error"},
             lambda top1_perfect, top5_perfect: check_two_object_errors(0.2, top1_perfect, top5_perfect)),
]
