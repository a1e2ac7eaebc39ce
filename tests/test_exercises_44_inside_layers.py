"""Checkers of chapter 44 (inside the layers): right answers pass, plausible wrong ones fail with
their hint, malformed answers fail with a message, and a wrong answer never prints the right one.
The LRN checker is chapter 23's (tests/test_exercises_23_lrn.py); here it is tested on chapter 44's
cases: whole maps and the two GPUs' groups."""

import math

import numpy as np
import pytest
import torch

from alexnet_edu import exercises
from alexnet_edu.exercises import (
    check,
    check_lrn_competition_level,
    check_lrn_value,
    check_map_size,
    check_relu_zero_share,
)


def test_map_size_checker_known_shapes():
    # 227 -> conv1 ⌊(227 − 11)/4⌋ + 1 = 55 -> pool ⌊(55 − 3)/2⌋ + 1 = 27 -> conv2 (pad 2) 27 -> pool 13 -> 13 -> 13 -> pool 6
    assert check_map_size("conv1", (96, 55, 55))
    assert check_map_size("relu1", (96, 55, 55))
    assert check_map_size("lrn1", 55)                       # the side alone is accepted
    assert check_map_size("pool1", (96, 27, 27))
    assert check_map_size("conv2", (256, 27, 27))
    assert check_map_size("lrn2", (256, 27, 27))
    assert check_map_size("pool2", 13)
    assert check_map_size("relu3", (384, 13, 13))
    assert check_map_size("relu4", (384, 13, 13))
    assert check_map_size("RELU5", (256, 13, 13))
    assert check_map_size("pool5", (256, 6, 6))
    assert check_map_size("conv1", [96, 54, 54], input_size=224)   # ⌊213/4⌋ + 1 = 54 without padding


def test_map_size_checker_rejects_plausible_wrong_answers(capsys):
    assert not check_map_size("relu1", (96, 27, 27))
    assert "values, not sizes" in capsys.readouterr().out
    assert not check_map_size("conv1", (96, 27, 27))
    assert "later stage" in capsys.readouterr().out
    assert not check_map_size("conv2", (256, 55, 55))
    assert "earlier stage" in capsys.readouterr().out
    assert not check_map_size("conv2", (128, 27, 27))
    assert "number of maps" in capsys.readouterr().out
    assert not check_map_size("conv1", 54)
    out = capsys.readouterr().out
    assert "Not yet." in out and "55" not in out            # the answer stays hidden
    assert not check_map_size("fc6", 1)
    assert "Name a layer" in capsys.readouterr().out
    assert not check_map_size("conv3", (384, 13))
    assert not check_map_size("conv3", "big")


def test_relu_zero_share_checker():
    values = [-2.0, -0.5, 0.0, 0.0, 1.0, 3.0, -1.0, 2.5]    # 5 of 8 at or below zero
    assert check_relu_zero_share(values, 5 / 8)
    assert check_relu_zero_share(np.array(values).reshape(2, 2, 2), 0.625)
    assert check_relu_zero_share(torch.tensor([1.0, 2.0]), 0.0)
    assert check_relu_zero_share([-1.0, -2.0, -3.0], 1.0)
    assert not check_relu_zero_share(values, 0.6)


def test_relu_zero_share_checker_rejects_plausible_wrong_answers(capsys):
    values = [-2.0, -0.5, 0.0, 0.0, 1.0, 3.0, -1.0, 2.5]
    assert not check_relu_zero_share(values, 3 / 8)
    assert "pass" in capsys.readouterr().out
    assert not check_relu_zero_share(values, 62.5)
    assert "percentage" in capsys.readouterr().out
    assert not check_relu_zero_share(values, 0.5)
    out = capsys.readouterr().out
    assert "Not yet." in out and "0.625" not in out and "0.6250" not in out      # the answer stays hidden
    # 2 negative, 3 exact zeros, 3 positive: zeros of the output 5/8; counting only the negatives gives 2/8
    assert check_relu_zero_share([-1.0, -1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0], 5 / 8)
    assert not check_relu_zero_share([-1.0, -1.0, 0.0, 0.0, 0.0, 2.0, 2.0, 2.0], 2 / 8)
    assert "exactly 0" in capsys.readouterr().out
    assert not check_relu_zero_share([], 0.0)
    assert not check_relu_zero_share([1.0, float("nan")], 0.0)
    assert not check_relu_zero_share([1.0], "half")


# LRN by hand. One position, 3 channels a = (1, 10, 100): every window (n = 5, two on each side) holds
# all three, Σ a² = 1 + 100 + 10000 = 10101, denominator (2 + 1e-4 · 10101)^0.75 = 3.0101^0.75.
_A = [1.0, 10.0, 100.0]
_D = (2 + 1e-4 * 10101) ** 0.75


def test_lrn_value_checker_by_hand():
    assert abs(_D - 2.2853) < 1e-4
    assert check_lrn_value(_A, 1, 10 / _D)
    assert check_lrn_value(_A, 2, 100 / _D)
    assert check_lrn_value(np.array(_A)[:, None, None], 0, [[1 / _D]])         # maps (N, 1, 1)
    # whole maps: channel 0's map over two positions
    maps = np.array([[[1.0, 0.0]], [[10.0, 0.0]], [[100.0, 3.0]]])           # (3, 1, 2)
    assert check_lrn_value(maps, 0, [[1 / _D, 0.0]])
    # the second position of channel 2: Σ a² = 9, b = 3 / (2 + 9e-4)^0.75
    assert check_lrn_value(maps, 2, [[100 / _D, 3 / (2 + 9e-4) ** 0.75]])


def test_lrn_value_checker_groups_by_hand():
    # 4 channels of 10 each, at one position. groups=1: channel 1's window holds channels 0..3, Σ a² = 400;
    # groups=2: channels 0..1 only, Σ a² = 200
    a = [10.0, 10.0, 10.0, 10.0]
    assert check_lrn_value(a, 1, 10 / (2 + 0.04) ** 0.75)
    assert check_lrn_value(a, 1, 10 / (2 + 0.02) ** 0.75, groups=2)
    assert not check_lrn_value(a, 1, 10 / (2 + 0.04) ** 0.75, groups=2)


def test_lrn_value_checker_rejects_plausible_wrong_answers(capsys):
    assert not check_lrn_value(_A, 1, 10 / (2 + 1e-4 / 5 * 10101) ** 0.75)          # α/n
    assert "α/n" in capsys.readouterr().out
    assert not check_lrn_value(_A, 1, 10 / (2 + 1e-4 * 10101))                      # no β
    assert "power β" in capsys.readouterr().out
    assert not check_lrn_value(_A, 1, 10 / (2 + 1e-4 * 100) ** 0.75)                # own channel only
    assert "window" in capsys.readouterr().out
    # a = (30, 0, 40), channel 0: Σ a² = 900 + 1600 = 2500; b = 30 / (2 + 0.25)^0.75; with k = 1: 30 / 1.25^0.75
    assert check_lrn_value([30.0, 0.0, 40.0], 0, 30 / 2.25 ** 0.75)
    assert not check_lrn_value([30.0, 0.0, 40.0], 0, 30 / 1.25 ** 0.75)
    assert "k = 2" in capsys.readouterr().out
    assert not check_lrn_value(_A, 1, 10.0)
    assert "a itself" in capsys.readouterr().out
    a = [10.0, 10.0, 10.0, 10.0]
    assert not check_lrn_value(a, 1, 10 / (2 + 0.04) ** 0.75, groups=2)
    assert "groups=2" in capsys.readouterr().out
    assert not check_lrn_value(_A, 1, 4.0)
    out = capsys.readouterr().out
    assert "Not yet." in out and "4.374" not in out                                  # b stays hidden
    assert not check_lrn_value(_A, 5, 1.0)
    assert not check_lrn_value(_A, 1, [1.0, 2.0])
    assert not check_lrn_value(a, 1, 1.0, groups=3)


def test_lrn_value_is_chapter_23s():
    from alexnet_edu.exercises import ch23_lrn, ch44_inside_layers

    assert check_lrn_value is ch23_lrn.check_lrn_value is ch44_inside_layers.check_lrn_value
    assert not hasattr(ch23_lrn, "check_lrn_response")


def _a_ten_percent():
    # (2 + 1e-4 · 5a²)^0.75 = 1.1 · 2^0.75  ⇔  1 + 2.5e-4 a² = 1.1^(4/3)
    return math.sqrt((1.1 ** (4 / 3) - 1) / 2.5e-4)


def test_lrn_competition_level(capsys):
    a = _a_ten_percent()
    assert round(a, 1) == 23.3
    assert check_lrn_competition_level(a)
    assert check_lrn_competition_level(23.28)
    # 20 % above the floor: 1 + 2.5e-4 a² = 1.2^(4/3)
    assert check_lrn_competition_level(math.sqrt((1.2 ** (4 / 3) - 1) / 2.5e-4), excess=0.2)
    capsys.readouterr()
    cases = [
        (a * math.sqrt(5), "Σ a² = 5a²"),                                   # one square, or α/n
        (math.sqrt(0.2 / 5e-4), "undo the power"),                         # no β
        (math.sqrt(2 * (1.1 ** 0.75 - 1) / 5e-4), "not to β"),             # β instead of 1/β
        (math.sqrt(((1.1 * 2) ** (4 / 3) - 2) / 5e-4), "not k"),           # floor 2 instead of 2^0.75
        (a * a, "take the square root"),
        (30.0, "raise both sides to 1/β"),
    ]
    for answer, hint in cases:
        assert not check_lrn_competition_level(answer), answer
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out and "23.2" not in out and "23.3" not in out, (answer, out)
    for bad in ("twenty", ..., [1.0, 2.0]):
        assert not check_lrn_competition_level(bad)
        assert "Not yet." in capsys.readouterr().out
    assert not check_lrn_competition_level(23.3, excess=-0.1)


def test_exercises_pass_with_right_answers():
    c1 = (227 - 11) // 4 + 1
    p1 = (c1 - 3) // 2 + 1
    c5 = (p1 - 3) // 2 + 1
    assert check("inside-map-size", shape_lrn1=(96, c1, c1), shape_pool1=(96, p1, p1),
                 shape_relu2=(256, p1, p1), shape_relu5=(256, c5, c5))
    assert check("inside-relu-zeros", zero_share=6 / 9)
    a = torch.tensor([30.0, 0.0, 40.0, 100.0, 10.0, 20.0], dtype=torch.float64)[None, :, None, None]
    two = torch.cat([torch.nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)(half)
                     for half in a.split(3, dim=1)], dim=1)     # PyTorch's α/n: 5e-4/5 = the paper's 1e-4
    one = torch.nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)(a)
    assert check("inside-lrn-value", b_two_gpus=two[0, 2].item(), b_one_gpu=one[0, 2].item())
    assert check("inside-lrn-scale", a_ten_percent=_a_ten_percent())


@pytest.mark.parametrize("label", ["inside-map-size", "inside-relu-zeros", "inside-lrn-value", "inside-lrn-scale"])
def test_unfilled_answers_fail_with_a_message(label, capsys):
    names = exercises.CATALOGUE[label].answers
    assert not check(label, **{n: ... for n in names})
    assert "Replace ..." in capsys.readouterr().out
