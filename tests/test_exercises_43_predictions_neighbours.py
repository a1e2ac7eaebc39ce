"""Checkers of chapter 43 (predictions and neighbours): right answers pass, plausible wrong ones fail."""

import numpy as np
import pytest
import torch

from alexnet_edu.exercises.ch43_predictions_neighbours import check_chance_share, check_nearest_neighbours, check_share_same_class

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
    assert "Give the share" in capsys.readouterr().out
    assert not check_share_same_class(queries, neighbours[:2], 0.5)     # a message, not an exception
    assert "one list of neighbour labels per query" in capsys.readouterr().out


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


# --- malformed answers, hidden answers, and the chapter's exercises ----------------------------------

import os
from pathlib import Path

import nbformat

from alexnet_edu import records
from alexnet_edu.editions import exercise_blocks, has_rubric
from alexnet_edu.exercises import check
from alexnet_edu.exercises.ch43_predictions_neighbours import EXERCISES

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "43_predictions_neighbours.ipynb"
SHARED = Path(os.environ.get("ALEXNET_EDU_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
IMAGENETTE = SHARED / "imagenette2-224"


def test_checkers_take_malformed_answers_without_an_exception(capsys):
    assert not check_nearest_neighbours(POINTS, POINTS, 2, ..., exclude_self=True)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_nearest_neighbours(POINTS, POINTS, 2, "near", exclude_self=True)
    assert "one list of 2 indices per query" in capsys.readouterr().out
    assert not check_nearest_neighbours("points", POINTS, 2, TWO_NEAREST_OTHERS)
    assert "numbers" in capsys.readouterr().out
    assert not check_share_same_class(["dog"], [["dog"]], ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_chance_share([0], [0, 1], ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_chance_share([], [0, 1], 0.5)
    assert "at least one" in capsys.readouterr().out


def test_wrong_answers_never_show_the_right_one(capsys):
    assert not check_share_same_class(["dog", "cat", "cat"],
                                      [["dog", "dog", "cat"], ["dog", "cat", "cat"], ["dog", "dog", "dog"]], 0.5)
    out = capsys.readouterr().out
    assert "Not yet." in out and "0.4444" not in out and "4 of" not in out
    assert not check_chance_share([0, 1, 2, 2], [0, 0, 0, 1, 2], 0.25)
    out = capsys.readouterr().out
    assert "Not yet." in out and "0.3" not in out
    assert not check_nearest_neighbours(POINTS, POINTS, 2, [[1, 2], [0, 4], [4, 0], [1, 4], [2, 1]], exclude_self=True)
    out = capsys.readouterr().out
    assert "Not yet." in out and str(TWO_NEAREST_OTHERS) not in out


def test_chance_share_tolerance_keeps_one_tenth_out():
    # ten classes of 963/955/... photos: 1/10 lies 0.05 % from the chance line and must not pass
    bank = [c for c, n in enumerate([963, 955, 993, 858, 941, 956, 961, 931, 951, 960]) for _ in range(n)]
    queries = [c for c, n in enumerate([387, 395, 357, 386, 409, 394, 389, 419, 399, 390]) for _ in range(n)]
    truth = sum(bank.count(c) for c in queries) / (len(queries) * len(bank))
    assert check_chance_share(queries, bank, truth) and check_chance_share(queries, bank, round(truth, 5))
    assert not check_chance_share(queries, bank, 0.1)


def test_the_catalogue_lists_the_chapters_exercises_in_order():
    nb = nbformat.read(CHAPTER, as_version=4)
    blocks = exercise_blocks(nb)
    assert [b.label for b in blocks] == [e.label for e in EXERCISES]
    assert "neighbours-why-fc7" in {b.label for b in blocks if has_rubric(nb, b)}
    assert [e.label for e in EXERCISES if not e.auto] == ["neighbours-why-fc7"]


def test_the_exercises_pass_with_answers_worked_out_by_hand(capsys):
    assert check("neighbours-by-hand", nearest_two=TWO_NEAREST_OTHERS)
    # the toy: 2 + 2 + 0 of 9 pairs; the record's 20 queries, counted here pair by pair
    queries = records.load("pictures_imagenette")["queries"]
    shares = {}
    for key in ("fc7_neighbours", "pixel_neighbours"):
        pairs = [(q["class"], n["class"]) for q in queries for n in q[key]]
        shares[key] = sum(a == b for a, b in pairs) / len(pairs)
    assert (round(shares["fc7_neighbours"] * 120), round(shares["pixel_neighbours"] * 120)) == (79, 33)
    assert check("neighbours-share", share_toy=4 / 9, share_fc7=shares["fc7_neighbours"],
                 share_pixels=shares["pixel_neighbours"])
    assert not check("neighbours-share", share_toy=4 / 9, share_fc7=shares["pixel_neighbours"],
                     share_pixels=shares["pixel_neighbours"])
    assert not check("neighbours-why-fc7")
    assert "in words" in capsys.readouterr().out


@pytest.mark.skipif(not IMAGENETTE.is_dir(), reason=f"Imagenette is not in {SHARED}")
def test_the_chance_exercise_on_imagenette(monkeypatch, capsys):
    monkeypatch.setenv("ALEXNET_EDU_DATA", str(SHARED))
    # the chance line from the folders: Σ_c val_c · train_c / (N_val · N_train)
    count = {split: {c.name: sum(1 for f in c.iterdir() if f.is_file()) for c in (IMAGENETTE / split).iterdir()}
             for split in ("train", "val")}
    chance = sum(count["val"][c] * count["train"][c] for c in count["val"]) / (
        sum(count["val"].values()) * sum(count["train"].values()))
    assert check("neighbours-chance", chance_toy=(0.6 + 0.2 + 0.2 + 0.2) / 4, chance_imagenette=chance)
    assert not check("neighbours-chance", chance_toy=0.3, chance_imagenette=0.1)
    assert "equally frequent" in capsys.readouterr().out


def test_the_chance_exercise_says_when_the_data_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ALEXNET_EDU_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert not check("neighbours-chance", chance_toy=0.3, chance_imagenette=0.1)
    out = capsys.readouterr().out
    assert "Correct. 0.3" in out and "cannot be read here" in out
