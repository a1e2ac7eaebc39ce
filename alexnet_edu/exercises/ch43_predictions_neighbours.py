"""Checkers for chapter 43, predictions and neighbours (``book/43_predictions_neighbours.ipynb``,
Figure 4)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import torch

from ..visualize import nearest_neighbours
from ._engine import AnswerError, Exercise, checker, judge, number, report

_SHARE = "the share as one number between 0 and 1"


def _matrix(x, what: str) -> torch.Tensor:
    """``x`` (a tensor, an array or nested lists) as a 2-D float64 tensor; one row is one vector."""
    try:
        t = torch.as_tensor(x, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        raise AnswerError(f"The {what} must be numbers, one vector per row.") from None
    if t.dim() == 1:
        t = t[None]
    if t.dim() != 2:
        raise AnswerError(f"The {what} must be one vector per row (2-D), got shape {tuple(t.shape)}.")
    return t


def _index_lists(answer, rows: int) -> list[list[int]] | None:
    """``answer`` as one list of ints per query (a flat list is accepted for a single query)."""
    if isinstance(answer, torch.Tensor):
        answer = answer.tolist()
    try:
        return [[int(i) for i in row] for row in answer]
    except TypeError:  # a row is a number: a flat list, right for one query only
        if rows != 1:
            return None
        try:
            return [[int(i) for i in answer]]
        except (TypeError, ValueError):
            return None
    except ValueError:
        return None


def _nearest_by(distances: torch.Tensor, k: int, exclude_self: bool, largest: bool = False) -> list[list[int]]:
    """The ``k`` smallest (or largest) entries of each row of ``distances``, query ``i``'s own row
    ``i`` left out when ``exclude_self``."""
    d = distances.clone()
    if exclude_self:
        d[torch.arange(len(d)), torch.arange(len(d))] = -math.inf if largest else math.inf
    return d.topk(k, dim=1, largest=largest).indices.tolist()


def _right(distances: torch.Tensor, given: list[list[int]], truth: list[list[int]], exclude_self: bool) -> bool:
    """Whether ``given`` picks, for every query, distinct rows at the same distances as ``truth``
    (so that ties may come in any order)."""
    for i, (row, best) in enumerate(zip(given, truth)):
        if len(set(row)) != len(row) or (exclude_self and i in row):
            return False
        if not torch.allclose(distances[i, row], distances[i, best], rtol=1e-9, atol=1e-12):
            return False
    return True


@checker
def check_nearest_neighbours(queries, bank, k: int, answer, exclude_self: bool = False) -> bool:
    """For each row of ``queries``, the indices of the ``k`` rows of ``bank`` nearest to it in
    Euclidean distance, nearest first: one list of ``k`` indices per query, counted from 0.
    ``exclude_self``: the queries are the first rows of the bank, and query ``i`` may not pick row
    ``i``. Rows at the same distance may come in either order."""
    q, b = _matrix(queries, "queries"), _matrix(bank, "bank")
    truth = nearest_neighbours(q, b, k, exclude_self=exclude_self).tolist()
    lists = f"one list of {k} indices per query ({len(q)} lists)"
    if answer is Ellipsis or answer is None:
        raise AnswerError(f"Replace ... with your answer: {lists}.")
    given = _index_lists(answer, len(q))
    if given is None or len(given) != len(q) or any(len(row) != k for row in given):
        raise AnswerError(f"Give {lists}.")
    distances = torch.cdist(q, b)
    if any(not 0 <= i < len(b) for row in given for i in row):
        if all(1 <= i <= len(b) for row in given for i in row) and _right(
                distances, [[i - 1 for i in r] for r in given], truth, exclude_self):
            return report(False, "Count the bank's rows from 0, not from 1.")
        return report(False, f"The bank has rows 0 to {len(b) - 1}.")
    if _right(distances, given, truth, exclude_self):
        return report(True, f"{truth}: for each query, the {k} bank row{'s' if k != 1 else ''} with the smallest "
                            "Euclidean distance, nearest first.")
    if exclude_self and any(i in row for i, row in enumerate(given)):
        hint = ("Query i is row i of the bank, at distance 0 from itself: leave it out and take the "
                "k nearest of the other rows.")
    elif [sorted(r) for r in given] == [sorted(r) for r in truth] and given == [r[::-1] for r in truth]:
        hint = "The right rows, in reverse order: the nearest comes first."
    elif [sorted(r) for r in given] == [sorted(r) for r in truth]:
        hint = "The right rows, in the wrong order: sort them by distance, nearest first."
    elif given == _nearest_by(distances, k, exclude_self, largest=True):
        hint = ("Those are the farthest rows: sort the distances in increasing order (torch.topk needs "
                "largest=False).")
    elif given == _nearest_by(torch.cdist(q, b, p=1), k, exclude_self):
        hint = ("Those are the nearest by the sum of absolute differences (L1); the paper uses the Euclidean "
                "distance, the square root of the sum of squared differences.")
    else:
        hint = "Compute the distance from each query to every row of the bank, then take the k smallest."
    return report(False, f"{given} is not it. {hint}")


def _same_class(query_labels: Sequence, neighbour_labels: Sequence[Sequence]) -> list[list[bool]]:
    if len(query_labels) != len(neighbour_labels):
        raise AnswerError(f"{len(query_labels)} query labels but {len(neighbour_labels)} lists of neighbour "
                          "labels: give one list of neighbour labels per query.")
    return [[n == c for n in row] for c, row in zip(query_labels, neighbour_labels)]


@checker
def check_share_same_class(query_labels: Sequence, neighbour_labels: Sequence[Sequence], answer) -> bool:
    """The share of all neighbours that have their query's class: ``neighbour_labels[i]`` lists the
    classes of query ``i``'s neighbours (labels of any kind: ints or names). Every pair (query,
    neighbour) counts once. A fraction between 0 and 1, ±0.1 %."""
    same = _same_class(query_labels, neighbour_labels)
    pairs = sum(len(row) for row in same)
    if pairs == 0:
        raise AnswerError("There are no neighbours to count.")
    given = number(answer, _SHARE)
    hits = sum(sum(row) for row in same)
    truth = hits / pairs
    nearest = sum(row[0] for row in same if row) / sum(1 for row in same if row)
    anyone = sum(any(row) for row in same) / len(same)
    return judge(
        given, truth,
        right=f"{truth:.4g}: {hits} of the {pairs} neighbours have their query's class.",
        wrong=f"{given:g} is not it.",
        misconceptions=[
            (100 * truth, "That is a percentage: give the share as a fraction between 0 and 1."),
            (hits, f"That is the count of neighbours with the query's class; divide it by the number of "
                   f"neighbours, {pairs}."),
            (1 - truth, "That is the share of neighbours of *another* class."),
            (nearest, "That counts only the nearest neighbour of each query; count all of them."),
            (anyone, "That is the share of queries with at least one neighbour of their class; count every "
                     "(query, neighbour) pair."),
        ],
        otherwise="For every query, count its neighbours with the query's class; add up, and divide by all "
                  "neighbours.",
    )


@checker
def check_chance_share(query_labels: Sequence, bank_labels: Sequence, answer) -> bool:
    """The share of neighbours that would have their query's class if each neighbour were drawn at
    random from the bank: for each query, the frequency of its class in the bank, averaged over the
    queries. A fraction between 0 and 1, ±0.01 %."""
    if not len(query_labels) or not len(bank_labels):
        raise AnswerError("Give at least one query label and one bank label.")
    given = number(answer, _SHARE)
    counts = Counter(bank_labels)
    truth = sum(counts[c] for c in query_labels) / (len(query_labels) * len(bank_labels))
    classes = set(bank_labels) | set(query_labels)
    in_queries = Counter(query_labels)
    from_queries = sum(in_queries[c] for c in query_labels) / len(query_labels) ** 2
    return judge(
        given, truth,
        right=f"{truth:.4g}: a random bank image has the query's class with the frequency of that class in "
              "the bank, averaged over the queries.",
        wrong=f"{given:g} is not it.",
        misconceptions=[
            (100 * truth, "That is a percentage: give the share as a fraction between 0 and 1."),
            (1 / len(classes), f"1/{len(classes)} holds only when every class is equally frequent in the bank; "
                               "weigh each query by the frequency of its own class in the bank."),
            (from_queries, "Those are the classes' frequencies among the queries; the neighbours come from the "
                           "bank."),
        ],
        otherwise="For each query, the fraction of bank images of its class; then the mean over the queries.",
        rel=1e-4,  # 1/10, the answer that ignores the class frequencies, lies 0.05 % from Imagenette's chance line
    )


# The exercises' fixed data: the five points of neighbours-by-hand, the toy classes of
# neighbours-share and neighbours-chance, and (below) the book's record and Imagenette's labels.
_POINTS = [[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [1.0, 1.5]]
_TOY_QUERIES = ["dog", "cat", "cat"]
_TOY_NEIGHBOURS = [["dog", "dog", "cat"], ["dog", "cat", "cat"], ["dog", "dog", "dog"]]
_TOY_CHANCE = ([0, 1, 2, 2], [0, 0, 0, 1, 2])  # query classes, bank classes


@checker
def _check_record_share(space: str, answer) -> bool:
    """check_share_same_class on the 20 queries of the book's record ``pictures_imagenette``, by the
    neighbours in ``space`` ("fc7" or "pixels")."""
    from .. import records

    queries = records.load("pictures_imagenette")["queries"]
    key = {"fc7": "fc7_neighbours", "pixels": "pixel_neighbours"}[space]
    return check_share_same_class([q["class"] for q in queries],
                                  [[n["class"] for n in q[key]] for q in queries], answer)


@checker
def _check_imagenette_chance(answer) -> bool:
    """check_chance_share with every Imagenette validation photo as a query and every training
    photo in the bank, the labels read from this machine's copy."""
    from ..data import load_dataset

    try:
        val, train = ([label for _, label in load_dataset("imagenette", split, verify=False).samples]
                      for split in ("val", "train"))
    except (OSError, ValueError) as err:  # DataNotFoundError is an OSError
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise AnswerError(f"Imagenette's labels cannot be read here, so this answer cannot be checked: {first} "
                          "Run the chapter's setup cell, which finds the data or fetches it.") from None
    return check_chance_share(val, train, answer)


EXERCISES = [
    Exercise("neighbours-by-hand",
             {"nearest_two": "for each of the five points, its two nearest other points, nearest first: "
                             "five lists of two indices"},
             lambda nearest_two: check_nearest_neighbours(_POINTS, _POINTS, 2, nearest_two, exclude_self=True)),
    Exercise("neighbours-share",
             {"share_toy": "the share of the toy example's neighbours (dog, cat, cat) with their query's class",
              "share_fc7": "the same share for the fc7 neighbours of the record's 20 queries",
              "share_pixels": "the same share for their pixel neighbours"},
             lambda share_toy, share_fc7, share_pixels: all([
                 check_share_same_class(_TOY_QUERIES, _TOY_NEIGHBOURS, share_toy),
                 _check_record_share("fc7", share_fc7),
                 _check_record_share("pixels", share_pixels)])),
    Exercise("neighbours-chance",
             {"chance_toy": "the chance share for the bank 0, 0, 0, 1, 2 and the queries 0, 1, 2, 2",
              "chance_imagenette": "the chance share for Imagenette: every validation photo against every "
                                   "training photo"},
             lambda chance_toy, chance_imagenette: all([
                 check_chance_share(*_TOY_CHANCE, chance_toy),
                 _check_imagenette_chance(chance_imagenette)])),
    Exercise("neighbours-why-fc7"),
]
