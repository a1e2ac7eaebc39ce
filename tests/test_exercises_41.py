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
