"""Checkers for the shape-arithmetic and architecture chapters (21, 25)."""

from __future__ import annotations

import math
from typing import Iterable

from ._common import report as _report
from ..paper import ARCHITECTURE, FC, Conv
from ..shapes import conv_output_size, layer_shapes


_CONV1 = next(layer for layer in ARCHITECTURE if isinstance(layer, Conv) and layer.name == "conv1")


def check_conv1_inputs(answer: Iterable[int], target: int = 55) -> bool:
    """Shape arithmetic: every input size n for which conv1 (11×11, stride 4, no padding, floor
    rounding) gives ``target`` outputs per side.
    """
    try:
        given = {int(n) for n in answer}
    except (TypeError, ValueError):
        return _report(False, "Give the sizes as a collection of integers, for example {227, 228}.")
    # Outputs grow with n, so the sizes that give `target` lie between these two bounds.
    low = (target - 1) * _CONV1.stride + _CONV1.kernel
    truth = {n for n in range(low, low + _CONV1.stride) if conv_output_size(n, _CONV1.kernel, _CONV1.stride) == target}
    if given == truth:
        return _report(True, f"{sorted(truth)} all give {target}×{target}: the floor absorbs up to "
                             f"{_CONV1.stride - 1} extra pixels.")
    wrong = sorted(n for n in given - truth)
    missing = len(truth - given)
    parts = []
    if wrong:
        parts.append(", ".join(f"{n} gives {conv_output_size(n, _CONV1.kernel, _CONV1.stride) if n >= _CONV1.kernel else 'no output'}" for n in wrong))
    if missing:
        parts.append(f"{missing} size(s) are missing")
    return _report(False, "; ".join(parts) + ".")


def check_pool5_shape(input_size: int, answer: tuple[int, int, int]) -> bool:
    """Shape arithmetic: the (channels, height, width) of pool5 for a square input of ``input_size``."""
    try:
        truth = next(r.out_shape for r in layer_shapes(input_size) if r.name == "pool5")
    except ValueError as err:
        return _report(False, f"No shape: a {input_size}×{input_size} input is too small for the network ({err}).")
    try:
        given = tuple(int(d) for d in answer)
    except (TypeError, ValueError):
        return _report(False, "Give the shape as a tuple (channels, height, width).")
    if given == truth:
        return _report(True, f"pool5 is {truth[0]}×{truth[1]}×{truth[2]} for a {input_size}×{input_size} input.")
    hint = "Check the channels: pool5 keeps conv5's kernel count." if given[:1] != truth[:1] else (
        "Walk the layers one at a time and round down after every division.")
    return _report(False, f"{given} is not pool5's shape for a {input_size}×{input_size} input. {hint}")


def check_smallest_input(answer: int) -> bool:
    """Shape arithmetic: the smallest square input the paper's layers accept (floor rounding)."""
    def works(n: int) -> bool:
        try:
            layer_shapes(n)
        except ValueError:
            return False
        return True

    truth = next(n for n in range(1, 1000) if works(n))
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return _report(False, "Give a single integer.")
    if given == truth:
        return _report(True, f"{truth}×{truth} is the smallest input that leaves pool5 a 1×1 map.")
    return _report(False, f"{given}×{given} is {'too small: some window no longer fits' if given < truth else 'not the smallest'}.")

_LEARNED = tuple(layer.name for layer in ARCHITECTURE if isinstance(layer, (Conv, FC)))


def _layer_row(name: str):
    """The paper's layer ``name`` and its row of :func:`layer_shapes` (227 input), or None."""
    if name not in _LEARNED:
        return None, None
    layer = next(layer for layer in ARCHITECTURE if layer.name == name)
    row = next(r for r in layer_shapes() if r.name == name)
    return layer, row


def check_layer_params(name: str, answer: int) -> bool:
    """Architecture: the learned parameters (weights and biases) of layer ``name`` ("conv1" … "fc8")
    of the 2012 network, with the paper's two columns (conv2, conv4 and conv5 grouped).
    """
    layer, row = _layer_row(name)
    if layer is None:
        return _report(False, f"{name!r} has no parameters to count: choose one of {', '.join(_LEARNED)}.")
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of parameters as one integer.")
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
    if given == truth:
        return _report(True, f"{name} has {truth:,} parameters: {how}.")
    if given == truth - biases:
        hint = "That counts the weights only: every kernel (or neuron) also has one bias."
    elif ungrouped is not None and layer.groups > 1 and given in (ungrouped, ungrouped - biases):
        hint = (f"{name} is grouped: each kernel sees only the {row.in_shape[0] // layer.groups} maps "
                f"of its own column, not all {row.in_shape[0]}.")
    else:
        hint = "Weights: kernels × height × width × depth (or fan-in × outputs); then add one bias per output."
    return _report(False, f"{given:,} is not the parameter count of {name}. {hint}")


def check_layer_macs(name: str, answer: int) -> bool:
    """Architecture: multiply-accumulates per 227×227 image of layer ``name`` ("conv1" … "fc8"):
    one per weight use, biases not counted (they add, they do not multiply).
    """
    layer, row = _layer_row(name)
    if layer is None:
        return _report(False, f"Count multiply-accumulates of a conv or fc layer: choose one of {', '.join(_LEARNED)}.")
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of multiply-accumulates as one integer.")
    truth = row.macs
    if isinstance(layer, Conv):
        depth = row.in_shape[0] // layer.groups
        shape = "×".join(map(str, row.out_shape))
        how = f"{shape} outputs, each a {layer.kernel}×{layer.kernel}×{depth} dot product"
    else:
        how = f"{math.prod(row.in_shape)} inputs × {row.out_shape[0]} outputs"
    if given == truth:
        return _report(True, f"{name} does {truth:,} multiply-accumulates per image: {how}.")
    if given == truth + row.neurons:
        hint = "Do not count the bias: it is added once per output, not multiplied."
    elif isinstance(layer, Conv) and layer.groups > 1 and given == truth * layer.groups:
        hint = f"{name} is grouped: each output reads only its own column's {row.in_shape[0] // layer.groups} maps."
    elif given == row.params:
        hint = "That is the parameter count: a conv kernel is used once per output position."
    else:
        hint = "Outputs (C×H×W) times the length of one output's dot product (k × k × depth, or the fan-in)."
    return _report(False, f"{given:,} is not the MAC count of {name} for a 227×227 image. {hint}")


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
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of floats as one integer.")
    parts = " + ".join(f"{n:,} into {name}" for name, n in crossing.items())
    if given == truth:
        return _report(True, f"{truth:,} floats per image: {parts}.")
    if given * 2 == truth:
        hint = "That is one direction: each column sends its half to the other, both ways."
    elif given == 4 * truth or given * 2 == 4 * truth:
        hint = "Give the number of floats, not bytes."
    elif given < truth:
        hint = f"Some exchange is missing: the layers that read both columns are {', '.join(crossing)}."
    else:
        hint = ("Too many: conv2, conv4 and conv5 read only their own column, and the input image is "
                "already on both GPUs.")
    return _report(False, f"{given:,} is not the number of floats that cross per image. {hint}")


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
    if isinstance(answer, str):  # one name on its own
        answer = [answer]
    try:
        given = {str(name).strip().lower() for name in answer}
    except TypeError:
        return _report(False, 'Give the layer names as a set of strings, for example {"conv1"}.')
    others = sorted(given - set(convs))
    if others:
        return _report(False, f"{', '.join(others)}: name convolutional layers only, "
                              f"{', '.join(convs)}.")
    bound = f"{share * 100:g}% of the {total:,} parameters, {share * total:,.0f}"
    if given == truth:
        listed = ", ".join(f"{name} {params[name]:,} ({params[name] / total:.2%})" for name in convs)
        names = sorted(truth)
        held = (f"{', '.join(names[:-1])} and {names[-1]} hold" if len(names) > 1 else
                f"{names[0]} holds" if names else "No conv layer holds")
        return _report(True, f"{held} more than {bound}. Every conv layer: {listed}.")
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
    return _report(False, " ".join(parts))
