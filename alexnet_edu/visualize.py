"""Pictures of what the network learned: Figure 3's kernels, Figure 4's predictions and neighbours.

"Figure 3 shows the convolutional kernels learned by the network's two data-connected layers. The
network has learned a variety of frequency- and orientation-selective kernels, as well as various
colored blobs. Notice the specialization exhibited by the two GPUs, a result of the restricted
connectivity described in Section 3.5. The kernels on GPU 1 are largely color-agnostic, while the
kernels on on GPU 2 are largely color-specific." (§6.1)

"Another way to probe the network's visual knowledge is to consider the feature activations
induced by an image at the last, 4096-dimensional hidden layer. If two images produce feature
activation vectors with a small Euclidean separation, we can say that the higher levels of the
neural network consider them to be similar." (§6.1)

Every picture has two parts: a function that computes the numbers (an array, a tensor, a list of
indices), which the tests check, and a function that draws them and returns a matplotlib figure.
The numbers of a trained run come from :func:`alexnet_edu.records.picture_record`; the network's
layers from :func:`alexnet_edu.model.conv1_weight` and :func:`alexnet_edu.model.layer_activations`.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .paper import NUM_COLUMNS, TOP_K


# --- first-layer kernels (Figure 3) ------------------------------------------------------------


def normalise_kernel(kernel: torch.Tensor) -> torch.Tensor:
    """One kernel (3, h, w) scaled to [0, 1] for display: its own minimum to 0, its maximum to 1.

    Each kernel gets its own scale (as Figure 3 shows them): the pattern, not the magnitude, is what
    the picture is about. A constant kernel becomes mid-grey.
    """
    if kernel.dim() != 3 or kernel.shape[0] != 3:
        raise ValueError(f"expected one RGB kernel of shape (3, h, w), got {tuple(kernel.shape)}")
    k = kernel.detach().float().cpu()
    low, high = k.min(), k.max()
    if high - low < 1e-12:
        return torch.full_like(k, 0.5)
    return (k - low) / (high - low)


def kernel_mosaic(weight: torch.Tensor, per_row: int = 8, columns: int = NUM_COLUMNS, pad: int = 1,
                  gap: int = 4) -> np.ndarray:
    """conv1's kernels as one RGB image (H, W, 3) with values in [0, 1], split by column as in Figure 3.

    The kernels of column ``c`` (kernels ``c·K/columns`` to ``(c+1)·K/columns - 1``) fill a block of
    rows, ``per_row`` kernels a row, each normalised on its own (:func:`normalise_kernel`) and
    surrounded by ``pad`` white pixels; the columns' blocks are stacked top to bottom, ``gap`` white
    pixels apart. Kernel ``i`` of column ``c`` is in block ``c``, row ``i // per_row``, cell
    ``i % per_row``.
    """
    if weight.dim() != 4 or weight.shape[1] != 3:
        raise ValueError(f"expected conv1 weights (K, 3, h, w), got {tuple(weight.shape)}")
    count, _, h, w = weight.shape
    if count % columns:
        raise ValueError(f"{count} kernels cannot be split evenly into {columns} columns")
    per_column = count // columns
    rows = math.ceil(per_column / per_row)
    cell_h, cell_w = h + 2 * pad, w + 2 * pad
    block_h = rows * cell_h
    mosaic = np.ones((columns * block_h + (columns - 1) * gap, per_row * cell_w, 3), dtype=np.float32)
    for index in range(count):
        column, i = divmod(index, per_column)
        top = column * (block_h + gap) + (i // per_row) * cell_h + pad
        left = (i % per_row) * cell_w + pad
        mosaic[top:top + h, left:left + w] = normalise_kernel(weight[index]).permute(1, 2, 0).numpy()
    return mosaic


def colour_fraction(weight: torch.Tensor) -> torch.Tensor:
    """For each kernel (K, 3, h, w): the share of its energy (sum of squares) outside the grey axis.

    At every pixel the kernel's (r, g, b) splits into its grey part — the mean m of r, g and b, the
    same in every channel — and the rest; the grey part's energy is 3·m². A colour-agnostic kernel
    (the same pattern in all three channels) scores 0; a kernel that sees one channel only scores
    2/3; a colour-opponent kernel (red against green, say) scores 1.
    """
    if weight.dim() != 4 or weight.shape[1] != 3:
        raise ValueError(f"expected kernels (K, 3, h, w), got {tuple(weight.shape)}")
    w = weight.detach().double()
    total = (w ** 2).sum(dim=(1, 2, 3))
    grey = 3 * (w.mean(dim=1) ** 2).sum(dim=(1, 2))
    return ((total - grey) / total.clamp_min(1e-30)).float()


def column_test(fractions: torch.Tensor, permutations: int = 10_000, seed: int = 0,
                columns: int = NUM_COLUMNS) -> dict:
    """Do the two columns' kernels differ in ``fractions`` (one number per kernel, column 1's first)?

    §6.1 says one GPU's kernels are "largely color-agnostic" and the other's "largely color-specific".
    If the columns did not differ, any half of the kernels would be as likely to be column 1 as the
    real one: relabel the kernels at random ``permutations`` times (seeded) and count how often a
    random split puts the two means at least as far apart as the real split, in either direction.
    Returns the columns' means and medians, the observed ``difference`` (absolute, of the means),
    the permutation ``p`` (the real split counted as one of the splits), the ``shuffled`` absolute
    differences, and ``null_sd``: the standard deviation of the signed difference under relabelling,
    the noise the book's verdict scale judges the difference against.
    """
    if columns != 2:
        raise ValueError("the column test compares two columns")
    f = fractions.detach().double().cpu().numpy()
    if f.ndim != 1 or len(f) % 2:
        raise ValueError(f"expected one number per kernel, an even count; got shape {f.shape}")
    half = len(f) // 2
    one, two = f[:half], f[half:]
    observed = abs(one.mean() - two.mean())
    rng = np.random.default_rng(seed)
    order = rng.permuted(np.tile(np.arange(len(f)), (permutations, 1)), axis=1)  # one relabelling a row
    signed = f[order[:, :half]].mean(1) - f[order[:, half:]].mean(1)
    shuffled = np.abs(signed)
    p = (1 + np.count_nonzero(shuffled >= observed - 1e-12)) / (1 + permutations)
    return {"mean": (one.mean(), two.mean()), "median": (np.median(one), np.median(two)),
            "difference": observed, "p": p, "shuffled": shuffled, "null_sd": float(signed.std(ddof=1))}


def kernel_grid(weight: torch.Tensor, per_row: int = 8, title: Optional[str] = None,
                column_labels: Sequence[str] = ("column 1 (GPU 1)", "column 2 (GPU 2)")) -> Figure:
    """Figure 3 for any conv1: the kernels of each column as a block of small images, one above the
    other, each kernel normalised for display."""
    mosaic = kernel_mosaic(weight, per_row=per_row)
    fig = Figure(figsize=(per_row * 0.55, mosaic.shape[0] / mosaic.shape[1] * per_row * 0.55 + 0.6))
    ax = fig.add_subplot()
    ax.imshow(mosaic, interpolation="nearest")
    ax.set_xticks([])
    block = (mosaic.shape[0] + 4) / NUM_COLUMNS
    ax.set_yticks([block * (c + 0.5) - 2 for c in range(NUM_COLUMNS)], list(column_labels)[:NUM_COLUMNS])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return fig


# --- activations and feature maps ---------------------------------------------------------------


def feature_map_grid(maps: torch.Tensor, count: int = 32, per_row: int = 8, title: Optional[str] = None) -> Figure:
    """The first ``count`` maps of one image's activations (C, H, W), each on its own grey scale."""
    if maps.dim() != 3:
        raise ValueError(f"expected one image's maps (C, H, W), got {tuple(maps.shape)}")
    count = min(count, maps.shape[0])
    rows = math.ceil(count / per_row)
    fig = Figure(figsize=(per_row * 1.0, rows * 1.0 + (0.4 if title else 0)))
    axes = fig.subplots(rows, per_row, squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < count:
            ax.imshow(maps[i].numpy(), cmap="gray", interpolation="nearest")
            ax.set_title(str(i), fontsize=9, pad=1)
    if title:
        fig.suptitle(title)
    return fig


# --- predictions and neighbours (Figure 4) ------------------------------------------------------


def top5_bars(image: np.ndarray, probs: torch.Tensor, class_names: Sequence[str], true_label: Optional[int] = None,
              k: int = TOP_K, axes: Optional[tuple[Axes, Axes]] = None) -> Figure:
    """Figure 4, left: a photograph beside the ``k`` classes it finds most probable, as bars; the
    correct class, when it is among them, in another colour.

    ``axes`` (photo, bars): draw into these two axes of a larger figure (several photos in one
    figure) and return their figure; without it, a figure of its own.
    """
    probs = probs.detach().float().cpu().flatten()
    if len(probs) != len(class_names):
        raise ValueError(f"{len(probs)} probabilities for {len(class_names)} class names")
    k = min(k, len(probs))
    values, indices = probs.topk(k)
    if axes is None:
        fig = Figure(figsize=(6.4, 2.4))
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.4]})
    else:
        left, right = axes
        fig = left.figure
    left.imshow(image)
    left.axis("off")
    if true_label is not None:
        left.set_title(class_names[true_label])
    ranked = indices.tolist()[::-1]  # drawn bottom to top: the most probable class on top
    right.barh(range(k), values.flip(0).numpy(), color=["tab:red" if i == true_label else "tab:blue" for i in ranked])
    right.set_yticks(range(k), [class_names[i] for i in ranked])
    right.set_xlim(0, 1)
    right.set_xlabel("probability")
    if axes is None:
        fig.tight_layout()
    return fig


def nearest_neighbours(queries: torch.Tensor, bank: torch.Tensor, k: int = 6,
                       exclude_self: bool = False) -> torch.Tensor:
    """Indices (Q, k) of the ``k`` rows of ``bank`` closest to each row of ``queries`` in Euclidean
    distance, nearest first. ``exclude_self`` leaves out the bank's row i for query i (when the
    queries are the bank)."""
    if queries.dim() != 2 or bank.dim() != 2 or queries.shape[1] != bank.shape[1]:
        raise ValueError(f"expected (Q, D) queries and an (N, D) bank, got {tuple(queries.shape)} and "
                         f"{tuple(bank.shape)}")
    distances = torch.cdist(queries.double(), bank.double())
    if exclude_self:
        if queries.shape[0] > bank.shape[0]:
            raise ValueError("exclude_self needs the queries to be the first rows of the bank")
        distances[torch.arange(len(queries)), torch.arange(len(queries))] = float("inf")
    if k > bank.shape[0] - (1 if exclude_self else 0):
        raise ValueError(f"cannot find {k} neighbours among {bank.shape[0]} images")
    return distances.topk(k, dim=1, largest=False).indices


def neighbours_figure(rows: Sequence[tuple[np.ndarray, Sequence[np.ndarray]]], title: Optional[str] = None,
                      labels: Optional[Sequence[tuple[str, Sequence[str]]]] = None) -> Figure:
    """Figure 4, right: each row a query photograph (first column) and its neighbours."""
    if not rows:
        raise ValueError("no rows to draw")
    width = 1 + max(len(n) for _, n in rows)
    fig = Figure(figsize=(width * 1.2, len(rows) * 1.3 + (0.4 if title else 0)))
    axes = fig.subplots(len(rows), width, squeeze=False)
    for r, (query, neighbours) in enumerate(rows):
        for c, ax in enumerate(axes[r]):
            ax.axis("off")
            picture = query if c == 0 else (neighbours[c - 1] if c - 1 < len(neighbours) else None)
            if picture is None:
                continue
            ax.imshow(picture)
            if labels is not None:
                text = labels[r][0] if c == 0 else labels[r][1][c - 1]
                ax.set_title(text, fontsize=9, pad=2, color="black" if c == 0 else "dimgray")
        for spine in axes[r][0].spines.values():
            spine.set_visible(True)
    if title:
        fig.suptitle(title)
    return fig
