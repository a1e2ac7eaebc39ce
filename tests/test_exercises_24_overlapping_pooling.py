"""Checkers of chapter 24 (overlapping pooling): right answers pass, plausible wrong ones fail with
their hint, malformed answers fail with a message, and a wrong answer never prints the right one."""

import pytest
import torch
import torch.nn.functional as F

from alexnet_edu import exercises
from alexnet_edu.exercises import check


def _readers(n, z, s):
    """How many windows read each pixel of an n×n map, by torch's own pooling: the gradient of the
    sum of an average-pool times z² counts the windows over each pixel (floor rounding)."""
    x = torch.zeros(1, 1, n, n, requires_grad=True)
    (F.avg_pool2d(x, z, s) * z * z).sum().backward()
    return x.grad[0, 0].round().long()


def _equal_sizes(ceil_mode):
    return {n for n in range(10, 21)
            if F.max_pool2d(torch.zeros(1, 1, n, n), 3, 2, ceil_mode=ceil_mode).shape
            == F.max_pool2d(torch.zeros(1, 1, n, n), 2, 2, ceil_mode=ceil_mode).shape}


def test_pool_coverage(capsys):
    assert exercises.check_pool_coverage(7, 3, 2, 2, 2)  # windows start at 0, 2, 4: pixel 2 is in two
    assert exercises.check_pool_coverage(13, 3, 2, (6, 6), 4)
    assert exercises.check_pool_coverage(13, 2, 2, (12, 12), 0)
    capsys.readouterr()
    cases = [
        ((13, 3, 2, 12, 2), "Away from the edges"),           # interior count at the last pixel
        ((13, 3, 2, 7, 2), "neighbouring pixel"),             # pixel 7 is read by 1, its neighbours by 2
        ((13, 3, 2, 6, 4), "one axis only"),                  # the 2-D count
        ((13, 3, 2, 6, 3), "i·s, …, i·s + z − 1"),
        ((13, 3, 2, (6, 6), 2), "multiply"),
        ((13, 2, 2, 12, 1), "never read"),
    ]
    for args, hint in cases:
        assert not exercises.check_pool_coverage(*args), args
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (args, out)
    for bad in ((13, 3, 2, 13, 1), (13, 3, 2, 6, "two"), (13, 3, 2, 6, ...), (13, 3, 2, (6, 6, 6), 1),
                (13, 3, 2, 6, 1.5)):
        assert not exercises.check_pool_coverage(*bad)
        assert "Not yet." in capsys.readouterr().out


def test_equal_pool_sizes(capsys):
    floor, ceil = _equal_sizes(False), _equal_sizes(True)
    assert floor == {11, 13, 15, 17, 19} and ceil == {10, 12, 14, 16, 18, 20}
    assert exercises.check_equal_pool_sizes(floor)
    assert exercises.check_equal_pool_sizes(sorted(ceil), ceil_mode=True)
    capsys.readouterr()
    assert not exercises.check_equal_pool_sizes(ceil)
    assert "ceil rounding" in capsys.readouterr().out
    assert not exercises.check_equal_pool_sizes({12, 14})
    out = capsys.readouterr().out
    assert "n=12 gives" in out and "missing" in out and "11" not in out
    for bad in ({...}, ..., "11, 13", 11, {"eleven"}):
        assert not exercises.check_equal_pool_sizes(bad)
        assert "Not yet." in capsys.readouterr().out


def test_pool_receptive_field(capsys):
    assert exercises.check_pool_receptive_field(2, 7)  # 3 + 2·2
    assert exercises.check_pool_receptive_field(3, 8, z=2, s=2)
    capsys.readouterr()
    for answer, hint in ((27, "z^layers"), (7, "factor s"), (225, "one axis"), (8, "jump"), (10, "walk back")):
        assert not exercises.check_pool_receptive_field(3, answer), answer
        out = capsys.readouterr().out
        assert hint in out and "15" not in out, (answer, out)
    for bad in ((0, 3), (3, "many"), (3, ...), (3, 15.5)):
        assert not exercises.check_pool_receptive_field(*bad)
        assert "Not yet." in capsys.readouterr().out


def test_exercises_pass_with_right_answers():
    z3, z2 = _readers(13, 3, 2), _readers(13, 2, 2)
    # the field of three stacked pools, by torch: the input pixels one output's gradient reaches
    x = torch.zeros(1, 1, 64, requires_grad=True)
    y = x
    for _ in range(3):
        y = F.avg_pool1d(y, 3, 2)
    y[0, 0, 0].backward()
    field_overlapping = int((x.grad != 0).sum())
    x.grad = None
    y = x
    for _ in range(3):
        y = F.avg_pool1d(y, 2, 2)
    y[0, 0, 0].backward()
    field_tiling = int((x.grad != 0).sum())
    assert (field_overlapping, field_tiling) == (15, 8)
    assert check("pool-coverage", windows_pixel_12=int(z3[0, 12]), windows_pixel_6=int(z3[0, 6]),
                 windows_pixel_6_6=int(z3[6, 6]), windows_pixel_12_12_z2=int(z2[12, 12]))
    assert check("pool-equal-sizes", floor_same=_equal_sizes(False), ceil_same=_equal_sizes(True))
    assert check("pool-receptive-field", field_overlapping=field_overlapping, field_tiling=field_tiling)
    assert not check("pool-overfitting")           # answered in words


@pytest.mark.parametrize("label", ["pool-coverage", "pool-equal-sizes", "pool-receptive-field"])
def test_unfilled_answers_fail_with_a_message(label, capsys):
    names = exercises.CATALOGUE[label].answers
    assert not check(label, **{n: ... for n in names})
    assert "Replace ..." in capsys.readouterr().out
