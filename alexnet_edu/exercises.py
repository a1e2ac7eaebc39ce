"""Checkers for the book's exercises: call one with your answer to get a pass/fail message.

Each checker recomputes the answer with the package (never from a stored value), prints what is
right or wrong about the student's answer, and returns ``True`` or ``False``.
"""

from __future__ import annotations

from typing import Iterable

from .paper import ARCHITECTURE, Conv
from .shapes import conv_output_size, layer_shapes

_CONV1 = next(layer for layer in ARCHITECTURE if isinstance(layer, Conv) and layer.name == "conv1")


def _report(ok: bool, message: str) -> bool:
    print(("Correct. " if ok else "Not yet. ") + message)
    return ok


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
