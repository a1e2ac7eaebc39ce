"""Checkers of chapter 45 (ensembles): right answers pass, plausible wrong ones fail."""

import torch

from alexnet_edu.exercises.ensembles import (
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
