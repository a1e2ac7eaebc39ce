"""Checkers for the chapter on what the first layer learned (42, Figure 3)."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..paper import NUM_COLUMNS
from ._common import report as _report


def _as_kernel(kernel) -> torch.Tensor:
    """One RGB kernel (3, h, w) as a float64 tensor, from a tensor, an array or nested lists; a
    single kernel with a leading axis of 1, (1, 3, h, w), is accepted too."""
    k = torch.as_tensor(np.asarray(kernel, dtype=np.float64))
    if k.dim() == 4 and k.shape[0] == 1:
        k = k[0]
    if k.dim() != 3 or k.shape[0] != 3:
        raise ValueError(f"expected one RGB kernel of shape (3, h, w), got shape {tuple(k.shape)}")
    if not torch.isfinite(k).all():
        raise ValueError("the kernel holds a NaN or an infinity")
    if not (k ** 2).sum() > 0:
        raise ValueError("an all-zero kernel has no energy, so no colour fraction")
    return k


def check_colour_fraction(kernel, answer: float) -> bool:
    """The colour fraction of one conv1 kernel (3, h, w): the share of its energy (sum of squares)
    that lies outside the grey axis, as :func:`alexnet_edu.visualize.colour_fraction` measures it.
    ±1e-3."""
    from ..visualize import colour_fraction

    try:
        k = _as_kernel(kernel)
    except (TypeError, ValueError) as err:
        return _report(False, f"This kernel does not work: {err}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the colour fraction as one number between 0 and 1.")
    truth = float(colour_fraction(k[None]).item())
    if not math.isfinite(given):
        return _report(False, "Give the colour fraction as one finite number between 0 and 1.")
    if abs(given - truth) <= 1e-3:
        return _report(True, f"{truth:.4f} of this kernel's energy lies outside the grey axis; "
                             f"{1 - truth:.4f} is grey (the same in all three channels).")
    # plausible mistakes, each computed the wrong way from the same kernel
    total = float((k ** 2).sum())
    whole_mean = float(k.mean())
    minus_whole_mean = float(((k - whole_mean) ** 2).sum()) / total
    per_channel_mean = k - k.mean(dim=(1, 2), keepdim=True)
    minus_channel_means = float((per_channel_mean ** 2).sum()) / total
    if given > 1 and abs(given / 100 - truth) <= 1e-3:
        hint = "That looks like a percentage: give a fraction between 0 and 1."
    elif abs(given - (1 - truth)) <= 1e-3:
        hint = "That is the grey share of the energy; the colour fraction is the rest."
    elif abs(given - math.sqrt(truth)) <= 1e-3 or abs(given - math.sqrt(1 - truth)) <= 1e-3:
        hint = "Energy is the sum of squares: compare squared lengths, not lengths."
    elif abs(given - minus_whole_mean) <= 1e-3 or abs(given - minus_channel_means) <= 1e-3:
        hint = ("The grey part is taken pixel by pixel: at each pixel, the mean of that pixel's r, g and b, "
                "repeated in all three channels. Not a mean over the whole kernel or over a channel.")
    elif not 0 <= given <= 1:
        hint = "A share of the energy lies between 0 and 1."
    else:
        hint = ("At each pixel split (r, g, b) into its grey part (m, m, m), m the mean of r, g and b, and the "
                "rest; add up the squares of the rest over the kernel and divide by the sum of all squares.")
    return _report(False, f"{given:g} is not this kernel's colour fraction. {hint}")


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


def check_mosaic_cell(index: int, per_row: int, kernels: int, answer) -> bool:
    """Where Figure 3's mosaic (:func:`alexnet_edu.visualize.kernel_mosaic`) puts kernel ``index`` of
    ``kernels`` kernels split into two columns, ``per_row`` kernels a row: the answer is the triple
    (column block, row within the block, cell within the row), each counted from 0."""
    try:
        index, per_row, kernels = int(index), int(per_row), int(kernels)
    except (TypeError, ValueError):
        return _report(False, "index, per_row and kernels are whole numbers.")
    if kernels <= 0 or kernels % NUM_COLUMNS:
        return _report(False, f"{kernels} kernels cannot be split evenly into {NUM_COLUMNS} columns.")
    if not 0 <= index < kernels:
        return _report(False, f"The kernels are numbered 0 … {kernels - 1}, not {index}.")
    if per_row < 1:
        return _report(False, "A row holds at least one kernel.")
    try:
        given = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        given = ()
    if len(given) != 3:
        return _report(False, "Give the place as a triple (column block, row, cell), each counted from 0.")
    truth = _mosaic_cell(index, per_row, kernels)
    if given == truth:
        return _report(True, f"Kernel {index} belongs to column {truth[0] + 1} (block {truth[0]}); it is kernel "
                             f"{index - truth[0] * (kernels // NUM_COLUMNS)} of that column, in row {truth[1]}, "
                             f"cell {truth[2]}.")
    per_column = kernels // NUM_COLUMNS
    no_blocks = (0, index // per_row, index % per_row)
    if tuple(v - 1 for v in given) == truth:
        hint = "Blocks, rows and cells are counted from 0 here, not from 1."
    elif given == no_blocks and no_blocks != truth:
        hint = (f"The kernels are not one long list of rows: each column's {per_column} kernels fill their own "
                "block, and the second block starts again at row 0.")
    elif (given[0], given[2], given[1]) == truth:
        hint = "Row and cell are swapped: the row first, then the cell within the row."
    elif given[0] == truth[0] and given[1:] != truth[1:]:
        hint = (f"The right block. Within it, count from the column's first kernel, {per_row} kernels a row: "
                "divide with a remainder.")
    else:
        hint = (f"Kernels 0 … {per_column - 1} are column 1 (block 0), the rest column 2 (block 1); within its block "
                f"a kernel's position among its column's kernels, divided by {per_row} with a remainder, gives "
                "row and cell.")
    return _report(False, f"{given} is not where kernel {index} lands. {hint}")
