"""Shape arithmetic: how big is every feature map of the 2012 network?

A convolution with kernel size k, stride s and zero-padding p applied to an input of size n
(along one axis) places its kernel at the positions 0, s, 2s, ... as long as the kernel still fits
inside the padded input of size n + 2p. The last valid start is n + 2p - k, so there are

    ⌊(n + 2p - k) / s⌋ + 1

output positions. The paper says conv1 "filters the 224×224×3 input image with 96 kernels of size
11×11×3 with a stride of 4 pixels" (§3.5), yet (224 - 11)/4 + 1 = 54.25: the 224 does not divide.
Three answers are in use: a 227×227 input; cuda-convnet's rounding up (⌈·⌉ instead of ⌊·⌋, the same
as padding the input with 3 zeros on the right and bottom); and torchvision's padding of 2 on
every side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral

from .paper import (
    ARCHITECTURE,
    FC,
    IN_CHANNELS,
    INPUT_SIZE,
    LRN,
    LRN_SIZE,
    NUM_CLASSES,
    Conv,
    Layer,
    Pool,
)


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _windows(n: int, kernel: int, stride: int, padding: int, ceil_mode: bool, what: str) -> int:
    """Number of window positions before any framework-specific correction."""
    n = _check_int("n (input size)", n, 1)
    kernel = _check_int("kernel", kernel, 1)
    stride = _check_int("stride", stride, 1)
    padding = _check_int("padding", padding, 0)
    span = n + 2 * padding - kernel
    if span < 0:
        raise ValueError(
            f"a {what} window of size {kernel} does not fit in an input of size {n} with padding "
            f"{padding} (padded size {n + 2 * padding}): use a smaller kernel or more padding"
        )
    rounded = math.ceil(span / stride) if ceil_mode else span // stride
    return rounded + 1


def conv_output_size(
    n: int, kernel: int, stride: int = 1, padding: int = 0, ceil_mode: bool = False
) -> int:
    """Output size of a convolution along one axis: ⌊(n + 2p − k)/s⌋ + 1.

    With ``ceil_mode=True`` the division rounds up, as cuda-convnet (the code the paper was trained
    with) counts its "modules": ⌈(n + 2p − k)/s⌉ + 1. The last window then hangs over the input's
    right/bottom edge and reads zeros, which is the same as padding those edges by
    :func:`ceil_extra_padding` pixels. ``torch.nn.Conv2d`` has no ceil mode; it always floors.

    >>> conv_output_size(227, 11, 4), conv_output_size(224, 11, 4)
    (55, 54)
    >>> conv_output_size(224, 11, 4, ceil_mode=True), conv_output_size(224, 11, 4, padding=2)
    (55, 55)
    """
    return _windows(n, kernel, stride, padding, ceil_mode, "convolution")


def pool_output_size(
    n: int, kernel: int, stride: int | None = None, padding: int = 0, ceil_mode: bool = False
) -> int:
    """Output size of max-pooling along one axis, with ``torch.nn.MaxPool2d``'s rules.

    The stride defaults to the kernel size (non-overlapping pooling, as in PyTorch). The paper uses
    overlapping pooling, "s = 2 and z = 3" (§3.4). In ceil mode PyTorch drops a last window that
    would start in the right padding, so every window covers at least one real input pixel.

    >>> pool_output_size(55, 3, 2), pool_output_size(27, 3, 2), pool_output_size(13, 3, 2)
    (27, 13, 6)
    """
    stride = kernel if stride is None else stride
    if _check_int("padding", padding, 0) * 2 > _check_int("kernel", kernel, 1):
        raise ValueError(f"padding ({padding}) must be at most half the kernel size ({kernel})")
    out = _windows(n, kernel, stride, padding, ceil_mode, "pooling")
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def ceil_extra_padding(n: int, kernel: int, stride: int, padding: int = 0) -> int:
    """Zeros to add on the right (or bottom) so that floor rounding gives the ceil-mode size.

    >>> ceil_extra_padding(224, 11, 4)  # 224 + 3 = 227
    3
    """
    out = conv_output_size(n, kernel, stride, padding, ceil_mode=True)
    return (out - 1) * stride + kernel - (n + 2 * padding)


@dataclass(frozen=True)
class LayerShape:
    """One row of the shape table: a layer, its input and output shapes (C, H, W) and parameters."""

    name: str
    kind: str
    in_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    params: int
    hyper: str
    macs: int = 0  # multiply-accumulates per image (weights only; biases add, they do not multiply)

    @property
    def neurons(self) -> int:
        """Number of output units (the paper's "neurons" of this layer)."""
        return math.prod(self.out_shape)


def layer_shapes(
    input_size: int = INPUT_SIZE,
    *,
    ceil_mode: bool = False,
    conv1_padding: int = 0,
    num_classes: int = NUM_CLASSES,
    architecture: tuple[Layer, ...] = ARCHITECTURE,
) -> list[LayerShape]:
    """Walk the paper's network and return every layer's output shape and parameter count.

    ``input_size=227`` is the size the stated layers need. ``input_size=224, ceil_mode=True`` is
    cuda-convnet's rounding; ``input_size=224, conv1_padding=2`` is torchvision's choice (its conv1
    pads by 2 on every side). Shapes are (channels, height, width) for one image; the fully
    connected layers flatten the 256×6×6 maps of pool5 into 9,216 inputs.
    """
    size = _check_int("input_size", input_size, 1)
    channels = IN_CHANNELS
    shape: tuple[int, ...] = (channels, size, size)
    rows: list[LayerShape] = []
    for layer in architecture:
        in_shape = shape
        if isinstance(layer, Conv):
            pad = conv1_padding if layer.name == "conv1" else layer.padding
            side = conv_output_size(shape[1], layer.kernel, layer.stride, pad, ceil_mode)
            depth = shape[0] // layer.groups  # a grouped kernel sees only its own column's maps
            params = layer.kernel * layer.kernel * depth * layer.out_channels + layer.out_channels
            shape = (layer.out_channels, side, side)
            macs = math.prod(shape) * layer.kernel * layer.kernel * depth  # one kernel per output
            hyper = describe_conv(layer.out_channels, layer.kernel, depth, layer.stride, pad, layer.groups)
            kind = "conv"
        elif isinstance(layer, Pool):
            side = pool_output_size(shape[1], layer.kernel, layer.stride, ceil_mode=ceil_mode)
            shape = (shape[0], side, side)
            params, kind, hyper, macs = 0, "max-pool", describe_pool(layer.kernel, layer.stride), 0
        elif isinstance(layer, LRN):
            params, kind, hyper, macs = 0, "LRN", describe_lrn(LRN_SIZE), 0
        elif isinstance(layer, FC):
            out = num_classes if layer.name == "fc8" else layer.out_features
            fan_in = math.prod(shape)
            params = fan_in * out + out
            macs = fan_in * out
            shape = (out,)
            kind, hyper = "fc", describe_fc(fan_in, out)
        else:  # pragma: no cover - the architecture tuple only holds the four kinds above
            raise TypeError(f"unknown layer {layer!r}")
        rows.append(LayerShape(layer.name, kind, in_shape, shape, params, hyper, macs))
    return rows


def describe_conv(out_channels: int, kernel: int, depth: int, stride: int, padding: int, groups: int = 1) -> str:
    """The hyper-parameters column of a conv layer, in the paper's words: "96@11×11×3, stride 4"."""
    text = f"{out_channels}@{kernel}×{kernel}×{depth}, stride {stride}, pad {padding}"
    return text + (f", {groups} groups" if groups > 1 else "")


def describe_pool(kernel: int, stride: int) -> str:
    """The hyper-parameters column of a max-pooling layer."""
    return f"{kernel}×{kernel}, stride {stride}"


def describe_lrn(size: int) -> str:
    """The hyper-parameters column of an LRN layer."""
    return f"n = {size}, keeps the shape"


def describe_fc(fan_in: int, out: int) -> str:
    """The hyper-parameters column of a fully-connected layer."""
    return f"{fan_in} → {out}"


def format_shape_table(rows: list[LayerShape]) -> str:
    """The rows of :func:`layer_shapes` as a fixed-width text table, with parameter and MAC totals."""
    header = f"{'layer':<6} {'kind':<8} {'output (C×H×W)':<16} {'parameters':>12} {'MACs':>13}  {'hyper-parameters'}"
    lines = [header, "-" * len(header)]
    for r in rows:
        out = "×".join(str(d) for d in r.out_shape)
        lines.append(f"{r.name:<6} {r.kind:<8} {out:<16} {r.params:>12,} {r.macs:>13,}  {r.hyper}")
    lines.append("-" * len(header))
    total_params, total_macs = sum(r.params for r in rows), sum(r.macs for r in rows)
    lines.append(f"{'total':<6} {'':<8} {'':<16} {total_params:>12,} {total_macs:>13,}")
    return "\n".join(lines)
