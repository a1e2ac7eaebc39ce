"""Checkers of chapter 42 (what the first layer learned): right answers pass, plausible wrong ones fail."""

import numpy as np
import torch

from alexnet_edu import exercises


def _pattern(h=4, w=5, seed=0):
    return torch.randn(h, w, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_colour_fraction_checker_known_kernels():
    p = _pattern()
    zero = torch.zeros_like(p)
    assert exercises.check_colour_fraction(torch.stack([p, p, p]), 0.0)            # grey: all energy on the grey axis
    assert exercises.check_colour_fraction(torch.stack([p, zero, zero]), 2 / 3)    # one channel: m = r/3
    assert exercises.check_colour_fraction(torch.stack([p, -p, zero]), 1.0)        # red against green: m = 0
    # red = green = p, blue = -p: m = p/3, grey energy 3·(p/3)² = p²/3 of 3p² per pixel -> 1 - 1/9
    assert exercises.check_colour_fraction(torch.stack([p, p, -p]), 8 / 9)
    # yellow against blue, r = g = p, b = -2p: m = 0 at every pixel
    assert exercises.check_colour_fraction(torch.stack([p, p, -2 * p]), 1.0)
    assert exercises.check_colour_fraction(torch.stack([p, p, -p]), 8 / 9 + 0.0009)   # within 1e-3


def test_colour_fraction_checker_by_hand_on_a_tiny_kernel():
    # one pixel (r, g, b) = (3, 0, 0) and one pixel (1, 1, 1): total 9 + 3 = 12;
    # grey parts (1, 1, 1) and (1, 1, 1): grey energy 3 + 3 = 6 -> colour fraction 6 / 12
    kernel = [[[3.0, 1.0]], [[0.0, 1.0]], [[0.0, 1.0]]]
    assert exercises.check_colour_fraction(kernel, 0.5)
    assert exercises.check_colour_fraction(np.array(kernel)[None], 0.5)           # (1, 3, h, w) is accepted
    assert not exercises.check_colour_fraction(kernel, 0.6)


def test_colour_fraction_checker_rejects_plausible_wrong_answers(capsys):
    p = _pattern()
    kernel = torch.stack([p, p, -p])                                             # 8/9
    assert not exercises.check_colour_fraction(kernel, 1 / 9)
    assert "grey share" in capsys.readouterr().out
    assert not exercises.check_colour_fraction(kernel, 100 * 8 / 9)
    assert "percentage" in capsys.readouterr().out
    assert not exercises.check_colour_fraction(kernel, (8 / 9) ** 0.5)
    assert "squares" in capsys.readouterr().out
    whole_mean = float((((kernel - kernel.mean()) ** 2).sum() / (kernel ** 2).sum()))
    assert not exercises.check_colour_fraction(kernel, whole_mean)
    assert "pixel by pixel" in capsys.readouterr().out
    assert not exercises.check_colour_fraction(kernel, 0.5)
    out = capsys.readouterr().out
    assert "Not yet." in out and "0.8889" not in out and "0.1111" not in out      # the answer stays hidden
    assert not exercises.check_colour_fraction(kernel, "high")
    assert not exercises.check_colour_fraction(kernel, float("nan"))


def test_colour_fraction_checker_rejects_kernels_it_cannot_measure(capsys):
    assert not exercises.check_colour_fraction(torch.zeros(3, 2, 2), 0.0)
    assert "no energy" in capsys.readouterr().out
    assert not exercises.check_colour_fraction(torch.ones(4, 2, 2), 0.0)
    assert "(3, h, w)" in capsys.readouterr().out


def test_mosaic_cell_checker_known_places():
    # 96 kernels, 8 a row: each column's 48 kernels fill 6 rows
    assert exercises.check_mosaic_cell(0, 8, 96, (0, 0, 0))
    assert exercises.check_mosaic_cell(47, 8, 96, (0, 5, 7))
    assert exercises.check_mosaic_cell(48, 8, 96, (1, 0, 0))
    assert exercises.check_mosaic_cell(58, 8, 96, (1, 1, 2))      # the package's test: column 2's kernel 10
    assert exercises.check_mosaic_cell(95, 16, 96, (1, 2, 15))    # the paper's layout: 16 a row, 3 rows a column
    assert exercises.check_mosaic_cell(61, 5, 64, (1, 5, 4))      # 32 a column: 6 full rows and one of 2
    assert exercises.check_mosaic_cell(3, 1, 8, (0, 3, 0))


def test_mosaic_cell_checker_agrees_with_divmod_everywhere():
    for kernels, per_row in ((96, 8), (96, 16), (96, 7), (10, 3)):
        half = kernels // 2
        for index in range(kernels):
            block, i = divmod(index, half)
            assert exercises.check_mosaic_cell(index, per_row, kernels, (block, i // per_row, i % per_row))


def test_mosaic_cell_checker_rejects_plausible_wrong_answers(capsys):
    assert not exercises.check_mosaic_cell(58, 8, 96, (0, 7, 2))    # one long list, no second block
    assert "own block" in capsys.readouterr().out
    assert not exercises.check_mosaic_cell(58, 8, 96, (2, 2, 3))    # counted from 1
    assert "from 0" in capsys.readouterr().out
    assert not exercises.check_mosaic_cell(58, 8, 96, (1, 2, 1))    # row and cell swapped
    assert "swapped" in capsys.readouterr().out
    assert not exercises.check_mosaic_cell(58, 8, 96, (1, 0, 2))
    out = capsys.readouterr().out
    assert "right block" in out and "(1, 1, 2)" not in out
    assert not exercises.check_mosaic_cell(58, 8, 96, (0, 1))
    assert "triple" in capsys.readouterr().out
    assert not exercises.check_mosaic_cell(96, 8, 96, (1, 6, 0))
    assert not exercises.check_mosaic_cell(5, 8, 95, (0, 0, 5))
    assert "evenly" in capsys.readouterr().out
    assert not exercises.check_mosaic_cell(5, 0, 96, (0, 0, 5))
    assert not exercises.check_mosaic_cell(5, 8, 96, "top left")


def test_checkers_are_exported():
    assert {"check_colour_fraction", "check_mosaic_cell"} <= set(exercises.__all__)
    assert callable(exercises.check_colour_fraction) and callable(exercises.check_mosaic_cell)


# --- the correlated-channels checker, malformed answers, and the chapter's exercises ----------------

from pathlib import Path

import nbformat
import pytest

from alexnet_edu.editions import exercise_blocks, has_rubric
from alexnet_edu.exercises import check
from alexnet_edu.exercises.ch42_first_layer import EXERCISES

CHAPTER = Path(__file__).resolve().parents[1] / "book" / "42_first_layer.ipynb"


@pytest.mark.parametrize("rho, fraction", [(0.0, 2 / 3), (1.0, 0.0), (-0.5, 1.0), (0.5, 1 / 3), (0.9, 0.2 / 3)])
def test_correlated_colour_fraction_checker_right_answers(rho, fraction, capsys):
    # grey energy σ²(1 + 2ρ) of 3σ² per pixel: f = 1 − (1 + 2ρ)/3
    assert exercises.check_correlated_colour_fraction(rho, fraction)
    assert capsys.readouterr().out.startswith("Correct.")


def test_correlated_colour_fraction_checker_rejects_plausible_wrong_answers(capsys):
    rho = 0.9                                                    # truth 0.2/3 = 0.0667
    for wrong, hint in [(2.8 / 3, "grey share"), (2 / 3, "independent channels"), (1.1 / 3, "six cross terms"),
                        (3.8 / 3, "falls as ρ grows"), (20 / 3, "percentage"), (0.5, "expectation")]:
        assert not exercises.check_correlated_colour_fraction(rho, wrong)
        out = capsys.readouterr().out
        assert out.startswith("Not yet.") and hint in out and "0.0667" not in out, (wrong, out)
    assert not exercises.check_correlated_colour_fraction(2.0, 0.1)
    assert "between −1/2 and 1" in capsys.readouterr().out
    for malformed in (..., "high", [0.1, 0.2]):
        assert not exercises.check_correlated_colour_fraction(0.0, malformed)
        out = capsys.readouterr().out
        assert out.startswith("Not yet.") and ("Replace ..." in out if malformed is ... else "Give" in out)


def test_colour_fraction_and_mosaic_checkers_take_malformed_answers(capsys):
    p = _pattern()
    assert not exercises.check_colour_fraction(torch.stack([p, p, -p]), ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not exercises.check_colour_fraction("a kernel", 0.5)
    assert "This kernel does not work" in capsys.readouterr().out
    assert not exercises.check_mosaic_cell(58, 8, 96, ...)
    assert "Replace ..." in capsys.readouterr().out
    assert not exercises.check_mosaic_cell(58, 8, 96, (1, 1.5, 2))
    assert "whole number" in capsys.readouterr().out


def test_the_catalogue_lists_the_chapters_exercises_in_order():
    nb = nbformat.read(CHAPTER, as_version=4)
    blocks = exercise_blocks(nb)
    assert [b.label for b in blocks] == [e.label for e in EXERCISES]
    by_hand = {b.label for b in blocks if has_rubric(nb, b)}
    assert {"firstlayer-why-specialise", "firstlayer-correlated-channels"} <= by_hand
    assert [e.label for e in EXERCISES if not e.auto] == ["firstlayer-why-specialise"]


def test_the_exercises_pass_with_answers_worked_out_by_hand(capsys):
    # kernel A (p, p, −p): m = p/3, grey 3(p/3)² of 3p² -> 1 − 1/9; kernel B (p, p, −2p): m = 0 -> 1
    assert check("firstlayer-colour-fraction", fraction_a=1 - 1 / 9, fraction_b=1.0)
    # kernel 70: column 2, its kernel 22 = 1·16 + 6; kernel 47: column 1, 47 = 7·6 + 5
    assert check("firstlayer-mosaic-cell", place_70=(1, 1, 6), place_47=(0, 7, 5))
    assert check("firstlayer-correlated-channels", colour_rho_zero=2 / 3, colour_rho_one=0.0,
                 colour_rho_minus_half=1.0)
    assert "Not yet." not in capsys.readouterr().out
    assert not check("firstlayer-mosaic-cell", place_70=(0, 4, 6), place_47=(0, 7, 5))
    assert "own block" in capsys.readouterr().out
    assert not check("firstlayer-why-specialise")
    assert "in words" in capsys.readouterr().out
