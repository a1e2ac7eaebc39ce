"""Checkers for chapter 21, shape arithmetic (``book/21_shape_arithmetic.ipynb``)."""

from __future__ import annotations

from typing import Any, Iterable

from ._engine import AnswerError, Exercise, checker, integer, judge, report, shape
from ..paper import ARCHITECTURE, Conv
from ..shapes import conv_output_size, layer_shapes

_CONV1 = next(layer for layer in ARCHITECTURE if isinstance(layer, Conv) and layer.name == "conv1")


def int_set(answer: Any, what: str) -> set[int]:
    """``answer`` (a set, list, tuple or range of whole numbers) as a set of ints; one int on its own
    counts as a set of one. Chapter 25's checkers read their sets of map indices with it too."""
    if answer is Ellipsis or answer is None:
        raise AnswerError(f"Replace ... with your answer: {what}.")
    if isinstance(answer, (str, bytes)):
        raise AnswerError(f"Give {what}, not a string.")
    if hasattr(answer, "tolist"):  # a tensor or an array
        answer = answer.tolist()
    items = answer if isinstance(answer, Iterable) else [answer]
    return {integer(v, what) for v in items}


def show_set(values: Iterable[int]) -> str:
    """A set of ints as a student would write it, shortened when long (so that a wrong answer such as
    every index never prints the right one inside it)."""
    values = sorted(values)
    if len(values) > 8:
        return f"{{{values[0]}, …, {values[-1]}}} ({len(values)} values)"
    return "{" + ", ".join(map(str, values)) + "}" if values else "set()"


@checker
def check_conv1_inputs(answer: Iterable[int], target: int = 55) -> bool:
    """Shape arithmetic: every input size n for which conv1 (11×11, stride 4, no padding, floor
    rounding) gives ``target`` outputs per side.
    """
    given = int_set(answer, "the sizes as a collection of integers, for example {227, 228}")
    # Outputs grow with n, so the sizes that give `target` lie between these two bounds.
    low = (target - 1) * _CONV1.stride + _CONV1.kernel
    truth = {n for n in range(low, low + _CONV1.stride) if conv_output_size(n, _CONV1.kernel, _CONV1.stride) == target}
    if given == truth:
        return report(True, f"{sorted(truth)} all give {target}×{target}: the floor absorbs up to "
                            f"{_CONV1.stride - 1} extra pixels.")
    wrong = sorted(n for n in given - truth)
    missing = len(truth - given)
    parts = []
    if wrong:
        parts.append(", ".join(f"{n} gives {conv_output_size(n, _CONV1.kernel, _CONV1.stride) if n >= _CONV1.kernel else 'no output'}" for n in wrong))
    if missing:
        parts.append(f"{missing} size(s) are missing")
    return report(False, "; ".join(parts) + ".")


def _pool5_shape(input_size: int) -> tuple[int, ...]:
    """pool5's (channels, height, width) for a square input; ValueError when it is too small."""
    return next(r.out_shape for r in layer_shapes(input_size) if r.name == "pool5")


@checker
def check_pool5_shape(input_size: int, answer: tuple[int, int, int]) -> bool:
    """Shape arithmetic: the (channels, height, width) of pool5 for a square input of ``input_size``."""
    try:
        truth = _pool5_shape(input_size)
    except ValueError as err:
        return report(False, f"No shape: a {input_size}×{input_size} input is too small for the network ({err}).")
    given = shape(answer, "the shape as a tuple (channels, height, width)")
    if given == truth:
        return report(True, f"pool5 is {truth[0]}×{truth[1]}×{truth[2]} for a {input_size}×{input_size} input.")
    hint = "Check the channels: pool5 keeps conv5's kernel count." if given[:1] != truth[:1] else (
        "Walk the layers one at a time and round down after every division.")
    return report(False, f"{given} is not pool5's shape for a {input_size}×{input_size} input. {hint}")


def _accepts(n: int) -> bool:
    try:
        layer_shapes(n)
    except ValueError:
        return False
    return True


@checker
def check_smallest_input(answer: int) -> bool:
    """Shape arithmetic: the smallest square input the paper's layers accept (floor rounding)."""
    truth = next(n for n in range(1, 1000) if _accepts(n))
    given = integer(answer, "a single integer")
    if given == truth:
        return report(True, f"{truth}×{truth} is the smallest input that leaves pool5 a 1×1 map.")
    return report(False, f"{given}×{given} is {'too small: some window no longer fits' if given < truth else 'not the smallest'}.")


def _read_pixels(n: int, kernel: int, stride: int, padding: int) -> set[int]:
    """The positions, from −padding to n + padding − 1, that some window of a floor-rounded
    convolution reads (positions outside 0 … n − 1 are padded zeros)."""
    windows = conv_output_size(n, kernel, stride, padding)
    return {i * stride - padding + j for i in range(windows) for j in range(kernel)}


def _window_args(n: Any, kernel: Any, stride: Any, padding: Any) -> tuple[int, int, int, int]:
    n, kernel = integer(n, "the input size as a whole number"), integer(kernel, "the kernel as a whole number")
    stride, padding = integer(stride, "the stride as a whole number"), integer(padding, "the padding as a whole number")
    if n < 1 or kernel < 1 or stride < 1 or padding < 0 or n + 2 * padding < kernel:
        raise AnswerError(f"A {kernel}-wide window with stride {stride} does not fit an input of {n} "
                          f"padded by {padding}.")
    return n, kernel, stride, padding


@checker
def check_right_zeros_read(n: int, answer: int, kernel: int = 11, stride: int = 4, padding: int = 2) -> bool:
    """Rounding is padding: how many of the ``padding`` zeros on the right of an ``n``-pixel input
    some window of a ``kernel``-wide, ``stride``-``stride`` convolution reads (floor rounding; the
    defaults are torchvision's conv1)."""
    n, kernel, stride, padding = _window_args(n, kernel, stride, padding)
    given = integer(answer, "the number of zeros as a whole number")
    windows = conv_output_size(n, kernel, stride, padding)
    last = (windows - 1) * stride - padding + kernel - 1   # the last pixel the last window reads
    truth = len({x for x in _read_pixels(n, kernel, stride, padding) if x >= n})
    return judge(
        given, truth,
        right=f"{windows} windows; the last starts at {last - kernel + 1} and ends at {last}, so it reads "
              f"{truth} of the {padding} zeros after pixel {n - 1}.",
        wrong=f"{given} is not the number of right-hand zeros that a window reads on a {n}-pixel input.",
        misconceptions=[
            (padding, "Not every padded zero is read: windows start at the first left zero and step by the "
                      "stride, and no window starts after the last one that fits. Where does the last one end?"),
            (padding - truth, "That counts the zeros no window reads; the question asks for the ones read."),
        ],
        otherwise=f"Place the windows at −{padding}, −{padding} + {stride}, …; count the positions ≥ {n} that "
                  f"the last one covers.",
    )


@checker
def check_unread_pixels(n: int, answer: Iterable[int], kernel: int = 11, stride: int = 4, padding: int = 2) -> bool:
    """Rounding is padding: the real pixels (0 … ``n`` − 1) of an ``n``-pixel input that no window of a
    ``kernel``-wide, ``stride``-``stride`` convolution with ``padding`` zeros on each side reads
    (floor rounding; the defaults are torchvision's conv1), as a set of pixel indices."""
    n, kernel, stride, padding = _window_args(n, kernel, stride, padding)
    given = sorted(int_set(answer, "the unread pixels as a set of indices (an empty set() if none)"))
    truth = sorted(set(range(n)) - _read_pixels(n, kernel, stride, padding))
    windows = conv_output_size(n, kernel, stride, padding)
    last = (windows - 1) * stride - padding + kernel - 1
    return judge(
        given, truth,
        right=(f"The last of the {windows} windows ends at pixel {last}: " +
               (f"{truth} {'is' if len(truth) == 1 else 'are'} read by no window." if truth else
                "every real pixel is read.")),
        wrong=f"{show_set(given)} is not the set of pixels no window reads on a {n}-pixel input.",
        misconceptions=[
            ([], "Some real pixels are read by no window: find where the last window ends."),
            (list(range(last, n)), "The last window also reads the pixel it ends on: count the pixels after it."),
            (list(range(last + 1, n + padding)),
             f"The padded zeros are not pixels of the image: count indices 0 to {n - 1} only."),
        ],
        otherwise=f"Place the windows at −{padding}, −{padding} + {stride}, …; a pixel is unread when no "
                  f"window covers it.",
    )


EXERCISES = [
    Exercise("shapes-conv1-inputs",
             {"conv1_sizes": "every input size for which conv1 gives 55×55 maps, a set of integers"},
             lambda conv1_sizes: all([check_conv1_inputs(conv1_sizes)])),
    Exercise("shapes-pool5-256",
             {"pool5_shape_256": "pool5's (channels, height, width) for a 256×256 input"},
             lambda pool5_shape_256: all([check_pool5_shape(256, pool5_shape_256)])),
    Exercise("shapes-smallest-input",
             {"smallest_side": "the smallest side n of a square input the layers accept"},
             lambda smallest_side: all([check_smallest_input(smallest_side)])),
    Exercise("shapes-ceil-as-padding",
             {"zeros_read_224": "how many of the 2 right-hand zeros torchvision's conv1 reads on a 224 input",
              "zeros_read_226": "the same on a 226 input",
              "unread_226": "the real pixels no window reads on a 226 input, a set of indices"},
             lambda zeros_read_224, zeros_read_226, unread_226: all([
                 check_right_zeros_read(224, zeros_read_224),
                 check_right_zeros_read(226, zeros_read_226),
                 check_unread_pixels(226, unread_226)])),
]
