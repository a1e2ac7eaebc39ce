"""Checkers of the augmentation chapter (13): right answers pass, plausible wrong answers fail."""

import math

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
