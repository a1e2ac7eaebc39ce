"""Checkers for the chapter on what happens inside the layers (44): map sizes, ReLU's zeros, LRN."""

from __future__ import annotations

import math

import numpy as np
import torch

from ._common import report as _report
from ..layers import LocalResponseNorm
from ..paper import LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE


# the stages that keep the shape of the layer before them: a ReLU or an LRN changes values, not sizes
_SAME_AS = {"relu1": "conv1", "lrn1": "conv1", "relu2": "conv2", "lrn2": "conv2", "relu3": "conv3",
            "relu4": "conv4", "relu5": "conv5"}
# the stages with feature maps, in the order an image meets them
_ORDER = ("conv1", "relu1", "lrn1", "pool1", "conv2", "relu2", "lrn2", "pool2", "conv3", "relu3", "conv4", "relu4",
          "conv5", "relu5", "pool5")


def _shapes(input_size: int) -> dict[str, tuple[int, ...]]:
    """Every named stage's output shape (C, H, W) for one image, from :func:`alexnet_edu.shapes.layer_shapes`."""
    from ..shapes import layer_shapes

    rows = {r.name: tuple(r.out_shape) for r in layer_shapes(input_size)}
    rows.update({name: rows[base] for name, base in _SAME_AS.items()})
    return {name: rows[name] for name in _ORDER}


def check_map_size(layer: str, answer, input_size: int = 227) -> bool:
    """The shape of one image's feature maps after ``layer`` ("conv1", "relu1", "lrn1", "pool1", …
    "pool5") in the paper's network with ``input_size``² inputs: the answer is (channels, height,
    width), or just the side of the square maps."""
    try:
        input_size = int(input_size)
        shapes = _shapes(input_size)
    except (TypeError, ValueError) as err:
        return _report(False, f"That input size does not go through the network: {err}.")
    name = str(layer).strip().lower()
    if name not in shapes:
        return _report(False, f"Name a layer with feature maps: one of {', '.join(_ORDER)}.")
    truth = shapes[name]
    try:
        given = tuple(int(v) for v in answer) if hasattr(answer, "__iter__") else (int(answer),)
    except (TypeError, ValueError):
        given = ()
    if len(given) not in (1, 3):
        return _report(False, "Give the shape as (channels, height, width), or the side of the square maps as one number.")
    side_only = len(given) == 1
    if (given[0] == truth[1]) if side_only else (given == truth):
        return _report(True, f"After {name} each image has {truth[0]} maps of {truth[1]}×{truth[2]} "
                             f"({math.prod(truth):,} numbers).")
    given_side = given[0] if side_only else given[1]
    stage = _ORDER.index(name)
    earlier = {shapes[n][1] for n in _ORDER[:stage]} - {truth[1]}
    later = {shapes[n][1] for n in _ORDER[stage + 1:]} - {truth[1]}
    if not side_only and given[0] != truth[0] and given[1:] == truth[1:]:
        hint = "The side is right; the number of maps is the number of kernels of the last conv layer on the way."
    elif given_side in later and name in _SAME_AS:
        hint = (f"{name} is applied to every value of the maps it gets: it changes values, not sizes. "
                "The pooling comes after it.")
    elif given_side in later:
        hint = "That is the size of a later stage: stop at the layer named."
    elif given_side in earlier:
        hint = ("That is the size of an earlier stage: follow the maps through every convolution and "
                "pooling on the way, ⌊(n + 2p − k)/s⌋ + 1 each.")
    elif not side_only and given[1] != given[2]:
        hint = "The maps are square: height and width are the same."
    else:
        hint = "Each convolution and each pooling gives ⌊(n + 2p − k)/s⌋ + 1 positions from an input of side n."
    shown = given[0] if side_only else given
    return _report(False, f"{shown} is not the size after {name}. {hint}")


def _values(values) -> torch.Tensor:
    v = torch.as_tensor(np.asarray(values, dtype=np.float64)).flatten()
    if v.numel() == 0:
        raise ValueError("there are no values")
    if not torch.isfinite(v).all():
        raise ValueError("the values hold a NaN or an infinity")
    return v


def check_relu_zero_share(values, answer: float) -> bool:
    """The share of ReLU's outputs that are exactly zero when its inputs are ``values`` (any shape):
    f(x) = max(0, x), §3.1. A fraction between 0 and 1, ±1e-3."""
    try:
        v = _values(values)
    except (TypeError, ValueError) as err:
        return _report(False, f"These values do not work: {err}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the share as one number between 0 and 1.")
    if not math.isfinite(given):
        return _report(False, "Give the share as one finite number between 0 and 1.")
    truth = float((torch.relu(v) == 0).double().mean())
    if abs(given - truth) <= 1e-3:
        return _report(True, f"{truth:.4f} of the outputs are zero: every input at or below zero; "
                             f"the other {1 - truth:.4f} pass unchanged.")
    negative = float((v < 0).double().mean())
    if 1 < given <= 100 and abs(given / 100 - truth) <= 1e-3:
        hint = "That looks like a percentage: give a fraction between 0 and 1."
    elif abs(given - (1 - truth)) <= 1e-3:
        hint = "That is the share that passes (the positive inputs); the question asks for the zeros."
    elif abs(given - negative) <= 1e-3 and negative != truth:
        hint = "An input of exactly 0 also gives 0: max(0, 0) = 0. Count it too."
    elif not 0 <= given <= 1:
        hint = "A share lies between 0 and 1."
    else:
        hint = "Apply f(x) = max(0, x) to every value and count the outputs that are 0; divide by the count of all."
    return _report(False, f"{given:g} is not the share of zeros. {hint}")


def _lrn(a: torch.Tensor, groups: int, size: int = LRN_SIZE, alpha: float = LRN_ALPHA, beta: float = LRN_BETA,
         k: float = LRN_K) -> torch.Tensor:
    return LocalResponseNorm(size, alpha, beta, k, groups=groups)(a[None])[0]


def check_lrn_value(maps, channel: int, answer, groups: int = 1) -> bool:
    """The paper's LRN (§3.3: k = 2, n = 5, α = 1e-4, β = 0.75, α not divided by n) applied to
    ``maps`` — the values a^0 … a^(N−1) of all N channels at one position, shape (N,), or whole maps
    (N, H, W) — answered for channel ``channel``: one number b, or the whole normalised map (H, W).
    ``groups=2`` normalises the two halves of the channels separately, as the paper's two GPUs did."""
    try:
        a = torch.as_tensor(np.asarray(maps, dtype=np.float64))
    except (TypeError, ValueError):
        return _report(False, "Give the maps as numbers: a list of one value per channel, or an array (N, H, W).")
    if a.dim() == 1:
        a = a[:, None, None]
    if a.dim() != 3 or a.shape[0] == 0:
        return _report(False, f"Expected one value per channel (N,) or maps (N, H, W), got shape {tuple(a.shape)}.")
    try:
        channel, groups = int(channel), int(groups)
    except (TypeError, ValueError):
        return _report(False, "channel and groups are whole numbers.")
    if not 0 <= channel < a.shape[0]:
        return _report(False, f"channel must be between 0 and {a.shape[0] - 1}.")
    if groups < 1 or a.shape[0] % groups:
        return _report(False, f"{a.shape[0]} channels cannot be split into {groups} equal groups.")
    try:
        given = torch.as_tensor(np.asarray(answer, dtype=np.float64))
    except (TypeError, ValueError):
        return _report(False, "Give b as a number (or, for whole maps, an array of the map's shape).")
    want = a.shape[1:]
    if given.numel() == 1 and want.numel() == 1:
        given = given.reshape(want)
    if tuple(given.shape) != tuple(want):
        return _report(False, f"The answer is channel {channel}'s normalised map, of shape {tuple(want)}; "
                              f"got shape {tuple(given.shape)}.")

    def matches(value: torch.Tensor) -> bool:
        return bool(torch.allclose(given, value, rtol=1e-3, atol=1e-9))

    truth = _lrn(a, groups)[channel]
    per_group = a.shape[0] // groups
    first = channel // per_group * per_group
    lo, hi = max(first, channel - LRN_SIZE // 2), min(first + per_group - 1, channel + (LRN_SIZE - 1) // 2)
    if matches(truth):
        return _report(True, f"The window of channel {channel} holds channels {lo}–{hi}; "
                             f"b = a / (k + α Σ a²)^β with the paper's k = {LRN_K:g}, α = {LRN_ALPHA:g}, β = {LRN_BETA:g}.")
    wrong = [
        ("That is PyTorch's and Caffe's convention, α/n; the paper's α multiplies the plain sum of squares.",
         _lrn(a, groups, alpha=LRN_ALPHA / LRN_SIZE)),
        ("Raise the whole denominator k + α Σ a² to the power β.", _lrn(a, groups, beta=1.0)),
        ("The window holds n = 5 neighbouring channels, channel i among them, not channel i alone.",
         _lrn(a, groups, size=1)),
        ("The window is clipped at the edge of the channel's group: with groups=2 each half of the channels "
         "is normalised on its own, as each GPU normalised only the maps it held.", _lrn(a, 1)),
        ("The constant is the paper's k = 2, not PyTorch's default of 1.", _lrn(a, groups, k=1.0)),
        ("That is a itself: the denominator is not 1 (k alone is 2).", a),
    ]
    for hint, value in wrong:
        if not torch.allclose(value[channel], truth, rtol=1e-3, atol=1e-9) and matches(value[channel]):
            return _report(False, f"Not b for channel {channel}. {hint}")
    return _report(False, f"Not b for channel {channel}. Sum a² over the channels of its window (two on each side, "
                          f"clipped at the edges of its group), then b = a / (k + α Σ a²)^β.")
