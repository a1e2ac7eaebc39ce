"""Checkers of chapter 43 (predictions and neighbours): right answers pass, plausible wrong ones fail."""

import numpy as np
import pytest
import torch

from alexnet_edu.exercises.neighbours import check_chance_share, check_nearest_neighbours, check_share_same_class

# five points in the plane; distances by hand (no ties):
# P0 (0, 0):   P1 1,     P2 2,     P3 3,     P4 1.803
# P1 (1, 0):   P0 1,     P2 2.236, P3 2,     P4 1.5
# P2 (0, 2):   P0 2,     P1 2.236, P3 3.606, P4 1.118
# P3 (3, 0):   P0 3,     P1 2,     P2 3.606, P4 2.5
# P4 (1, 1.5): P0 1.803, P1 1.5,   P2 1.118, P3 2.5
POINTS = [[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [3.0, 0.0], [1.0, 1.5]]
TWO_NEAREST_OTHERS = [[1, 4], [0, 4], [4, 0], [1, 4], [2, 1]]


def test_nearest_neighbours_checker_by_hand(capsys):
    assert check_nearest_neighbours(POINTS, POINTS, 2, TWO_NEAREST_OTHERS, exclude_self=True)
    assert check_nearest_neighbours(torch.tensor(POINTS), np.array(POINTS), 2, torch.tensor(TWO_NEAREST_OTHERS),
                                    exclude_self=True)
    # a query that is not in the bank: (2, 0.5) is 1.118 from P1, 1.118 from P3 (a tie), 1.414 from P4
    assert check_nearest_neighbours([[2.0, 0.5]], POINTS, 3, [[1, 3, 4]])
    assert check_nearest_neighbours([[2.0, 0.5]], POINTS, 3, [3, 1, 4])   # the tie either way; a flat list
    capsys.readouterr()


def test_nearest_neighbours_checker_hints(capsys):
    with_self = [[0, 1], [1, 0], [2, 4], [3, 1], [4, 2]]
    assert not check_nearest_neighbours(POINTS, POINTS, 2, with_self, exclude_self=True)
    assert "itself" in capsys.readouterr().out
    assert not check_nearest_neighbours(POINTS, POINTS, 2, [r[::-1] for r in TWO_NEAREST_OTHERS], exclude_self=True)
    assert "reverse order" in capsys.readouterr().out
    farthest = [[3, 2], [2, 3], [3, 1], [2, 0], [3, 0]]   # largest distances first, self left out
    assert not check_nearest_neighbours(POINTS, POINTS, 2, farthest, exclude_self=True)
    assert "farthest" in capsys.readouterr().out
    one_based = [[i + 1 for i in r] for r in TWO_NEAREST_OTHERS]
    assert not check_nearest_neighbours(POINTS, POINTS, 2, one_based, exclude_self=True)
    assert "from 0" in capsys.readouterr().out
    assert not check_nearest_neighbours(POINTS, POINTS, 2, [[1, 4]], exclude_self=True)
    assert "one list of 2 indices per query" in capsys.readouterr().out
    # L1 against L2: from (0, 0), (1.6, 0) is 1.6 away in both, (1, 1) is 1.414 in L2 but 2 in L1, (3, 0) is 3
    bank = [[1.6, 0.0], [1.0, 1.0], [3.0, 0.0]]
    assert check_nearest_neighbours([[0.0, 0.0]], bank, 1, [[1]])
    assert not check_nearest_neighbours([[0.0, 0.0]], bank, 1, [[0]])
    assert "absolute differences" in capsys.readouterr().out


def test_share_same_class_checker(capsys):
    queries = ["dog", "cat", "cat"]
    neighbours = [["dog", "dog", "cat"], ["dog", "cat", "cat"], ["dog", "dog", "dog"]]
    # same class: 2 + 2 + 0 = 4 of 9 pairs; nearest only: dog, dog, dog -> 1 of 3; any: 2 of 3
    assert check_share_same_class(queries, neighbours, 4 / 9)
    assert check_share_same_class([0, 1], [[0, 0, 1], [0, 1, 1]], 4 / 6)
    assert not check_share_same_class(queries, neighbours, 100 * 4 / 9)
    assert "percentage" in capsys.readouterr().out
    assert not check_share_same_class(queries, neighbours, 4)
    assert "count" in capsys.readouterr().out
    assert not check_share_same_class(queries, neighbours, 5 / 9)
    assert "another" in capsys.readouterr().out
    assert not check_share_same_class(queries, neighbours, 1 / 3)
    assert "nearest" in capsys.readouterr().out
    assert not check_share_same_class(queries, neighbours, 2 / 3)
    assert "at least one" in capsys.readouterr().out
    assert not check_share_same_class(queries, neighbours, "most")
    with pytest.raises(ValueError):
        check_share_same_class(queries, neighbours[:2], 0.5)


def test_chance_share_checker(capsys):
    bank = [0, 0, 0, 1, 2]          # frequencies 0.6, 0.2, 0.2
    queries = [0, 1, 2, 2]          # (0.6 + 0.2 + 0.2 + 0.2) / 4 = 0.3
    assert check_chance_share(queries, bank, 0.3)
    assert not check_chance_share(queries, bank, 1 / 3)
    assert "equally frequent" in capsys.readouterr().out
    assert not check_chance_share(queries, bank, 30)
    assert "percentage" in capsys.readouterr().out
    # the queries' own frequencies: 0.25, 0.25, 0.5, 0.5 -> mean 0.375
    assert not check_chance_share(queries, bank, 0.375)
    assert "bank" in capsys.readouterr().out
    assert check_chance_share(["a", "b"], ["a", "b", "b", "b"], (0.25 + 0.75) / 2)
