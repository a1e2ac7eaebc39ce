"""Checkers of the augmentation chapter (13): right answers pass, plausible wrong answers fail."""

import math
import re

import torch

from alexnet_edu import exercises
from alexnet_edu.transforms import IMAGENET_EIGVAL, IMAGENET_EIGVEC, PCALighting


def test_distinct_patches_checker_accepts_the_right_counts(capsys):
    assert exercises.check_distinct_patches(256, 224, 33 * 33 * 2)
    assert exercises.check_distinct_patches(256, 227, 30 * 30 * 2)
    assert exercises.check_distinct_patches(255, 224, 2048)
    assert exercises.check_distinct_patches(256, 224, 33 * 33, flips=False)
    assert "Correct." in capsys.readouterr().out


def test_distinct_patches_checker_explains_plausible_mistakes(capsys):
    assert not exercises.check_distinct_patches(256, 227, 29 * 29 * 2)   # the paper's way of counting
    assert "translations" in capsys.readouterr().out
    assert not exercises.check_distinct_patches(256, 227, 30 * 30)       # reflections forgotten
    assert "reflection" in capsys.readouterr().out
    assert not exercises.check_distinct_patches(256, 227, 30 * 2)        # one axis only
    assert "both axes" in capsys.readouterr().out
    assert not exercises.check_distinct_patches(256, 227, 30 * 30 * 4)   # vertical flips too
    assert "upside down" in capsys.readouterr().out
    assert not exercises.check_distinct_patches(256, 227, 1801)
    assert not exercises.check_distinct_patches(224, 227, 0)             # the crop does not fit
    assert not exercises.check_distinct_patches(256, 224, "many")
    out = capsys.readouterr().out
    assert "1800" not in out and "1,800" not in out                      # never reveals the answer


def _monte_carlo_rms(eigval, scale, n=200_000):
    torch.manual_seed(0)
    shift = PCALighting(eigval=eigval, eigvec=IMAGENET_EIGVEC, scale=scale)(torch.zeros(n, 3, 1, 1))
    return shift.double().pow(2).sum(1).mean().sqrt().item()


def test_pca_shift_rms_checker_agrees_with_the_package_by_sampling(capsys):
    for scale in ("eigval", "stddev"):
        measured = _monte_carlo_rms(IMAGENET_EIGVAL, scale)
        assert exercises.check_pca_shift_rms(IMAGENET_EIGVAL, measured, scale=scale)
    lam = IMAGENET_EIGVAL
    exact = 0.1 * 255 * math.sqrt(sum(v * v for v in lam))
    assert exercises.check_pca_shift_rms(lam, exact)
    assert exercises.check_pca_shift_rms(lam, 0.1 * math.sqrt(sum(lam)), scale="stddev", value_range=1)
    assert "Correct." in capsys.readouterr().out


def test_pca_shift_rms_checker_explains_plausible_mistakes(capsys):
    lam = IMAGENET_EIGVAL
    eig = 0.1 * 255 * math.sqrt(sum(v * v for v in lam))
    std = 0.1 * 255 * math.sqrt(sum(lam))
    cases = [
        (eig / math.sqrt(3), "eigval", "one channel"),
        (std, "eigval", "'stddev' convention"),
        (eig, "stddev", "'eigval' convention"),
        (eig / 255, "eigval", "[0, 1] pixels"),
        (0.1 * 255 * sum(math.sqrt(v) for v in lam), "stddev", "quadrature"),
        (0.01 * 255 * math.sqrt(sum(lam)), "stddev", "not its variance"),
        (std ** 2, "stddev", "mean square"),
        (0.1 * 255 * math.sqrt(lam[0]), "stddev", "All three"),
    ]
    for value, scale, words in cases:
        assert not exercises.check_pca_shift_rms(lam, value, scale=scale), (value, scale)
        assert words in capsys.readouterr().out, words
    assert not exercises.check_pca_shift_rms(lam, 1.0, scale="variance")
    assert not exercises.check_pca_shift_rms((0.2, -0.1, 0.0), 1.0)
    assert not exercises.check_pca_shift_rms(lam, "a lot")
    out = capsys.readouterr().out
    assert f"{eig:.4g}" not in out                                       # never reveals the answer


def test_distinct_patches_checker_refuses_malformed_input(capsys):
    for answer in ("many", ..., 1800.5, [1800, 2]):
        assert not exercises.check_distinct_patches(256, 227, answer)
        assert "Not yet." in capsys.readouterr().out
    assert not exercises.check_distinct_patches("big", 227, 1800)
    assert "Not yet." in capsys.readouterr().out
    assert not exercises.check_distinct_patches(256, 227, 1801)         # a count is exact
    assert "1,800" not in capsys.readouterr().out


def test_pca_shift_rms_checker_refuses_malformed_input(capsys):
    for answer in (..., "a lot", [1.0, 2.0]):
        assert not exercises.check_pca_shift_rms(IMAGENET_EIGVAL, answer)
        assert "Not yet." in capsys.readouterr().out
    assert not exercises.check_pca_shift_rms((0.2, 0.1), 1.0)           # two eigenvalues
    assert "three eigenvalues" in capsys.readouterr().out


def _range_factor_by_sampling(scale, c=255.0):
    """The shift relative to the range, for [0, 1] pixels and for pixels c times larger (same α)."""
    torch.manual_seed(3)
    small = PCALighting(scale=scale, value_range=1)(torch.zeros(1, 3, 1, 1))
    torch.manual_seed(3)
    large = PCALighting(eigval=[v * c * c for v in IMAGENET_EIGVAL], scale=scale, value_range=1)(
        torch.zeros(1, 3, 1, 1))
    return (large / c / small).flatten().mean().item()


def test_pca_scale_factor_checker(capsys):
    # a variance scales by c², a standard deviation by c, the range by c
    assert exercises.check_pca_scale_factor("eigval", 255)
    assert exercises.check_pca_scale_factor("stddev", 1)
    assert exercises.check_pca_scale_factor("eigval", _range_factor_by_sampling("eigval"))
    assert exercises.check_pca_scale_factor("stddev", _range_factor_by_sampling("stddev"))
    assert exercises.check_pca_scale_factor("EIGVAL", 10, factor=10)
    assert "Correct." in capsys.readouterr().out
    cases = [("eigval", 255 ** 2, "pixel units"), ("eigval", 1, "variance"), ("eigval", 1 / 255, "does not shrink"),
             ("stddev", 255, "pixel units"), ("stddev", 255 ** 2, "standard deviation"),
             ("stddev", 1 / 255, "does not shrink"), ("eigval", 16, "compare each with the range")]
    for scale, answer, hint in cases:
        assert not exercises.check_pca_scale_factor(scale, answer), (scale, answer)
        out = capsys.readouterr().out
        assert "Not yet." in out and hint in out, (scale, answer, out)
        truth = "255" if scale == "eigval" else "1"
        assert not re.search(rf"(?<![\d.]){truth}(?![\d])", out.split("not the factor", 1)[1]), out
    for scale, answer in (("eigval", "a lot"), ("eigval", ...), ("variance", 1), ("stddev", [1, 1])):
        assert not exercises.check_pca_scale_factor(scale, answer)
        assert "Not yet." in capsys.readouterr().out


def test_exercises_pass_with_right_answers_computed_by_hand(capsys):
    positions = 256 - 227 + 1
    n_2048 = 224 - 1 + math.isqrt(2048 // 2)           # (n − 224 + 1)² · 2 = 2048
    assert (n_2048 - 224 + 1) ** 2 * 2 == 2048
    assert exercises.check("aug-patches-227", patches_227=positions ** 2 * 2, image_for_2048=n_2048)
    lam = (0.2175, 0.0188, 0.0045)
    assert exercises.check("aug-pca-rms", rms_eigval=25.5 * math.sqrt(sum(v * v for v in lam)),
                           rms_stddev=25.5 * math.sqrt(sum(lam)))
    assert exercises.check("aug-pca-scale", range_factor_eigval=255 ** 2 / 255, range_factor_stddev=255 / 255)
    assert "Not yet." not in capsys.readouterr().out
    assert not exercises.check("aug-patches-227", patches_227=1682, image_for_2048=256)
