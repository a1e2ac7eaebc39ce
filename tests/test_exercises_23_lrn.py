"""Checkers of chapter 23 (local response normalisation), whose LRN-by-hand checker chapter 44 uses
too: right answers pass, plausible wrong ones fail with their hint, malformed answers fail with a
message, and a wrong answer never prints the right one."""

import math

import numpy as np
import pytest
import torch

from alexnet_edu import exercises
from alexnet_edu.exercises import check

ACTS = [120, 0, 80, 200, 40, 0]
B3 = 200 / (2 + 1e-4 * (80**2 + 200**2 + 40**2)) ** 0.75    # channel 3's window: channels 1..5
B0 = 120 / (2 + 1e-4 * (120**2 + 80**2)) ** 0.75            # channel 0's window: channels 0..2


def test_lrn_alpha(capsys):
    assert exercises.check_lrn_alpha(1e-4, 5, "paper", 5e-4, "pytorch")
    assert exercises.check_lrn_alpha(1e-4, 5, "caffe", 2e-5)
    capsys.readouterr()
    for answer, hint in ((1e-4, "different layer"), (5e-4, "wrong direction"), (3e-4, "factors in front")):
        assert not exercises.check_lrn_alpha(1e-4, 5, "caffe", answer), answer
        out = capsys.readouterr().out
        assert hint in out and "2e-05" not in out, (answer, out)
    assert not exercises.check_lrn_alpha(1e-4, 5, "tensorflow", 1e-4)
    assert not exercises.check_lrn_alpha(1e-4, 5, "caffe", "small")
    assert "Not yet." in capsys.readouterr().out


def test_lrn_value_by_hand(capsys):
    assert exercises.check_lrn_value(ACTS, 3, B3)
    assert exercises.check_lrn_value(ACTS, 0, B0)
    assert exercises.check_lrn_value(torch.tensor(ACTS, dtype=torch.float32), 3, torch.tensor(B3))
    a = [10.0, 200.0, 30.0]
    assert exercises.check_lrn_value(a, 1, 200.0 / (2 + 1e-4 * (100 + 40000 + 900)) ** 0.75)
    # other constants: n = 3, α = 1e-3, β = 1, k = 1 for channel 3: window 2..4
    assert exercises.check_lrn_value(ACTS, 3, 200 / (1 + 1e-3 * (80**2 + 200**2 + 40**2)),
                                     size=3, alpha=1e-3, beta=1.0, k=1.0)
    assert "Correct." in capsys.readouterr().out


def test_lrn_value_rejects_plausible_wrong_answers(capsys):
    d = 2 + 1e-4 * (80**2 + 200**2 + 40**2)
    cases = [
        (200 / (2 + 1e-4 / 5 * (80**2 + 200**2 + 40**2)) ** 0.75, "divided α by n"),
        (200 / d, "power β"),
        (200 / (2 + 1e-4 * 200**2) ** 0.75, "not channel i alone"),
        (200 / (2 + 1e-4 * sum(v * v for v in ACTS)) ** 0.75, "not every channel"),
        (200 / (1 + 1e-4 * (80**2 + 200**2 + 40**2)) ** 0.75, "k = 2"),
        (200.0, "a itself"),
        (d ** 0.75, "denominator"),
        (d ** 0.75 / 200, "inverted"),
        (40.0, "b = a / (k + α Σ a²)^β"),
    ]
    for answer, hint in cases:
        assert not exercises.check_lrn_value(ACTS, 3, answer), answer
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (answer, out)
        assert "47.49" not in out and "47.5" not in out, out


def test_lrn_value_malformed(capsys):
    for maps, channel, answer, kw in ((ACTS, 6, 1.0, {}), (ACTS, 1, [1.0, 2.0], {}), (ACTS, 1, "b", {}),
                                      (ACTS, 1, ..., {}), ("abc", 1, 1.0, {}), (ACTS, 1, 1.0, {"groups": 4}),
                                      (np.zeros((2, 2, 2, 2)), 0, 1.0, {})):
        assert not exercises.check_lrn_value(maps, channel, answer, **kw)
        assert "Not yet." in capsys.readouterr().out


def test_lrn_peak(capsys):
    a_star = math.sqrt(2 / (1e-4 * 0.5))
    b_star = a_star / (2 + 1e-4 * a_star**2) ** 0.75
    assert a_star == pytest.approx(200) and b_star == pytest.approx(52.17, abs=0.01)
    assert exercises.check_lrn_peak(a_star, b_star)
    assert exercises.check_lrn_peak(200, 52.17)
    capsys.readouterr()
    cases = [
        (math.sqrt(2 / (2e-5 * 0.5)), b_star, "divided α by n"),
        (a_star / math.sqrt(5), b_star, "all 5 maps"),
        (math.sqrt(2 / 1e-4), b_star, "(2β − 1)"),
        (math.sqrt(2 / (2 * 1e-4 * 0.75)), b_star, "Both terms"),
        (a_star**2, b_star, "a*²"),
        (a_star, a_star / (2 + 1e-4 * a_star**2), "power β"),
        (a_star, (2 + 1e-4 * a_star**2) ** 0.75, "divisor"),
        (a_star, a_star, "the response b"),
    ]
    for a, b, hint in cases:
        assert not exercises.check_lrn_peak(a, b), (a, b)
        out = capsys.readouterr().out
        assert hint in out, (a, b, out)
        wrong = "".join(line for line in out.splitlines() if line.startswith("Not yet."))
        assert "52.17" not in wrong and "a* = 200" not in wrong, out
    assert not exercises.check_lrn_peak(..., 1.0)
    assert "Replace ..." in capsys.readouterr().out
    assert not exercises.check_lrn_peak(200, 52.2, beta=0.4)     # no peak for β ≤ 1/2
    assert not exercises.check_lrn_peak("high", 52.2)


def test_exercises_pass_with_right_answers():
    assert check("lrn-convert-alpha", paper_alpha=1e-4 / 5, torch_alpha=1e-4)
    assert check("lrn-by-hand", b3=B3, b0=B0)
    assert check("lrn-peak", a_star=200.0, b_star=200 / 6 ** 0.75)
    assert not check("lrn-alpha-over-n")           # answered in words


@pytest.mark.parametrize("label", ["lrn-convert-alpha", "lrn-by-hand", "lrn-peak"])
def test_unfilled_answers_fail_with_a_message(label, capsys):
    names = exercises.CATALOGUE[label].answers
    assert not check(label, **{n: ... for n in names})
    assert "Replace ..." in capsys.readouterr().out
