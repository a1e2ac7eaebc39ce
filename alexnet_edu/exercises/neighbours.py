"""Checkers for the chapter on predictions and neighbours (43, Figure 4)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Sequence

import torch

from ..visualize import nearest_neighbours
from ._common import close as _close
from ._common import report as _report


def _matrix(x, what: str) -> torch.Tensor:
    """``x`` (a tensor, an array or nested lists) as a 2-D float64 tensor; one row is one vector."""
    t = torch.as_tensor(x, dtype=torch.float64)
    if t.dim() == 1:
        t = t[None]
    if t.dim() != 2:
        raise ValueError(f"{what} must be one vector per row (2-D), got shape {tuple(t.shape)}")
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


def check_nearest_neighbours(queries, bank, k: int, answer, exclude_self: bool = False) -> bool:
    """For each row of ``queries``, the indices of the ``k`` rows of ``bank`` nearest to it in
    Euclidean distance, nearest first: one list of ``k`` indices per query, counted from 0.
    ``exclude_self``: the queries are the first rows of the bank, and query ``i`` may not pick row
    ``i``. Rows at the same distance may come in either order."""
    q, b = _matrix(queries, "queries"), _matrix(bank, "bank")
    truth = nearest_neighbours(q, b, k, exclude_self=exclude_self).tolist()
    given = _index_lists(answer, len(q))
    if given is None or len(given) != len(q) or any(len(row) != k for row in given):
        return _report(False, f"Give one list of {k} indices per query ({len(q)} lists).")
    if any(not 0 <= i < len(b) for row in given for i in row):
        if all(1 <= i <= len(b) for row in given for i in row) and _right(q, b, [[i - 1 for i in r] for r in given],
                                                                        truth, exclude_self):
            return _report(False, "Count the bank's rows from 0, not from 1.")
        return _report(False, f"The bank has rows 0 to {len(b) - 1}.")
    if _right(q, b, given, truth, exclude_self):
        return _report(True, f"{truth}: for each query, the {k} bank row{'s' if k != 1 else ''} with the smallest "
                             "Euclidean distance, nearest first.")
    distances = torch.cdist(q, b)
    if exclude_self and any(i in row for i, row in enumerate(given)):
        hint = ("Query i is row i of the bank, at distance 0 from itself: leave it out and take the "
                "k nearest of the other rows.")
    elif [sorted(r) for r in given] == [sorted(r) for r in truth] and given == [r[::-1] for r in truth]:
        hint = "The right rows, in reverse order: the nearest comes first."
    elif [sorted(r) for r in given] == [sorted(r) for r in truth]:
        hint = "The right rows, in the wrong order: sort them by distance, nearest first."
    elif given == _farthest(distances, k, exclude_self):
        hint = ("Those are the farthest rows: sort the distances in increasing order (torch.topk needs "
                "largest=False).")
    elif given == _by(torch.cdist(q, b, p=1), k, exclude_self):
        hint = ("Those are the nearest by the sum of absolute differences (L1); the paper uses the Euclidean "
                "distance, the square root of the sum of squared differences.")
    else:
        hint = "Compute the distance from each query to every row of the bank, then take the k smallest."
    return _report(False, f"{given} is not it. {hint}")


def _by(distances: torch.Tensor, k: int, exclude_self: bool, largest: bool = False) -> list[list[int]]:
    d = distances.clone()
    if exclude_self:
        d[torch.arange(len(d)), torch.arange(len(d))] = -math.inf if largest else math.inf
    return d.topk(k, dim=1, largest=largest).indices.tolist()


def _farthest(distances: torch.Tensor, k: int, exclude_self: bool) -> list[list[int]]:
    return _by(distances, k, exclude_self, largest=True)


def _right(q: torch.Tensor, b: torch.Tensor, given: list[list[int]], truth: list[list[int]],
           exclude_self: bool) -> bool:
    """Whether ``given`` picks, for every query, distinct rows at the same distances as ``truth``
    (so that ties may come in any order)."""
    distances = torch.cdist(q, b)
    for i, (row, best) in enumerate(zip(given, truth)):
        if len(set(row)) != len(row) or (exclude_self and i in row):
            return False
        mine, theirs = distances[i, row], distances[i, best]
        if not torch.allclose(mine, theirs, rtol=1e-9, atol=1e-12):
            return False
    return True


def _same_class(query_labels: Sequence, neighbour_labels: Sequence[Sequence]) -> list[list[bool]]:
    if len(query_labels) != len(neighbour_labels):
        raise ValueError(f"{len(query_labels)} query labels but {len(neighbour_labels)} lists of neighbour labels")
    return [[n == c for n in row] for c, row in zip(query_labels, neighbour_labels)]


def check_share_same_class(query_labels: Sequence, neighbour_labels: Sequence[Sequence], answer) -> bool:
    """The share of all neighbours that have their query's class: ``neighbour_labels[i]`` lists the
    classes of query ``i``'s neighbours (labels of any kind: ints or names). Every pair (query,
    neighbour) counts once. A fraction between 0 and 1, ±0.1 %."""
    same = _same_class(query_labels, neighbour_labels)
    pairs = sum(len(row) for row in same)
    if pairs == 0:
        raise ValueError("no neighbours to count")
    hits = sum(sum(row) for row in same)
    truth = hits / pairs
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the share as one number between 0 and 1.")
    if _close(given, truth, rel=1e-3, abs_=1e-9):
        return _report(True, f"{truth:.4g}: {hits} of the {pairs} neighbours have their query's class.")
    nearest = sum(row[0] for row in same if row) / sum(1 for row in same if row)
    anyone = sum(any(row) for row in same) / len(same)
    if _close(given, 100 * truth, rel=1e-3):
        hint = "That is a percentage: give the share as a fraction between 0 and 1."
    elif given == hits:
        hint = f"That is the count of neighbours with the query's class; divide it by the number of neighbours, {pairs}."
    elif _close(given, 1 - truth, rel=1e-3, abs_=1e-9):
        hint = "That is the share of neighbours of *another* class."
    elif _close(given, nearest, rel=1e-3, abs_=1e-9):
        hint = "That counts only the nearest neighbour of each query; count all of them."
    elif _close(given, anyone, rel=1e-3, abs_=1e-9):
        hint = ("That is the share of queries with at least one neighbour of their class; count every "
                "(query, neighbour) pair.")
    else:
        hint = "For every query, count its neighbours with the query's class; add up, and divide by all neighbours."
    return _report(False, f"{given:g} is not it. {hint}")


def check_chance_share(query_labels: Sequence, bank_labels: Sequence, answer) -> bool:
    """The share of neighbours that would have their query's class if each neighbour were drawn at
    random from the bank: for each query, the frequency of its class in the bank, averaged over the
    queries. A fraction between 0 and 1, ±0.1 %."""
    if not query_labels or not bank_labels:
        raise ValueError("give at least one query label and one bank label")
    counts = Counter(bank_labels)
    truth = sum(counts[c] for c in query_labels) / (len(query_labels) * len(bank_labels))
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the share as one number between 0 and 1.")
    if _close(given, truth, rel=1e-3, abs_=1e-12):
        return _report(True, f"{truth:.4g}: a random bank image has the query's class with the frequency of "
                             "that class in the bank, averaged over the queries.")
    classes = set(bank_labels) | set(query_labels)
    in_queries = Counter(query_labels)
    from_queries = sum(in_queries[c] for c in query_labels) / len(query_labels) ** 2
    if _close(given, 100 * truth, rel=1e-3):
        hint = "That is a percentage: give the share as a fraction between 0 and 1."
    elif _close(given, 1 / len(classes), rel=1e-3):
        hint = (f"1/{len(classes)} holds only when every class is equally frequent in the bank; weigh each "
                "query by the frequency of its own class in the bank.")
    elif _close(given, from_queries, rel=1e-3, abs_=1e-12):
        hint = "Those are the classes' frequencies among the queries; the neighbours come from the bank."
    else:
        hint = "For each query, the fraction of bank images of its class; then the mean over the queries."
    return _report(False, f"{given:g} is not it. {hint}")
