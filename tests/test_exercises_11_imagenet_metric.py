"""Checkers of chapter 11 (ImageNet and the metric): right answers pass, plausible wrong ones fail,
and a wrong answer never prints the right one."""

import math
import re

import pytest

from alexnet_edu import exercises

# Five images, five classes; the true class has rank 1, 3, 2, 5, 1 (no ties).
SCORES = [
    [2.0, 1.0, 0.5, 0.0, -1.0],
    [0.1, 0.9, 0.3, 1.2, -0.4],
    [0.0, 0.2, 0.7, 0.5, 0.1],
    [1.5, 1.4, 1.3, 1.2, 1.1],
    [-0.2, -0.1, 0.4, 0.3, 0.0],
]
TARGETS = [0, 2, 3, 4, 2]
ERRORS = {1: 3 / 5, 2: 2 / 5, 3: 1 / 5, 4: 1 / 5, 5: 0.0}


def _direct(scores, targets, k):
    """Rank counting, independent of the package: wrong when k or more classes score higher."""
    wrong = sum(sum(v > row[t] for v in row) >= k for row, t in zip(scores, targets))
    return wrong / len(targets)


def test_topk_checker_accepts_the_right_errors(capsys):
    for k, error in ERRORS.items():
        assert _direct(SCORES, TARGETS, k) == pytest.approx(error)
        assert exercises.check_topk_error(SCORES, TARGETS, k, error), k
    assert exercises.check_topk_error(SCORES, TARGETS, 2, "0.4")
    assert "Correct." in capsys.readouterr().out


def test_topk_checker_rejects_plausible_wrong_answers(capsys):
    cases = [
        (2, 40, "percentage"),          # 40% instead of 0.4
        (2, 2, "number of rows"),       # a count
        (2, 0.6, "accuracy"),           # 1 − error
        (1, 0.2, "top-3 error"),        # answered for another k
        (2, 0.8, "HIGHEST"),            # the lowest scores taken as guesses
        (3, 0.3, "strictly higher"),    # no recognisable mistake
    ]
    for k, answer, hint in cases:
        assert not exercises.check_topk_error(SCORES, TARGETS, k, answer), (k, answer)
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (k, answer, out)
        assert re.search(rf"(?<![\d.]){ERRORS[k]:g}(?![\d])", out.split(" is not ", 1)[1]) is None, out


def test_topk_checker_accepts_either_tie_rule_and_refuses_bad_input(capsys):
    tied = [[1.0, 1.0, 1.0, 0.0]]   # three classes share the top score
    assert exercises.check_topk_error(tied, [0], 2, 0.0)   # ties in the true class's favour
    assert exercises.check_topk_error(tied, [0], 2, 1.0)   # ties against it
    assert exercises.check_topk_error(tied, [0], 2, 1 / 3)  # random tie-breaking
    assert "tie at place 2" in capsys.readouterr().out
    assert not exercises.check_topk_error(tied, [3], 2, 0.0)  # the true class is last: no tie at place 2
    assert not exercises.check_topk_error(SCORES, TARGETS, 6, 0.0)   # k larger than the number of classes
    assert not exercises.check_topk_error(SCORES, [0, 1], 1, 0.0)    # wrong number of targets
    assert not exercises.check_topk_error(SCORES, TARGETS, 1, "three fifths")


def test_random_guessing_checker(capsys):
    assert exercises.check_random_topk_error(0.995)
    assert exercises.check_random_topk_error(0.999, k=1)
    assert exercises.check_random_topk_error(0.5, k=5, classes=10)
    assert "Correct." in capsys.readouterr().out
    for answer, hint in ((99.5, "percentage"), (0.005, "accuracy"), ((1 - 1 / 1000) ** 5, "independent"),
                         (0.999, "top-1 error"), (0.95, "equally likely")):
        assert not exercises.check_random_topk_error(answer), answer
        out = capsys.readouterr().out
        assert hint in out and re.search(r"0\.995(?!\d)", out) is None, (answer, out)
    assert not exercises.check_random_topk_error(0.5, k=11, classes=10)


def _z(a, b, n_a, n_b):
    return abs(a - b) / math.sqrt(a * (1 - a) / n_a + b * (1 - b) / n_b)


def test_standard_error_checker_accepts_the_right_ratio(capsys):
    z = _z(0.153, 0.262, 100_000, 100_000)
    assert 60 < z < 61
    assert exercises.check_error_gap_standard_errors(0.153, 0.262, 100_000, z)
    assert exercises.check_error_gap_standard_errors(0.153, 0.262, 100_000, round(z, 1))
    z = _z(0.154, 0.153, 50_000, 100_000)
    assert exercises.check_error_gap_standard_errors(0.154, 0.153, 50_000, z, images_b=100_000)
    assert "Correct." in capsys.readouterr().out


def test_standard_error_checker_rejects_plausible_wrong_answers(capsys):
    a, b, n = 0.182, 0.164, 50_000
    va, vb = a * (1 - a) / n, b * (1 - b) / n
    gap = a - b
    cases = [
        (gap / math.sqrt(va), "add their variances"),
        (gap / (math.sqrt(va) + math.sqrt(vb)), "do not add"),
        (gap / (va + vb), "square root"),
        (gap / math.sqrt(a * (1 - a) + b * (1 - b)), "number of images"),
        (gap / math.sqrt(a * (1 - a) * n + b * (1 - b) * n), "COUNT"),
        (100 * _z(a, b, n, n), "fractions"),
        (3.0, "root of the summed variances"),
    ]
    truth = _z(a, b, n, n)
    for answer, hint in cases:
        assert not exercises.check_error_gap_standard_errors(a, b, n, answer), answer
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (answer, out)
        assert f"{truth:.3g}" not in out
    # different test-set sizes, but one n used for both
    wrong = abs(0.154 - 0.153) / math.sqrt(0.154 * 0.846 / 50_000 + 0.153 * 0.847 / 50_000)
    assert not exercises.check_error_gap_standard_errors(0.154, 0.153, 50_000, wrong, images_b=100_000)
    assert "its own n" in capsys.readouterr().out
    assert not exercises.check_error_gap_standard_errors(15.3, 26.2, 100_000, 60.7)   # percentages as input
    assert not exercises.check_error_gap_standard_errors(0.153, 0.262, 0, 1.0)
    assert not exercises.check_error_gap_standard_errors(0.153, 0.262, 100_000, "many")
