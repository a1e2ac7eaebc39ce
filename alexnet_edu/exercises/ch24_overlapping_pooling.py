"""Checkers for the overlapping pooling chapter (24)."""

from __future__ import annotations

from typing import Iterable, Union

from ._engine import AnswerError, Exercise, checker, integer, judge, report
from ..paper import POOL_KERNEL, POOL_STRIDE
from ..shapes import pool_output_size


def _pool_windows(n: int, z: int, s: int, ceil_mode: bool = False) -> list[range]:
    """The input pixels (0 … n−1) read by each window of a 1-D max-pool, with PyTorch's rules.

    :func:`pool_output_size` says how many windows there are; window i starts at i·s. In ceil mode
    the last window may hang over the end: it reads only the pixels that exist.
    """
    count = pool_output_size(n, z, s, ceil_mode=ceil_mode)
    return [range(i * s, min(i * s + z, n)) for i in range(count)]


@checker
def check_pool_coverage(n: int, z: int, s: int, pixel: Union[int, tuple[int, int]], answer: int,
                        ceil_mode: bool = False) -> bool:
    """Overlapping pooling: how many windows of a max-pool (window ``z``, stride ``s``, no padding)
    read pixel ``pixel`` (numbered from 0) of an input of ``n`` pixels: along one axis for a pixel
    given as one number, or of the n×n map for a pixel given as (row, column).
    """
    try:
        windows = _pool_windows(n, z, s, ceil_mode)
    except (TypeError, ValueError) as err:
        raise AnswerError(f"This pool is not defined: {err}.") from None
    two_d = isinstance(pixel, (tuple, list))
    where = tuple(integer(p, "the pixel as a whole number, or (row, column)")
                  for p in (pixel if two_d else (pixel,)))
    if len(where) not in (1, 2) or not all(0 <= p < n for p in where):
        raise AnswerError(f"Pixel {pixel} is not in an input of {n} pixels: they are numbered 0 … {n - 1}"
                          f"{', as (row, column) in 2-D' if two_d else ''}.")
    given = integer(answer, "the number of windows as one integer")
    rounding = "ceil" if ceil_mode else "floor"
    covering = [[i for i, w in enumerate(windows) if p in w] for p in where]
    counts = [len(c) for c in covering]
    if two_d:
        truth = counts[0] * counts[1]
        pair = f"({where[0]}, {where[1]})"
        multiply = ("In 2-D a window reads the pixel when it covers its row and its column: multiply the "
                    "counts along the two axes.")
        return judge(
            given, truth,
            right=f"Pixel {pair} of the {n}×{n} map is read by {counts[0]} × {counts[1]} = {truth} windows "
                  f"with z={z}, s={s}, {rounding} rounding.",
            wrong=f"{given} is not the number of windows that read pixel {pair}.",
            misconceptions=[(counts[0], multiply), (counts[1], multiply), (counts[0] + counts[1], multiply)],
            otherwise="Count the windows along each axis (window i reads i·s … i·s + z − 1), then multiply.",
        )
    pixel, truth, covering = where[0], counts[0], covering[0]
    if covering:
        which = f"window{'s' if truth > 1 else ''} {', '.join(str(i) for i in covering)} (starting at " \
                f"{', '.join(str(i * s) for i in covering)})"
    else:
        which = "no window"
    interior = len([i for i in range(-z, n) if i * s <= pixel < i * s + z])  # as if windows never stopped
    neighbours = {len([w for w in windows if p in w]) for p in (pixel - 1, pixel + 1) if 0 <= p < n}
    one_axis = "Count along one axis only: in 2-D the count is the product of the counts along the two axes."
    misconceptions = [] if truth == 0 else [
        (interior, f"Away from the edges {interior} windows would cover it, but near the ends of the input some "
                   f"of those windows do not exist: list the windows' starts 0, {s}, {2 * s}, … and stop at the "
                   "last one."),
        *[(count, "That is the count of a neighbouring pixel: pixels are numbered from 0, and window i reads "
                  "i·s … i·s + z − 1.") for count in sorted(neighbours)],
        (truth ** 2, one_axis), (z * z, one_axis), ((-(-z // s)) ** 2, one_axis),
    ]
    otherwise = (f"With {rounding} rounding there are {len(windows)} windows, and the last one ends at pixel "
                 f"{windows[-1][-1]}: pixel {pixel} lies after it and is never read." if truth == 0 else
                 "Window i reads the pixels i·s, …, i·s + z − 1: count the i for which the pixel lies in that range.")
    return judge(
        given, truth,
        right=f"Pixel {pixel} of {n} is read by {which}: {truth} with z={z}, s={s}, {rounding} rounding.",
        wrong=f"{given} is not the number of windows that read pixel {pixel}.",
        misconceptions=misconceptions,
        otherwise=otherwise,
    )


@checker
def check_equal_pool_sizes(answer: Iterable[int], low: int = 10, high: int = 20, ceil_mode: bool = False) -> bool:
    """Overlapping pooling: every input size n with ``low`` ≤ n ≤ ``high`` for which the paper's
    overlapping pool (z = 3, s = 2) and the non-overlapping pool (z = s = 2) give maps of the same
    size, with floor rounding (PyTorch's default) or ``ceil_mode=True``.
    """
    z, s = POOL_KERNEL, POOL_STRIDE
    what = "the sizes as a collection of integers, for example {11, 12}"
    if answer is Ellipsis or answer is None:
        raise AnswerError(f"Replace ... with your answer: {what}.")
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        raise AnswerError(f"Give {what}.")
    given = {integer(n, what) for n in answer}

    def same(n: int, ceil: bool) -> bool:
        return pool_output_size(n, z, s, ceil_mode=ceil) == pool_output_size(n, s, s, ceil_mode=ceil)

    sizes = range(max(low, z), high + 1)
    truth = {n for n in sizes if same(n, ceil_mode)}
    other = {n for n in sizes if same(n, not ceil_mode)}
    rounding = "ceil" if ceil_mode else "floor"
    if given == truth:
        parity = {n % 2 for n in truth}
        kind = "odd" if parity == {1} else "even" if parity == {0} else "these"
        return report(True, f"With {rounding} rounding the two pools give the same size exactly for the {kind} "
                            f"sizes {sorted(truth)}.")
    if given == other:
        return report(False, f"That is the answer for {'floor' if ceil_mode else 'ceil'} rounding; this question "
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
    return report(False, "; ".join(parts) + ". Write both output sizes for an odd and an even n.")


@checker
def check_pool_receptive_field(layers: int, answer: int, z: int = POOL_KERNEL, s: int = POOL_STRIDE) -> bool:
    """Overlapping pooling: how many input pixels (along one axis) one output of ``layers`` stacked
    max-pools (window ``z``, stride ``s``, nothing in between) depends on.
    """
    layers = integer(layers, "layers as a whole number")
    z, s = integer(z, "the window z as a whole number"), integer(s, "the stride s as a whole number")
    if layers < 1 or z < 1 or s < 1:
        raise AnswerError("Use at least one layer, and a window and a stride of at least 1.")
    given = integer(answer, "the number of pixels as one integer")
    # Walk back from one output: the pixels read by the windows of every unit it depends on.
    reach = {0}
    for _ in range(layers):
        reach = {p for i in reach for p in range(i * s, i * s + z)}
    truth = len(reach)
    assert reach == set(range(truth))  # the field is one contiguous run of pixels
    return judge(
        given, truth,
        right=f"One output of {layers} stacked {z}×{z}, stride-{s} pools depends on {truth} pixels "
              f"per axis ({truth}×{truth} in 2-D): each layer adds (z − 1) × s^(layers below) pixels.",
        wrong=f"{given} is not the receptive field of {layers} stacked pools (z={z}, s={s}).",
        misconceptions=[
            (z ** layers, "z^layers counts every window of every layer as if none overlapped; neighbouring windows "
                          "share pixels, so the field grows by (z − 1) times the current spacing of the units, not "
                          "by a factor z."),
            (1 + layers * (z - 1), "The spacing of the units grows by a factor s at every layer: the window of "
                                   "layer l spans z units spaced s^(l−1) apart."),
            (truth ** 2, "Give the size along one axis; the 2-D field is its square."),
            (s ** layers, "s^layers is the spacing of the outputs in input pixels (the jump), not the field they "
                          "read."),
        ],
        otherwise="Start from one output and walk back: a layer turns a run of r units into (r − 1)·s + z units "
                  "below it.",
    )


EXERCISES = [
    Exercise("pool-coverage",
             {"windows_pixel_12": "how many of pool5's windows (13 pixels, z = 3, s = 2) read pixel 12, one axis",
              "windows_pixel_6": "how many read pixel 6, one axis",
              "windows_pixel_6_6": "how many read the pixel (6, 6) of the 13×13 map",
              "windows_pixel_12_12_z2": "how many read (12, 12) with z = s = 2"},
             lambda windows_pixel_12, windows_pixel_6, windows_pixel_6_6, windows_pixel_12_12_z2: all([
                 check_pool_coverage(13, 3, 2, 12, windows_pixel_12),
                 check_pool_coverage(13, 3, 2, 6, windows_pixel_6),
                 check_pool_coverage(13, 3, 2, (6, 6), windows_pixel_6_6),
                 check_pool_coverage(13, 2, 2, (12, 12), windows_pixel_12_12_z2)])),
    Exercise("pool-equal-sizes",
             {"floor_same": "every n from 10 to 20 with equal sizes under floor rounding, a set",
              "ceil_same": "the same under ceil rounding"},
             lambda floor_same, ceil_same: all([check_equal_pool_sizes(floor_same),
                                                check_equal_pool_sizes(ceil_same, ceil_mode=True)])),
    Exercise("pool-receptive-field",
             {"field_overlapping": "pixels per axis that one output of three stacked z = 3, s = 2 pools reads",
              "field_tiling": "the same for z = s = 2"},
             lambda field_overlapping, field_tiling: all([
                 check_pool_receptive_field(3, field_overlapping),
                 check_pool_receptive_field(3, field_tiling, z=2, s=2)])),
    Exercise("pool-overfitting"),
]
