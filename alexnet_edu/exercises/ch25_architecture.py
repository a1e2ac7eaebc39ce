"""Checkers for chapter 25, the architecture (``book/25_architecture.ipynb``)."""

from __future__ import annotations

import math
from typing import Iterable

import torch

from ._engine import AnswerError, Exercise, checker, choice, integer, judge, number, report
from .ch21_shape_arithmetic import int_set, show_set
from ..layers import LocalResponseNorm
from ..paper import ARCHITECTURE, DROPOUT_P, FC, Conv
from ..shapes import layer_shapes

_LEARNED = tuple(layer.name for layer in ARCHITECTURE if isinstance(layer, (Conv, FC)))


def _layer_row(name: str):
    """The paper's layer ``name`` and its row of :func:`layer_shapes` (227 input), or None."""
    if name not in _LEARNED:
        return None, None
    layer = next(layer for layer in ARCHITECTURE if layer.name == name)
    row = next(r for r in layer_shapes() if r.name == name)
    return layer, row


@checker
def check_layer_params(name: str, answer: int) -> bool:
    """Architecture: the learned parameters (weights and biases) of layer ``name`` ("conv1" … "fc8")
    of the 2012 network, with the paper's two columns (conv2, conv4 and conv5 grouped).
    """
    layer, row = _layer_row(name)
    if layer is None:
        return report(False, f"{name!r} has no parameters to count: choose one of {', '.join(_LEARNED)}.")
    given = integer(answer, "the number of parameters as one integer")
    truth = row.params
    if isinstance(layer, Conv):
        depth = row.in_shape[0] // layer.groups
        how = (f"{layer.out_channels} kernels of {layer.kernel}×{layer.kernel}×{depth} weights "
               f"plus {layer.out_channels} biases")
        biases = layer.out_channels
        ungrouped = layer.kernel ** 2 * row.in_shape[0] * layer.out_channels + biases
    else:
        fan_in, out = math.prod(row.in_shape), row.out_shape[0]
        how = f"{fan_in} × {out} weights plus {out} biases"
        biases, ungrouped = out, None
    grouped_hints = []
    if ungrouped is not None and layer.groups > 1:
        grouped = (f"{name} is grouped: each kernel sees only the {row.in_shape[0] // layer.groups} maps "
                   f"of its own column, not all {row.in_shape[0]}.")
        grouped_hints = [(ungrouped, grouped), (ungrouped - biases, grouped)]
    return judge(
        given, truth,
        right=f"{name} has {truth:,} parameters: {how}.",
        wrong=f"{given:,} is not the parameter count of {name}.",
        misconceptions=[(truth - biases, "That counts the weights only: every kernel (or neuron) also has one bias."),
                        *grouped_hints],
        otherwise="Weights: kernels × height × width × depth (or fan-in × outputs); then add one bias per output.",
        rel=0, abs_=0.5,  # a count: exact (0.1 % of conv2's count would pass the bias-free answer)
    )


@checker
def check_layer_macs(name: str, answer: int) -> bool:
    """Architecture: multiply-accumulates per 227×227 image of layer ``name`` ("conv1" … "fc8"):
    one per weight use, biases not counted (they add, they do not multiply).
    """
    layer, row = _layer_row(name)
    if layer is None:
        return report(False, f"Count multiply-accumulates of a conv or fc layer: choose one of {', '.join(_LEARNED)}.")
    given = integer(answer, "the number of multiply-accumulates as one integer")
    truth = row.macs
    if isinstance(layer, Conv):
        depth = row.in_shape[0] // layer.groups
        shape = "×".join(map(str, row.out_shape))
        how = f"{shape} outputs, each a {layer.kernel}×{layer.kernel}×{depth} dot product"
    else:
        how = f"{math.prod(row.in_shape)} inputs × {row.out_shape[0]} outputs"
    return judge(
        given, truth,
        right=f"{name} does {truth:,} multiply-accumulates per image: {how}.",
        wrong=f"{given:,} is not the MAC count of {name} for a 227×227 image.",
        misconceptions=[
            (truth + row.neurons, "Do not count the bias: it is added once per output, not multiplied."),
            (truth * layer.groups if isinstance(layer, Conv) and layer.groups > 1 else None,
             f"{name} is grouped: each output reads only its own column's "
             f"{row.in_shape[0] // getattr(layer, 'groups', 1)} maps."),
            (row.params, "That is the parameter count: a conv kernel is used once per output position."),
        ],
        otherwise="Outputs (C×H×W) times the length of one output's dot product (k × k × depth, or the fan-in).",
        rel=0, abs_=0.5,  # a count: exact (fc8's bias-free and biased counts differ by 0.02 %)
    )


@checker
def check_column_exchange(answer: int) -> bool:
    """Two columns: how many activations (floats) cross between the two GPUs per image in one forward
    pass. Every layer that reads both columns (conv3, fc6, fc7, fc8) receives the other column's
    half of the previous layer's output; the input image is on both GPUs and does not cross.
    """
    rows = layer_shapes()
    crossing, previous = {}, None
    for layer, row in zip(ARCHITECTURE, rows):
        reads_both = isinstance(layer, FC) or (isinstance(layer, Conv) and layer.groups == 1)
        if reads_both and previous is not None:  # conv1 reads the image, which each GPU holds
            crossing[layer.name] = math.prod(previous.out_shape)  # half goes each way: the whole output
        previous = row
    truth = sum(crossing.values())
    given = integer(answer, "the number of floats as one integer")
    parts = " + ".join(f"{n:,} into {name}" for name, n in crossing.items())
    if given == truth:
        return report(True, f"{truth:,} floats per image: {parts}.")
    if given * 2 == truth:
        hint = "That is one direction: each column sends its half to the other, both ways."
    elif given == 4 * truth or given * 2 == 4 * truth:
        hint = "Give the number of floats, not bytes."
    elif given < truth:
        hint = f"Some exchange is missing: the layers that read both columns are {', '.join(crossing)}."
    else:
        hint = ("Too many: conv2, conv4 and conv5 read only their own column, and the input image is "
                "already on both GPUs.")
    return report(False, f"{given:,} is not the number of floats that cross per image. {hint}")


@checker
def check_conv_param_share(answer: Iterable[str], share: float = 0.01) -> bool:
    """Architecture: the convolutional layers of the 2012 network that each hold more than ``share``
    (1% by default) of its parameters, weights and biases counted. §1 says of them "each of which
    contains no more than 1% of the model's parameters"; this checks the reader's set of names.
    """
    rows = layer_shapes()
    total = sum(r.params for r in rows)
    convs = {layer.name: layer for layer in ARCHITECTURE if isinstance(layer, Conv)}
    params = {r.name: r.params for r in rows if r.name in convs}
    truth = {name for name, n in params.items() if n > share * total}
    if answer is Ellipsis or answer is None:
        raise AnswerError('Replace ... with your answer: the layer names as a set of strings, for example {"conv1"}.')
    if isinstance(answer, str):  # one name on its own
        answer = [answer]
    try:
        given = {str(name).strip().lower() for name in answer}
    except TypeError:
        raise AnswerError('Give the layer names as a set of strings, for example {"conv1"}.') from None
    others = sorted(given - set(convs))
    if others:
        return report(False, f"{', '.join(others)}: name convolutional layers only, "
                             f"{', '.join(convs)}.")
    bound = f"{share * 100:g}% of the {total:,} parameters, {share * total:,.0f}"
    if given == truth:
        listed = ", ".join(f"{name} {params[name]:,} ({params[name] / total:.2%})" for name in convs)
        names = sorted(truth)
        held = (f"{', '.join(names[:-1])} and {names[-1]} hold" if len(names) > 1 else
                f"{names[0]} holds" if names else "No conv layer holds")
        return report(True, f"{held} more than {bound}. Every conv layer: {listed}.")
    parts = []
    for name in sorted(given - truth):
        layer = convs[name]
        if layer.groups > 1:
            parts.append(f"{name} is grouped: each of its kernels reads only the maps of its own "
                         f"column, half of the layer below, so its kernels are half as deep.")
        else:
            parts.append(f"{name} holds less: count its kernels × height × width × depth, plus "
                         f"one bias per kernel.")
    if truth - given:
        parts.append("A layer above the bound is missing: compare every conv layer's count with "
                     f"{bound}.")
    return report(False, " ".join(parts))


def _lrn_changed_maps(size: int, channels: int, groups: int) -> list[int]:
    """The maps whose output changes when the package's LocalResponseNorm of ``size`` maps normalises
    ``channels`` maps as one group instead of ``groups`` columns (on a constant input of 10, where only
    the number of maps inside each window matters)."""
    a = torch.full((1, channels, 1, 1), 10.0, dtype=torch.float64)
    one = LocalResponseNorm(size=size, groups=1)(a)
    split = LocalResponseNorm(size=size, groups=groups)(a)
    diff = (one - split).abs().flatten() / one.abs().flatten()
    return torch.nonzero(diff > 1e-9).flatten().tolist()


@checker
def check_lrn_boundary_maps(answer: Iterable[int], size: int = 5, channels: int = 256, groups: int = 2) -> bool:
    """LRN across the columns: the maps (indices 0 … ``channels`` − 1) whose normalised output changes
    when a LocalResponseNorm of ``size`` maps normalises all ``channels`` maps together instead of in
    ``groups`` columns (lrn2 of the paper: 256 maps, 2 columns, n = 5)."""
    size = integer(size, "the window size as a whole number")
    channels, groups = integer(channels, "the number of maps"), integer(groups, "the number of columns")
    if size < 1 or groups < 1 or channels % groups:
        raise AnswerError(f"{channels} maps cannot be split into {groups} columns with a window of {size}.")
    given = sorted(int_set(answer, "the map indices as a set of integers, for example {0, 1}"))
    truth = _lrn_changed_maps(size, channels, groups)
    half = channels // groups
    return judge(
        given, truth,
        right=f"A window of {size} maps reaches {size // 2} map(s) to each side, so only maps that close to a "
              f"column boundary see a different window: {len(truth)} maps change, the rest do not.",
        wrong=f"{show_set(given)} is not the set of maps that change with a window of {size}.",
        misconceptions=[
            *[(_lrn_changed_maps(other, channels, groups),
               f"That is the answer for a window of {other} maps; a window of {size} reaches "
               f"⌊{size}/2⌋ maps to each side.") for other in (size - 2, size + 2) if other >= 1],
            ([m for m in truth if (m % half) >= half // 2], "Maps on both sides of the boundary change: a "
                                                            "window near it loses the maps of the other column."),
            ([m for m in truth if (m % half) < half // 2], "Maps on both sides of the boundary change: a "
                                                           "window near it loses the maps of the other column."),
            (list(range(channels)), "Only maps whose window would reach across the boundary change; the "
                                    "others see the same window either way."),
        ],
        otherwise=f"The boundary lies between maps {half - 1} and {half}. Which maps' windows of {size} reach "
                  f"across it?",
    )


#: The layers whose neurons the paper's dropout zeroes (§4.2: "We use dropout in the first two
#: fully-connected layers"); torchvision zeroes the inputs of the same two layers instead.
_DROPOUT_LAYERS = ("fc6", "fc7")
DROPOUT_ORDERS = ("paper", "torchvision")


def _dropped_units(order: str) -> float:
    """Units zeroed per image, on average, by dropout on the outputs (the paper) or on the inputs
    (torchvision) of fc6 and fc7, from the package's layer shapes."""
    rows = {r.name: r for r in layer_shapes()}
    side = "out_shape" if order == "paper" else "in_shape"
    return DROPOUT_P * sum(math.prod(getattr(rows[name], side)) for name in _DROPOUT_LAYERS)


@checker
def check_dropout_units(order: str, answer: float) -> bool:
    """Where dropout goes: how many units per image dropout sets to zero on average in training, when
    it acts on the outputs of fc6 and fc7 (``order="paper"``) or on their inputs
    (``order="torchvision"``), each unit dropped with probability 0.5."""
    order = choice(order, DROPOUT_ORDERS, "the order")
    given = number(answer, "the average number of units set to zero per image, one number")
    truth = _dropped_units(order)
    other = DROPOUT_ORDERS[1 - DROPOUT_ORDERS.index(order)]
    counted = truth / DROPOUT_P
    return judge(
        given, truth,
        right=f"{counted:,.0f} units are exposed to dropout, each zeroed with probability {DROPOUT_P:g}: "
              f"{truth:,.0f} per image on average.",
        wrong=f"{given:,g} is not the average number of units the {order} order sets to zero.",
        misconceptions=[
            (counted, f"Each unit is dropped only with probability {DROPOUT_P:g}: that is the number of units "
                      f"exposed to dropout, not the number dropped on average."),
            (_dropped_units(other), f"That is the {other} order: "
                                    + ("the paper drops the OUTPUTS of fc6 and fc7." if order == "paper" else
                                       "torchvision drops the INPUTS of fc6 and fc7.")),
        ],
        otherwise="Count the units in front of (torchvision) or behind (the paper) the two dropout layers, "
                  "then multiply by the dropout probability.",
        rel=0, abs_=0.5,  # a count of units: exact
    )


EXERCISES = [
    Exercise("arch-conv2-cost",
             {"conv2_params": "conv2's learned parameters, weights and biases",
              "conv2_macs": "conv2's multiply-accumulates per 227×227 image"},
             lambda conv2_params, conv2_macs: all([check_layer_params("conv2", conv2_params),
                                                   check_layer_macs("conv2", conv2_macs)])),
    Exercise("arch-column-exchange",
             {"floats_crossing": "the activations (floats) that cross between the GPUs per image, forward"},
             lambda floats_crossing: all([check_column_exchange(floats_crossing)])),
    Exercise("arch-lrn2-boundary",
             {"lrn_changed_5": "the lrn2 maps that change with groups=1 instead of 2, window of 5, a set",
              "lrn_changed_7": "the same with a window of 7 maps"},
             lambda lrn_changed_5, lrn_changed_7: all([check_lrn_boundary_maps(lrn_changed_5, size=5),
                                                       check_lrn_boundary_maps(lrn_changed_7, size=7)])),
    Exercise("arch-dropout-order",
             {"dropped_torchvision": "units set to zero per image on average, torchvision's order",
              "dropped_paper": "the same in the paper's order"},
             lambda dropped_torchvision, dropped_paper: all([check_dropout_units("torchvision", dropped_torchvision),
                                                             check_dropout_units("paper", dropped_paper)])),
    Exercise("arch-one-percent",
             {"convs_above_1pct": "the conv layers holding more than 1% of the parameters, a set of names"},
             lambda convs_above_1pct: all([check_conv_param_share(convs_above_1pct)])),
]
