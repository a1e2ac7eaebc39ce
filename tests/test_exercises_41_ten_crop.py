"""Checkers of chapter 41 (evaluation with ten crops): right answers pass, plausible wrong ones fail."""

import torch
from torchvision.transforms.v2 import functional as TF

from alexnet_edu import exercises


def _regions_by_torchvision(n: int, s: int) -> list[tuple[int, int]]:
    """(top, left) of each of torchvision's ten patches, in the original image's coordinates."""
    rows = torch.arange(n)[:, None].expand(n, n)
    cols = torch.arange(n)[None, :].expand(n, n)
    patches = TF.ten_crop(torch.stack([rows, cols]), [s, s])
    return [(int(p[0].min()), int(p[1].min())) for p in patches]


def test_origin_checker_accepts_every_patch_as_torchvision_cuts_it(capsys):
    for n, s in ((256, 224), (256, 227), (259, 224), (32, 28), (33, 28)):
        for k, corner in enumerate(_regions_by_torchvision(n, s)):
            assert exercises.check_ten_crop_origin(k, corner, n, s), (n, s, k)
    assert "Correct." in capsys.readouterr().out


def test_origin_checker_known_answers():
    assert exercises.check_ten_crop_origin(0, (0, 0))
    assert exercises.check_ten_crop_origin(1, (0, 32))
    assert exercises.check_ten_crop_origin(4, (16, 16))
    assert exercises.check_ten_crop_origin(5, (0, 32))    # the reflected image's top-left = the top-right region
    assert exercises.check_ten_crop_origin(9, (14, 15), 256, 227)
    assert exercises.check_ten_crop_origin(4, (18, 18), 259, 224)


def test_origin_checker_rejects_plausible_wrong_answers(capsys):
    assert not exercises.check_ten_crop_origin(5, (0, 0))           # position in the reflected image
    assert "reflected image" in capsys.readouterr().out
    assert not exercises.check_ten_crop_origin(9, (14, 14), 256, 227)
    assert "reflected image" in capsys.readouterr().out
    assert not exercises.check_ten_crop_origin(1, (32, 0))          # the bottom-left region (patch 2)
    assert "patch 2" in capsys.readouterr().out
    assert not exercises.check_ten_crop_origin(4, (17, 17), 259, 224)  # floor instead of round-half-to-even
    assert "round" in capsys.readouterr().out
    assert not exercises.check_ten_crop_origin(1, (0, 31))
    assert not exercises.check_ten_crop_origin(10, (0, 0))
    assert not exercises.check_ten_crop_origin(0, (0,))
    assert not exercises.check_ten_crop_origin(0, (0, 0), 224, 256)


def test_origin_checker_never_reveals_the_answer_when_wrong(capsys):
    exercises.check_ten_crop_origin(9, (3, 3), 256, 227)
    out = capsys.readouterr().out
    assert "Not yet." in out and "(14, 15)" not in out and "15 …" not in out


def test_coverage_checker_right_answers():
    n, s = 256, 224
    assert exercises.check_ten_crop_coverage(0, 0)
    assert exercises.check_ten_crop_coverage(2, 32 * 32 * 3)           # one patch and its reflection
    assert exercises.check_ten_crop_coverage(10, (n - 2 * (n - s)) ** 2)  # the 192×192 square in every patch
    assert exercises.check_ten_crop_coverage(1, 0)
    assert exercises.check_ten_crop_coverage(3, 58, 256, 227)          # odd margin: the centre patches differ


def test_coverage_checker_counts_agree_with_a_brute_force_count():
    for n, s in ((32, 28), (33, 28)):
        count = torch.zeros(n, n, dtype=torch.long)
        for top, left in _regions_by_torchvision(n, s):
            count[top:top + s, left:left + s] += 1
        for c in range(11):
            assert exercises.check_ten_crop_coverage(c, int((count == c).sum()), n, s), (n, s, c)


def test_coverage_checker_rejects_plausible_wrong_answers(capsys):
    assert not exercises.check_ten_crop_coverage(1, 3072)    # five patches counted, reflections forgotten
    assert "five patches" in capsys.readouterr().out
    assert not exercises.check_ten_crop_coverage(10, 256 * 256 - 36864)
    assert "NOT" in capsys.readouterr().out
    assert not exercises.check_ten_crop_coverage(2, 3073)
    out = capsys.readouterr().out
    assert "Not yet." in out and "3,072" not in out
    assert not exercises.check_ten_crop_coverage(11, 0)
    assert not exercises.check_ten_crop_coverage(2, "many")


# --- the engine's guarantees, the cost checkers, and the chapter's exercises ----------------------

import pytest


@pytest.mark.parametrize("call", [
    lambda a: exercises.check_ten_crop_origin(6, a),
    lambda a: exercises.check_ten_crop_coverage(2, a),
    lambda a: exercises.check_ten_crop_macs(a),
    lambda a: exercises.check_ten_crop_evaluation_share(a),
])
@pytest.mark.parametrize("bad", [..., "many"])
def test_malformed_answers_get_a_message_not_an_exception(capsys, call, bad):
    assert call(bad) is False
    out = capsys.readouterr().out
    assert out.startswith("Not yet.") and len(out) > 20
    if bad is ...:
        assert "Replace ..." in out


def _macs_by_torch() -> int:
    """Multiply-accumulates of one 227×227 forward pass, counted on torch's own layers: a convolution
    does (in_channels/groups)·k² of them per output value, a linear layer in·out."""
    from torch import nn

    net = [nn.Conv2d(3, 96, 11, 4), nn.MaxPool2d(3, 2), nn.Conv2d(96, 256, 5, padding=2, groups=2),
           nn.MaxPool2d(3, 2), nn.Conv2d(256, 384, 3, padding=1), nn.Conv2d(384, 384, 3, padding=1, groups=2),
           nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.MaxPool2d(3, 2), nn.Flatten(),
           nn.Linear(9216, 4096), nn.Linear(4096, 4096), nn.Linear(4096, 1000)]
    x, total = torch.zeros(1, 3, 227, 227), 0
    with torch.no_grad():
        for layer in net:
            x = layer(x)
            if isinstance(layer, nn.Conv2d):
                total += x.numel() * layer.in_channels // layer.groups * layer.kernel_size[0] ** 2
            elif isinstance(layer, nn.Linear):
                total += layer.in_features * layer.out_features
    return total


def test_ten_crop_macs_checker(capsys):
    one = _macs_by_torch()
    assert exercises.check_ten_crop_macs(10 * one)
    assert exercises.check_ten_crop_macs(one, patches=1)
    assert "Correct." in capsys.readouterr().out
    for wrong, hint in ((one, "That is one patch"), (5 * one, "five reflected patches"), (20 * one, "FLOPs"),
                        (1e9, "Add up the macs")):
        assert not exercises.check_ten_crop_macs(wrong)
        out = capsys.readouterr().out
        assert hint in out and f"{10 * one:,}" not in out
    assert not exercises.check_ten_crop_macs(10 * one, patches=0)


def test_ten_crop_evaluation_share_checker(capsys):
    truth = 10 * 50_000 / (3 * 1_200_000)
    assert exercises.check_ten_crop_evaluation_share(truth)
    assert exercises.check_ten_crop_evaluation_share(0.14)            # to two decimals, as the solution says
    assert exercises.check_ten_crop_evaluation_share(10 * 50_000 / 1_200_000, step_cost=1)
    assert "Correct." in capsys.readouterr().out
    for wrong, hint in ((100 * truth, "percentage"), (1 / truth, "epochs per evaluation"),
                        (10 * 50_000 / 1_200_000, "three forward passes"), (50_000 / 3_600_000, "ten forward"),
                        (500_000 / (3 * 1_281_167), "1.2 million"), (0.5, "Count forward passes")):
        assert not exercises.check_ten_crop_evaluation_share(wrong)
        out = capsys.readouterr().out
        assert hint in out and "13.9%" not in out and "0.1389" not in out
    assert not exercises.check_ten_crop_evaluation_share(0.14, step_cost=0)


def test_every_exercise_of_the_chapter_passes_with_answers_worked_out_by_hand(capsys):
    from alexnet_edu.exercises import chapter_exercises, check

    assert [e.label for e in chapter_exercises("41_ten_crop")] == [
        "ten-crop-origin", "ten-crop-coverage", "ten-crop-cost", "ten-crop-which-views"]
    r224, r227 = _regions_by_torchvision(256, 224), _regions_by_torchvision(256, 227)
    assert check("ten-crop-origin", corner_patch6=r224[6], corner_patch9_227=r227[9])
    assert r224[6] == (0, 0)                                  # the top-left region, mirrored
    count = torch.zeros(256, 256, dtype=torch.long)
    for top, left in r227:
        count[top:top + 227, left:left + 227] += 1
    assert check("ten-crop-coverage", pixels_in_none=0, pixels_in_two=4 * (32 ** 2 - 16 ** 2),
                 pixels_in_all_ten=192 ** 2, pixels_in_three_227=int((count == 3).sum()))
    assert check("ten-crop-cost", ten_macs=10 * _macs_by_torch(), eval_epoch_fraction=10 * 50_000 / 3_600_000)
    assert not check("ten-crop-which-views")                  # answered in words: graded by hand
    assert "rubric" in capsys.readouterr().out
