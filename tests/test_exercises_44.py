"""Checkers of chapter 44 (inside the layers): right answers pass, plausible wrong ones fail."""

import numpy as np
import torch

from alexnet_edu.exercises.inside import check_lrn_value, check_map_size, check_relu_zero_share


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
