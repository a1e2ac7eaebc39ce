"""Checkers for the overlapping pooling chapter (24)."""

from __future__ import annotations

from typing import Iterable

from ._common import report as _report
from ..paper import POOL_KERNEL, POOL_STRIDE
from ..shapes import pool_output_size


def _pool_windows(n: int, z: int, s: int, ceil_mode: bool = False) -> list[range]:
    """The input pixels (0 … n−1) read by each window of a 1-D max-pool, with PyTorch's rules.

    :func:`pool_output_size` says how many windows there are; window i starts at i·s. In ceil mode
    the last window may hang over the end: it reads only the pixels that exist.
    """
    count = pool_output_size(n, z, s, ceil_mode=ceil_mode)
    return [range(i * s, min(i * s + z, n)) for i in range(count)]


def check_pool_coverage(n: int, z: int, s: int, pixel: int, answer: int, ceil_mode: bool = False) -> bool:
    """Overlapping pooling: how many windows of a 1-D max-pool (window ``z``, stride ``s``, no
    padding) read pixel ``pixel`` (numbered from 0) of an input of ``n`` pixels.
    """
    try:
        windows = _pool_windows(n, z, s, ceil_mode)
    except (TypeError, ValueError) as err:
        return _report(False, f"This pool is not defined: {err}.")
    if not 0 <= pixel < n:
        return _report(False, f"Pixel {pixel} is not in an input of {n} pixels: they are numbered 0 … {n - 1}.")
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of windows as one integer.")
    covering = [i for i, w in enumerate(windows) if pixel in w]
    truth = len(covering)
    rounding = "ceil" if ceil_mode else "floor"
    if covering:
        which = f"window{'s' if truth > 1 else ''} {', '.join(str(i) for i in covering)} (starting at " \
                f"{', '.join(str(i * s) for i in covering)})"
    else:
        which = "no window"
    if given == truth:
        return _report(True, f"Pixel {pixel} of {n} is read by {which}: {truth} with z={z}, s={s}, {rounding} rounding.")
    interior = len([i for i in range(-z, n) if i * s <= pixel < i * s + z])  # as if windows never stopped
    neighbours = {len([w for w in windows if p in w]) for p in (pixel - 1, pixel + 1) if 0 <= p < n}
    if truth == 0:
        hint = (f"With {rounding} rounding there are {len(windows)} windows, and the last one ends at pixel "
                f"{windows[-1][-1]}: pixel {pixel} lies after it and is never read.")
    elif given == interior and interior != truth:
        hint = (f"Away from the edges {interior} windows would cover it, but near the ends of the input some "
                f"of those windows do not exist: list the windows' starts 0, {s}, {2 * s}, … and stop at the last one.")
    elif given in neighbours:
        hint = "That is the count of a neighbouring pixel: pixels are numbered from 0, and window i reads i·s … i·s + z − 1."
    elif given == truth ** 2 or given == z * z or given == (-(-z // s)) ** 2:
        hint = "Count along one axis only: in 2-D the count is the product of the counts along the two axes."
    else:
        hint = "Window i reads the pixels i·s, …, i·s + z − 1: count the i for which the pixel lies in that range."
    return _report(False, f"{given} is not the number of windows that read pixel {pixel}. {hint}")


def check_equal_pool_sizes(answer: Iterable[int], low: int = 10, high: int = 20, ceil_mode: bool = False) -> bool:
    """Overlapping pooling: every input size n with ``low`` ≤ n ≤ ``high`` for which the paper's
    overlapping pool (z = 3, s = 2) and the non-overlapping pool (z = s = 2) give maps of the same
    size, with floor rounding (PyTorch's default) or ``ceil_mode=True``.
    """
    z, s = POOL_KERNEL, POOL_STRIDE
    try:
        given = {int(n) for n in answer}
    except (TypeError, ValueError):
        return _report(False, "Give the sizes as a collection of integers, for example {11, 12}.")

    def same(n: int, ceil: bool) -> bool:
        return pool_output_size(n, z, s, ceil_mode=ceil) == pool_output_size(n, s, s, ceil_mode=ceil)

    sizes = range(max(low, z), high + 1)
    truth = {n for n in sizes if same(n, ceil_mode)}
    other = {n for n in sizes if same(n, not ceil_mode)}
    rounding = "ceil" if ceil_mode else "floor"
    if given == truth:
        parity = {n % 2 for n in truth}
        kind = "odd" if parity == {1} else "even" if parity == {0} else "these"
        return _report(True, f"With {rounding} rounding the two pools give the same size exactly for the {kind} "
                             f"sizes {sorted(truth)}.")
    if given == other:
        return _report(False, f"That is the answer for {'floor' if ceil_mode else 'ceil'} rounding; this question "
                              f"asks for {rounding} rounding.")
    wrong = sorted(given - truth)
    missing = sorted(truth - given)
    parts = []
    if wrong:
        parts.append(", ".join(f"n={n} gives {pool_output_size(n, z, s, ceil_mode=ceil_mode)} (z={z}) but "
                               f"{pool_output_size(n, s, s, ceil_mode=ceil_mode)} (z={s})"
                               for n in wrong[:3] if n >= z) or f"{wrong} lie outside {low} … {high} or are too small")
    if missing:
        parts.append(f"{len(missing)} size(s) are missing")
    return _report(False, "; ".join(parts) + ". Write both output sizes for an odd and an even n.")


def check_pool_receptive_field(layers: int, answer: int, z: int = POOL_KERNEL, s: int = POOL_STRIDE) -> bool:
    """Overlapping pooling: how many input pixels (along one axis) one output of ``layers`` stacked
    max-pools (window ``z``, stride ``s``, nothing in between) depends on.
    """
    try:
        layers, z, s = int(layers), int(z), int(s)
    except (TypeError, ValueError):
        return _report(False, "layers, z and s must be integers.")
    if layers < 1 or z < 1 or s < 1:
        return _report(False, "Use at least one layer, and a window and a stride of at least 1.")
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of pixels as one integer.")
    # Walk back from one output: the pixels read by the windows of every unit it depends on.
    reach = {0}
    for _ in range(layers):
        reach = {p for i in reach for p in range(i * s, i * s + z)}
    truth = len(reach)
    assert reach == set(range(truth))  # the field is one contiguous run of pixels
    if given == truth:
        return _report(True, f"One output of {layers} stacked {z}×{z}, stride-{s} pools depends on {truth} pixels "
                             f"per axis ({truth}×{truth} in 2-D): each layer adds (z − 1) × s^(layers below) pixels.")
    if given == z ** layers:
        hint = ("z^layers counts every window of every layer as if none overlapped; neighbouring windows share "
                "pixels, so the field grows by (z − 1) times the current spacing of the units, not by a factor z.")
    elif given == 1 + layers * (z - 1):
        hint = "The spacing of the units grows by a factor s at every layer: the window of layer l spans z units spaced s^(l−1) apart."
    elif given == truth ** 2:
        hint = "Give the size along one axis; the 2-D field is its square."
    elif given == s ** layers:
        hint = "s^layers is the spacing of the outputs in input pixels (the jump), not the field they read."
    else:
        hint = "Start from one output and walk back: a layer turns a run of r units into (r − 1)·s + z units below it."
    return _report(False, f"{given} is not the receptive field of {layers} stacked pools (z={z}, s={s}). {hint}")
