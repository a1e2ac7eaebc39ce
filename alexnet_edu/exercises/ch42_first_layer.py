"""Checkers for chapter 42, what the first layer learned (``book/42_first_layer.ipynb``, Figure 3)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..paper import NUM_COLUMNS
from ._engine import AnswerError, Exercise, array, checker, integer, judge, number, shape

_FRACTION = "the colour fraction as one number between 0 and 1"


def _as_kernel(kernel) -> torch.Tensor:
    """One RGB kernel (3, h, w) as a float64 tensor, from a tensor, an array or nested lists; a
    single kernel with a leading axis of 1, (1, 3, h, w), is accepted too."""
    try:
        k = torch.as_tensor(array(kernel, "the kernel as an array of numbers"))
    except AnswerError as err:
        raise AnswerError(f"This kernel does not work: {str(err).rstrip('.')}.") from None
    if k.dim() == 4 and k.shape[0] == 1:
        k = k[0]
    if k.dim() != 3 or k.shape[0] != 3:
        raise AnswerError(f"This kernel does not work: expected one RGB kernel of shape (3, h, w), "
                          f"got shape {tuple(k.shape)}.")
    if not (k ** 2).sum() > 0:
        raise AnswerError("This kernel does not work: an all-zero kernel has no energy, so no colour fraction.")
    return k


def _colour_fraction(kernel: torch.Tensor) -> float:
    """The package's colour fraction of one kernel (3, h, w)."""
    from ..visualize import colour_fraction

    return float(colour_fraction(kernel[None]).item())


@checker
def check_colour_fraction(kernel, answer: float) -> bool:
    """The colour fraction of one conv1 kernel (3, h, w): the share of its energy (sum of squares)
    that lies outside the grey axis, as :func:`alexnet_edu.visualize.colour_fraction` measures it.
    ±1e-3."""
    k = _as_kernel(kernel)
    given = number(answer, _FRACTION)
    truth = _colour_fraction(k)
    # plausible mistakes, each computed the wrong way from the same kernel
    total = float((k ** 2).sum())
    minus_whole_mean = float(((k - k.mean()) ** 2).sum()) / total
    minus_channel_means = float(((k - k.mean(dim=(1, 2), keepdim=True)) ** 2).sum()) / total
    squares = "Energy is the sum of squares: compare squared lengths, not lengths."
    per_pixel = ("The grey part is taken pixel by pixel: at each pixel, the mean of that pixel's r, g and b, "
                 "repeated in all three channels. Not a mean over the whole kernel or over a channel.")
    return judge(
        given, truth,
        right=f"{truth:.4f} of this kernel's energy lies outside the grey axis; "
              f"{1 - truth:.4f} is grey (the same in all three channels).",
        wrong=f"{given:g} is not this kernel's colour fraction.",
        misconceptions=[
            (100 * truth, "That looks like a percentage: give a fraction between 0 and 1."),
            (1 - truth, "That is the grey share of the energy; the colour fraction is the rest."),
            (math.sqrt(max(truth, 0.0)), squares),
            (math.sqrt(max(1 - truth, 0.0)), squares),
            (minus_whole_mean, per_pixel),
            (minus_channel_means, per_pixel),
        ],
        otherwise="A share of the energy lies between 0 and 1." if not 0 <= given <= 1 else
                  "At each pixel split (r, g, b) into its grey part (m, m, m), m the mean of r, g and b, and the "
                  "rest; add up the squares of the rest over the kernel and divide by the sum of all squares.",
        # a share computed in float32 as 1 − grey/total has an absolute rounding error, largest for grey
        # kernels (truth near 0), where a relative tolerance would refuse a right answer
        abs_=1e-3,
    )


def _correlated_truth(rho: float) -> float:
    """The colour fraction (a ratio of expectations) of kernels whose (r, g, b) at every pixel have
    equal variances and correlation ``rho`` between every two channels, measured with the package:
    the kernel whose three pixels are the columns of a square root S of the covariance Σ = S Sᵀ has
    total energy tr Σ and grey energy 1ᵀΣ1 / 3, the expected energies of one pixel."""
    cov = torch.full((3, 3), rho, dtype=torch.float64) + (1 - rho) * torch.eye(3, dtype=torch.float64)
    values, vectors = torch.linalg.eigh(cov)
    root = vectors @ torch.diag(values.clamp_min(0).sqrt()) @ vectors.T
    return _colour_fraction(root[:, None, :])  # (3 channels, 1 row, 3 pixels)


@checker
def check_correlated_colour_fraction(rho: float, answer: float) -> bool:
    """The expected colour fraction (about: a ratio of expectations) of a kernel whose (r, g, b) at
    every pixel have equal variances σ² and correlation ``rho`` between every two channels."""
    rho = number(rho, "the correlation rho as one number")
    if not -0.5 <= rho <= 1:
        raise AnswerError("The correlation must lie between −1/2 and 1: three channels cannot all be more "
                          "negatively correlated than −1/2.")
    given = number(answer, _FRACTION)
    truth = _correlated_truth(rho)
    return judge(
        given, truth,
        right=f"The grey energy per pixel is σ²(1 + 2ρ) of 3σ², so the colour fraction is about "
              f"1 − (1 + 2ρ)/3 = 2(1 − ρ)/3 = {max(truth, 0.0):.4g} for ρ = {rho:g}.",
        wrong=f"{given:g} is not the colour fraction for ρ = {rho:g}.",
        misconceptions=[
            (100 * truth, "That looks like a percentage: give a fraction between 0 and 1."),
            ((1 + 2 * rho) / 3, "That is the grey share of the energy; the colour fraction is the rest."),
            (2 / 3, "That is the value for independent channels (ρ = 0): the correlation moves energy onto "
                    "or off the grey axis."),
            ((2 - rho) / 3, "(r + g + b)² has three squares and six cross terms: each of the three pairs of "
                            "channels appears twice."),
            (2 * (1 + rho) / 3, "Positively correlated channels move energy onto the grey axis: the colour "
                                "fraction falls as ρ grows."),
        ],
        otherwise="At each pixel the grey energy is 3m² = (r + g + b)²/3: take its expectation with variances "
                  "σ² and covariances ρσ², and divide by the expected total energy 3σ².",
    )


def _mosaic_cell(index: int, per_row: int, kernels: int) -> tuple[int, int, int]:
    """(column block, row, cell) of kernel ``index``, found by planting that one kernel in a mosaic
    drawn by :func:`alexnet_edu.visualize.kernel_mosaic` and looking where it landed."""
    from ..visualize import kernel_mosaic

    size, pad, gap = 1, 1, 4
    weight = torch.zeros(kernels, 3, size, size)  # constant kernels: mid-grey
    weight[index, 0] = 1.0  # the planted one: pure red, the only pixel with green 0
    mosaic = kernel_mosaic(weight, per_row=per_row, columns=NUM_COLUMNS, pad=pad, gap=gap)
    rows, cols = np.nonzero(mosaic[..., 1] == 0.0)
    top, left = int(rows[0]), int(cols[0])
    cell_side = size + 2 * pad
    block_h = math.ceil(kernels // NUM_COLUMNS / per_row) * cell_side
    block = top // (block_h + gap)
    return block, (top - block * (block_h + gap)) // cell_side, left // cell_side


@checker
def check_mosaic_cell(index: int, per_row: int, kernels: int, answer) -> bool:
    """Where Figure 3's mosaic (:func:`alexnet_edu.visualize.kernel_mosaic`) puts kernel ``index`` of
    ``kernels`` kernels split into two columns, ``per_row`` kernels a row: the answer is the triple
    (column block, row within the block, cell within the row), each counted from 0."""
    whole = "index, per_row and kernels as whole numbers"
    index, per_row, kernels = integer(index, whole), integer(per_row, whole), integer(kernels, whole)
    if kernels <= 0 or kernels % NUM_COLUMNS:
        raise AnswerError(f"{kernels} kernels cannot be split evenly into {NUM_COLUMNS} columns.")
    if not 0 <= index < kernels:
        raise AnswerError(f"The kernels are numbered 0 … {kernels - 1}, not {index}.")
    if per_row < 1:
        raise AnswerError("A row holds at least one kernel.")
    triple = "the place as a triple (column block, row, cell), each counted from 0"
    given = shape(answer, triple)
    if len(given) != 3:
        raise AnswerError(f"Give {triple}.")
    truth = _mosaic_cell(index, per_row, kernels)
    per_column = kernels // NUM_COLUMNS
    return judge(
        given, truth,
        right=f"Kernel {index} belongs to column {truth[0] + 1} (block {truth[0]}); it is kernel "
              f"{index - truth[0] * per_column} of that column, in row {truth[1]}, cell {truth[2]}.",
        wrong=f"{given} is not where kernel {index} lands.",
        misconceptions=[
            (tuple(v + 1 for v in truth), "Blocks, rows and cells are counted from 0 here, not from 1."),
            ((0, index // per_row, index % per_row),
             f"The kernels are not one long list of rows: each column's {per_column} kernels fill their own "
             "block, and the second block starts again at row 0."),
            ((truth[0], truth[2], truth[1]), "Row and cell are swapped: the row first, then the cell within the row."),
        ],
        otherwise=(f"The right block. Within it, count from the column's first kernel, {per_row} kernels a row: "
                   "divide with a remainder.") if given[0] == truth[0] else
                  (f"Kernels 0 … {per_column - 1} are column 1 (block 0), the rest column 2 (block 1); within its "
                   f"block a kernel's position among its column's kernels, divided by {per_row} with a remainder, "
                   "gives row and cell."),
        rel=0, abs_=0,  # places are whole numbers: only the exact one counts
    )


def _edge() -> torch.Tensor:
    """The exercise's pattern p: an 11×11 vertical edge (any pattern gives the same fractions)."""
    edge = torch.zeros(11, 11, dtype=torch.float64)
    edge[:, :5], edge[:, 6:] = -1.0, 1.0
    return edge


EXERCISES = [
    Exercise("firstlayer-colour-fraction",
             {"fraction_a": "the colour fraction of kernel A, (p, p, −p)",
              "fraction_b": "the colour fraction of kernel B, (p, p, −2p)"},
             lambda fraction_a, fraction_b: all([
                 check_colour_fraction(torch.stack([_edge(), _edge(), -_edge()]), fraction_a),
                 check_colour_fraction(torch.stack([_edge(), _edge(), -2 * _edge()]), fraction_b)])),
    Exercise("firstlayer-mosaic-cell",
             {"place_70": "(block, row, cell) of kernel 70 of 96, 16 kernels a row",
              "place_47": "(block, row, cell) of kernel 47 of 96, 6 kernels a row"},
             lambda place_70, place_47: all([check_mosaic_cell(70, 16, 96, place_70),
                                             check_mosaic_cell(47, 6, 96, place_47)])),
    Exercise("firstlayer-why-specialise"),
    Exercise("firstlayer-correlated-channels",
             {"colour_rho_zero": "the colour fraction the formula gives for ρ = 0",
              "colour_rho_one": "the same for ρ = 1",
              "colour_rho_minus_half": "the same for ρ = −1/2"},
             lambda colour_rho_zero, colour_rho_one, colour_rho_minus_half: all([
                 check_correlated_colour_fraction(0.0, colour_rho_zero),
                 check_correlated_colour_fraction(1.0, colour_rho_one),
                 check_correlated_colour_fraction(-0.5, colour_rho_minus_half)])),
]
