"""Checkers for the chapter on what happens inside the layers (44): map sizes, ReLU's zeros, LRN."""

from __future__ import annotations

import math

import torch

from ._engine import AnswerError, Exercise, array, checker, judge, number, report, shape
from .ch23_lrn import check_lrn_value  # the book's one LRN-by-hand checker (chapter 23's)
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


@checker
def check_map_size(layer: str, answer, input_size: int = 227) -> bool:
    """The shape of one image's feature maps after ``layer`` ("conv1", "relu1", "lrn1", "pool1", …
    "pool5") in the paper's network with ``input_size``² inputs: the answer is (channels, height,
    width), or just the side of the square maps."""
    try:
        input_size = int(input_size)
        shapes = _shapes(input_size)
    except (TypeError, ValueError) as err:
        raise AnswerError(f"That input size does not go through the network: {err}.") from None
    name = str(layer).strip().lower()
    if name not in shapes:
        raise AnswerError(f"Name a layer with feature maps: one of {', '.join(_ORDER)}.")
    truth = shapes[name]
    what = "the shape as (channels, height, width), or the side of the square maps as one number"
    given = shape(answer, what)
    if len(given) not in (1, 3):
        raise AnswerError(f"Give {what}.")
    side_only = len(given) == 1
    if (given[0] == truth[1]) if side_only else (given == truth):
        return report(True, f"After {name} each image has {truth[0]} maps of {truth[1]}×{truth[2]} "
                            f"({math.prod(truth):,} numbers).")
    given_side = given[0] if side_only else given[1]
    stage = _ORDER.index(name)
    earlier = {shapes[n][1] for n in _ORDER[:stage]} - {truth[1]}
    later = {shapes[n][1] for n in _ORDER[stage + 1:]} - {truth[1]}
    # The hints depend on where the wrong side comes from, not on one wrong value: no judge() here.
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
    return report(False, f"{shown} is not the size after {name}. {hint}")


@checker
def check_relu_zero_share(values, answer: float) -> bool:
    """The share of ReLU's outputs that are exactly zero when its inputs are ``values`` (any shape):
    f(x) = max(0, x), §3.1. A fraction between 0 and 1, ±1e-3."""
    v = torch.as_tensor(array(values, "the values as an array of numbers")).flatten()
    if v.numel() == 0:
        raise AnswerError("These values do not work: there are no values.")
    given = number(answer, "the share as one number between 0 and 1")
    truth = float((torch.relu(v) == 0).double().mean())
    return judge(
        given, truth,
        right=f"{truth:.4f} of the outputs are zero: every input at or below zero; "
              f"the other {1 - truth:.4f} pass unchanged.",
        wrong=f"{given:g} is not the share of zeros.",
        misconceptions=[
            (100 * truth, "That looks like a percentage: give a fraction between 0 and 1."),
            (1 - truth, "That is the share that passes (the positive inputs); the question asks for the zeros."),
            (float((v < 0).double().mean()), "An input of exactly 0 also gives 0: max(0, 0) = 0. Count it too."),
        ],
        otherwise="A share lies between 0 and 1." if not 0 <= given <= 1 else
                  "Apply f(x) = max(0, x) to every value and count the outputs that are 0; divide by the count of all.",
        abs_=1e-3,  # a share written with three decimals (0.667 for 2/3) is right
    )


@checker
def check_lrn_competition_level(answer: float, excess: float = 0.1, maps: int = LRN_SIZE) -> bool:
    """When LRN starts to compete: the activity a at which the paper's divisor (k + α Σ a²)^β is
    ``excess`` (0.1: 10 %) above its floor k^β when all ``maps`` maps of the window hold a (§3.3's
    constants: k = 2, n = 5, α = 1e-4, β = 0.75)."""
    excess = number(excess, "the excess as a fraction")
    if not excess > 0:
        raise AnswerError("The excess must be positive: the divisor is never below its floor k^β.")
    given = number(answer, "the activity a as one number")
    k, alpha, beta = LRN_K, LRN_ALPHA, LRN_BETA

    floor = k ** beta

    def level(floor: float = floor, count: int = maps) -> float:
        """a where (k + α·count·a²)^β = (1 + excess)·floor."""
        return math.sqrt(max(((1 + excess) * floor) ** (1 / beta) - k, 0.0) / (alpha * count))

    truth = level()
    return judge(
        given, truth,
        right=f"({k:g} + {alpha:g}·{maps}·a²)^{beta:g} = {1 + excess:g} · {k:g}^{beta:g} at a = {truth:.4g}: "
              f"activities well below that are divided by a near-constant {k:g}^{beta:g}.",
        wrong=f"{given:g} is not the activity at which the divisor is {excess:.0%} above its floor.",
        misconceptions=[
            (level(count=1), f"All {maps} maps of the window hold a: Σ a² = {maps}a², and the paper's α "
                                       "multiplies it undivided."),
            (math.sqrt(k * excess / (alpha * maps)), f"The divisor is raised to β = {beta:g}: undo the power "
                                                     f"(raise to 1/β) before solving for a."),
            (math.sqrt(k * ((1 + excess) ** beta - 1) / (alpha * maps)),
             f"Undo the power β by raising to 1/β = {1 / beta:.4g}, not to β."),
            (level(floor=k), f"The floor of the divisor is k^β = {k:g}^{beta:g} ≈ {floor:.3f}, not k."),
            (truth ** 2, "That is a²: take the square root."),
        ],
        otherwise=f"Solve (k + α·{maps}·a²)^β = {1 + excess:g}·k^β for a: raise both sides to 1/β first.",
    )


_SIX = [30, 0, 40, 100, 10, 20]

EXERCISES = [
    Exercise("inside-map-size",
             {"shape_lrn1": "(channels, height, width) of one image's maps after lrn1, 227×227 input",
              "shape_pool1": "the same after pool1", "shape_relu2": "after relu2", "shape_relu5": "after relu5"},
             lambda shape_lrn1, shape_pool1, shape_relu2, shape_relu5: all([
                 check_map_size("lrn1", shape_lrn1), check_map_size("pool1", shape_pool1),
                 check_map_size("relu2", shape_relu2), check_map_size("relu5", shape_relu5)])),
    Exercise("inside-relu-zeros",
             {"zero_share": "the share of zeros among the ReLU's outputs of the 3×3 values"},
             lambda zero_share: check_relu_zero_share([[0.8, -1.2, 0.0], [-0.3, 2.5, -0.1], [1.1, 0.0, -4.0]],
                                                      zero_share)),
    Exercise("inside-lrn-value",
             {"b_two_gpus": "b for map 2 of a = (30, 0, 40, 100, 10, 20), each GPU normalising its three maps",
              "b_one_gpu": "b for map 2 with all six maps on one GPU"},
             lambda b_two_gpus, b_one_gpu: all([check_lrn_value(_SIX, 2, b_two_gpus, groups=2),
                                                check_lrn_value(_SIX, 2, b_one_gpu, groups=1)])),
    Exercise("inside-lrn-scale",
             {"a_ten_percent": "the activity a of all five maps at which the divisor is 10% above 2^0.75"},
             lambda a_ten_percent: check_lrn_competition_level(a_ten_percent)),
]
