"""Checkers of chapter 45 (ensembles): right answers pass, plausible wrong ones fail."""

import torch

from alexnet_edu.exercises.ch45_ensembles import (
    check_ensemble_error,
    check_ensemble_prediction,
    check_majority_error,
    majority_error,
)

# two hesitant networks say class 1, one confident network says class 0:
# averages (0.45 + 0.45 + 0.95) / 3 = 0.6167 for class 0, (0.55 + 0.55 + 0.05) / 3 = 0.3833 for class 1
HESITANT_AND_CONFIDENT = [[0.45, 0.55, 0.0], [0.45, 0.55, 0.0], [0.95, 0.05, 0.0]]

# three networks, three images of class 0; each network is wrong on a different image
DIFFERENT_MISTAKES = [
    [[0.3, 0.6, 0.1], [0.7, 0.2, 0.1], [0.6, 0.1, 0.3]],
    [[0.65, 0.25, 0.1], [0.3, 0.1, 0.6], [0.7, 0.2, 0.1]],
    [[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3]],
]
LABELS = [0, 0, 0]


def test_prediction_checker_averages_not_votes(capsys):
    assert check_ensemble_prediction(HESITANT_AND_CONFIDENT, 0)
    assert "Correct." in capsys.readouterr().out
    assert not check_ensemble_prediction(HESITANT_AND_CONFIDENT, 1)     # the majority vote
    out = capsys.readouterr().out
    assert "Not yet." in out and "votes" in out
    assert not check_ensemble_prediction(HESITANT_AND_CONFIDENT, 2)
    assert not check_ensemble_prediction(HESITANT_AND_CONFIDENT, 3)     # no such class
    assert not check_ensemble_prediction(HESITANT_AND_CONFIDENT, 0.5)
    assert not check_ensemble_prediction([[0.5, 0.5], [0.5, 0.5]], 0)   # a tie has no single answer
    assert check_ensemble_prediction(torch.tensor([[0.2, 0.8], [0.6, 0.4]]), 1)   # (0.4, 0.6)


def test_prediction_checker_first_network_hint(capsys):
    # the first network says 2, the average says 0: (0.5, 0.1, 0.4) and (0.9, 0.1, 0.0) -> (0.7, 0.1, 0.2)
    assert check_ensemble_prediction([[0.5, 0.1, 0.4], [0.9, 0.1, 0.0]], 0)
    capsys.readouterr()
    assert not check_ensemble_prediction([[0.4, 0.1, 0.5], [0.9, 0.1, 0.0]], 2)
    assert "first network" in capsys.readouterr().out


def test_error_checker_known_answers(capsys):
    assert check_ensemble_error(DIFFERENT_MISTAKES, LABELS, 0.0)          # averaging fixes all three
    assert "Correct." in capsys.readouterr().out
    same = [DIFFERENT_MISTAKES[0]] * 3                                      # one network three times
    assert check_ensemble_error(same, LABELS, 1 / 3)
    assert check_ensemble_error(DIFFERENT_MISTAKES, LABELS, 0.0, k=2)
    # top-2 on image 1 of network 2 alone: (0.3, 0.1, 0.6) -> classes 2 and 0 -> right
    assert check_ensemble_error([DIFFERENT_MISTAKES[1]], LABELS, 0.0, k=2)
    assert check_ensemble_error([DIFFERENT_MISTAKES[1]], LABELS, 1 / 3, k=1)


def test_error_checker_rejects_plausible_wrong_answers(capsys):
    assert not check_ensemble_error(DIFFERENT_MISTAKES, LABELS, 1 / 3)    # the mean of the members' errors
    assert "mean of the networks' own errors" in capsys.readouterr().out
    same = [DIFFERENT_MISTAKES[0]] * 3
    assert not check_ensemble_error(same, LABELS, 1)                        # a count, not a fraction
    assert "count" in capsys.readouterr().out
    assert not check_ensemble_error(same, LABELS, 2 / 3)                    # the share right
    assert not check_ensemble_error(same, LABELS, 100 / 3)                  # a percentage
    assert "percentage" in capsys.readouterr().out
    assert not check_ensemble_error(same, LABELS, "a third")
    assert not check_ensemble_error(same, [0, 0], 1 / 3)                   # wrong number of labels
    assert not check_ensemble_error(same, LABELS, 1 / 3, k=4)


def test_majority_error_by_hand(capsys):
    # p = 0.3, n = 5: 10·0.3³·0.7² + 5·0.3⁴·0.7 + 0.3⁵ = 0.1323 + 0.02835 + 0.00243
    assert abs(majority_error(0.3, 5) - 0.16308) < 1e-12
    assert check_majority_error(0.3, 5, 0.16308)
    assert check_majority_error(0.2, 3, 0.104)          # 3·0.2²·0.8 + 0.2³
    assert check_majority_error(0.3, 1, 0.3)
    assert "Correct." in capsys.readouterr().out


def test_majority_error_rejects_plausible_wrong_answers(capsys):
    assert not check_majority_error(0.3, 5, 0.3)              # one network's
    assert "one network" in capsys.readouterr().out
    assert not check_majority_error(0.3, 5, 0.3 ** 5)         # all wrong
    assert "all of them" in capsys.readouterr().out
    assert not check_majority_error(0.3, 5, 0.1323)           # exactly three
    assert "smallest majority" in capsys.readouterr().out
    assert not check_majority_error(0.3, 5, 16.308)
    assert not check_majority_error(0.3, 4, 0.1)              # even n
    assert not check_majority_error(1.3, 5, 0.1)


def test_checkers_never_reveal_the_answer_when_wrong(capsys):
    check_majority_error(0.3, 5, 0.5)
    check_ensemble_error(DIFFERENT_MISTAKES, LABELS, 0.5)
    check_ensemble_prediction(HESITANT_AND_CONFIDENT, 2)
    out = capsys.readouterr().out
    assert "0.163" not in out and "Not yet." in out
    assert "class 0" not in out.lower()


def test_error_checker_pairs_and_weights():
    # networks 0 and 1: image 0 averages (0.475, 0.425, 0.1) -> right; images 1 and 2 right -> 0
    assert check_ensemble_error(DIFFERENT_MISTAKES[:2], LABELS, 0.0)
    # network 0 twice and network 1: image 0 (0.4167, 0.4833, 0.1) -> wrong -> 1/3
    assert check_ensemble_error([DIFFERENT_MISTAKES[0]] * 2 + [DIFFERENT_MISTAKES[1]], LABELS, 1 / 3)
    assert not check_ensemble_error([DIFFERENT_MISTAKES[0]] * 2 + [DIFFERENT_MISTAKES[1]], LABELS, 0.0)


# --- malformed answers, the tolerance, and the chapter's exercises -----------------------------------

import math
from pathlib import Path

import nbformat

from alexnet_edu.editions import exercise_blocks, has_rubric
from alexnet_edu.exercises import check
from alexnet_edu.exercises.ch45_ensembles import EXERCISES

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "45_ensembles.ipynb"


def test_checkers_take_malformed_answers_without_an_exception(capsys):
    assert not check_ensemble_prediction(HESITANT_AND_CONFIDENT, ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_ensemble_prediction("probabilities", 0)
    assert "do not work" in capsys.readouterr().out
    assert not check_ensemble_error(DIFFERENT_MISTAKES, LABELS, ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_ensemble_error(DIFFERENT_MISTAKES, LABELS, "none")
    assert "Give the error" in capsys.readouterr().out
    assert not check_majority_error(0.3, 5, ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not check_majority_error(0.3, 5, [0.1, 0.2])
    assert "Give the probability" in capsys.readouterr().out


def test_error_checker_refuses_one_image_off_on_a_large_test_set():
    # one network, 10,000 images of class 0, wrong on the first 2,500: error 0.25; 0.2501 is 0.04 % off
    n, wrong = 10_000, 2_500
    probs = torch.zeros(1, n, 2)
    probs[0, :, 0] = 0.9
    probs[0, :, 1] = 0.1
    probs[0, :wrong] = torch.tensor([0.2, 0.8])
    labels = torch.zeros(n, dtype=torch.long)
    assert check_ensemble_error(probs, labels, wrong / n)
    assert not check_ensemble_error(probs, labels, (wrong + 1) / n)


def test_the_catalogue_lists_the_chapters_exercises_in_order():
    nb = nbformat.read(CHAPTER, as_version=4)
    blocks = exercise_blocks(nb)
    assert [b.label for b in blocks] == [e.label for e in EXERCISES]
    assert "ensembles-diversity" in {b.label for b in blocks if has_rubric(nb, b)}
    assert [e.label for e in EXERCISES if not e.auto] == ["ensembles-diversity"]


def test_the_exercises_pass_with_answers_worked_out_by_hand(capsys):
    # averages (0.45 + 0.45 + 0.95)/3 for class 0 against (0.55 + 0.55 + 0.05)/3 for class 1
    assert check("ensembles-prediction", ensemble_class=0)
    # networks 0 and 1: every image right; network 0 twice: image 0 averages 0.417 against 0.483
    assert check("ensembles-error", error_pair=0.0, error_doubled=1 / 3)
    # 3, 4 or 5 of 5 wrong
    by_hand = sum(math.comb(5, j) * 0.3 ** j * 0.7 ** (5 - j) for j in (3, 4, 5))
    assert check("ensembles-independent", majority_wrong=by_hand)
    assert "Not yet." not in capsys.readouterr().out
    assert not check("ensembles-prediction", ensemble_class=1)
    assert "votes" in capsys.readouterr().out
    assert not check("ensembles-error", error_pair=0.0, error_doubled=0.0)
    assert not check("ensembles-diversity")
    assert "in words" in capsys.readouterr().out
