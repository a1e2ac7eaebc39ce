"""Checkers for the book's exercises: call one with your answer to get a pass/fail message.

Each checker recomputes the answer with the package (never from a stored value), prints what is
right or wrong about the student's answer, and returns ``True`` or ``False``.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import torch

from .layers import LRN_CONVENTIONS, LocalResponseNorm, convert_lrn
from .paper import ARCHITECTURE, FC, LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE, POOL_KERNEL, POOL_STRIDE, Conv
from .shapes import conv_output_size, layer_shapes, pool_output_size

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

def _tanh_slope(z: float) -> float:
    """d tanh(z) / dz at ``z``, by autograd in float64."""
    t = torch.tensor(float(z), dtype=torch.float64, requires_grad=True)
    torch.tanh(t).backward()
    return t.grad.item()


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3, abs_tol=1e-6)


def check_tanh_derivative(x: float, answer: float) -> bool:
    """ReLU chapter: the derivative of tanh at ``x`` (a saturating nonlinearity, §3.1)."""
    try:
        x, given = float(x), float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give x and the derivative as two numbers.")
    truth = _tanh_slope(x)
    t = math.tanh(x)
    if _close(given, truth):
        return _report(True, f"tanh'({x:g}) = 1 − tanh²({x:g}) = {truth:.4g}, "
                             f"{truth:.1%} of its largest value (1, at x = 0).")
    if _close(given, t):
        hint = "That is tanh(x) itself; differentiate it: tanh'(x) = 1 − tanh²(x)."
    elif _close(given, 1 - t):
        hint = "Square tanh(x): the derivative is 1 − tanh²(x), not 1 − tanh(x)."
    elif _close(given, 1 - x * x):
        hint = "Square tanh(x), not x: the derivative is 1 − tanh²(x)."
    elif _close(given, 1 / math.cosh(x)):
        hint = "That is sech(x); the derivative is its square, sech²(x) = 1 − tanh²(x)."
    elif _close(given, 0.25 * (1 - t * t)) or _close(given, 1 / (1 + math.exp(-x)) * (1 - 1 / (1 + math.exp(-x)))):
        hint = "That is the logistic sigmoid's slope; the question asks for tanh's: 1 − tanh²(x)."
    else:
        hint = "Use tanh'(x) = 1 − tanh²(x)."
    return _report(False, f"{given:.4g} is not tanh'({x:g}). {hint}")


def check_relu_active_fraction(mean: float, std: float, answer: float) -> bool:
    """ReLU chapter: the fraction of ReLU units that are active (output > 0, slope 1) when their
    inputs are normally distributed with ``mean`` and standard deviation ``std``."""
    try:
        mean, std, given = float(mean), float(std), float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the mean, the standard deviation and your fraction as numbers.")
    if not std > 0:
        return _report(False, "The standard deviation must be positive.")
    normal = torch.distributions.Normal(torch.tensor(mean, dtype=torch.float64),
                                        torch.tensor(std, dtype=torch.float64))
    truth = 1 - normal.cdf(torch.tensor(0.0, dtype=torch.float64)).item()  # P(x > 0)
    if abs(given - truth) <= 1e-3:
        return _report(True, f"P(x > 0) = Φ(μ/σ) = Φ({mean / std:.3g}) = {truth:.4f}: that fraction of "
                             f"the units passes its gradient on unchanged, the rest pass none.")
    if 1 < given <= 100 and abs(given / 100 - truth) <= 1e-3:
        hint = "Give a fraction between 0 and 1, not a percentage."
    elif abs(given - (1 - truth)) <= 1e-3:
        hint = "That is the fraction of inactive units (x ≤ 0); a ReLU is active where x > 0."
    elif abs(given - 0.5) <= 1e-3 and mean != 0:
        hint = "0.5 holds only for a zero mean: a nonzero mean (a bias) shifts the threshold to −μ/σ."
    else:
        hint = "Standardise: x > 0 means (x − μ)/σ > −μ/σ, whose probability is Φ(μ/σ)."
    return _report(False, f"{given:.4g} is not the active fraction for mean {mean:g}, std {std:g}. {hint}")


def check_tanh_chain_derivative(preactivations: Iterable[float], answer: float) -> bool:
    """ReLU chapter: the factor by which a chain of tanh units with the given pre-activations scales
    a gradient passing back through them (weights of 1 along the path): the product of the slopes."""
    try:
        zs = [float(z) for z in preactivations]
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the pre-activations as a list of numbers and the factor as one number.")
    if not zs:
        return _report(False, "Give at least one pre-activation.")
    slopes = [_tanh_slope(z) for z in zs]
    truth = math.prod(slopes)
    relu = math.prod(1.0 if z > 0 else 0.0 for z in zs)
    if _close(given, truth):
        worst = min(range(len(zs)), key=lambda i: slopes[i])
        return _report(True, f"The {len(zs)} slopes multiply to {truth:.3g}; the smallest, "
                             f"{slopes[worst]:.3g} at z = {zs[worst]:g}, does most of the shrinking. "
                             f"A chain of ReLUs with the same pre-activations passes a factor of {relu:g}.")
    if _close(given, sum(slopes)):
        hint = "The chain rule multiplies the slopes of the layers; it does not add them."
    elif _close(given, math.prod(math.tanh(z) for z in zs)):
        hint = "That multiplies the values tanh(z); multiply the slopes 1 − tanh²(z) instead."
    elif _close(given, math.prod(1 - z * z for z in zs)):
        hint = "Each slope is 1 − tanh²(z), not 1 − z²."
    elif any(_close(given, truth / s) for s in slopes):
        hint = f"One layer is missing: multiply all {len(zs)} slopes."
    else:
        hint = "Multiply the slopes 1 − tanh²(z), one per layer."
    return _report(False, f"{given:.4g} is not the product of the tanh slopes. {hint}")

def check_lrn_alpha(alpha: float, size: int, source: str, answer: float, target: str = "paper") -> bool:
    """LRN conventions: the α to write in convention ``target`` ("paper", "cuda-convnet2", "caffe",
    "pytorch") for the layer that convention ``source`` writes with ``alpha`` and window ``size``.
    """
    if source not in LRN_CONVENTIONS or target not in LRN_CONVENTIONS:
        return _report(False, f"Name the conventions as one of {', '.join(LRN_CONVENTIONS)}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give α as one number, for example 1e-4.")
    truth = convert_lrn(alpha, size, source, target)
    src, dst = LRN_CONVENTIONS[source], LRN_CONVENTIONS[target]
    how = (f"{source} multiplies Σ a² by {'α/n' if src.alpha_divided_by_size else 'α'}, "
           f"{target} by {'α/n' if dst.alpha_divided_by_size else 'α'}")
    k_note = ("" if src.default_k == dst.default_k else
              f" Remember k too: {source}'s default k is {src.default_k:g}, {target}'s is {dst.default_k:g}; "
              f"set it explicitly where the library lets you.")
    if math.isclose(given, truth, rel_tol=1e-6):
        return _report(True, f"α = {truth:g} in {target}: {how}, with n = {size}.{k_note}")
    if math.isclose(given, alpha, rel_tol=1e-6):
        hint = f"The same number describes a different layer: {how}."
    elif math.isclose(given, alpha * size, rel_tol=1e-6) or math.isclose(given, alpha / size, rel_tol=1e-6):
        hint = (f"Right factor, wrong direction: {how}. Write both denominators out and make the "
                f"factors in front of Σ a² equal.")
    else:
        hint = f"The two layers are the same when the factors in front of Σ a² agree; {how} (n = {size})."
    return _report(False, f"{given:g} is not the α to write in {target}. {hint}")


def check_lrn_response(
    activations: Sequence[float],
    channel: int,
    answer: float,
    size: int = LRN_SIZE,
    alpha: float = LRN_ALPHA,
    beta: float = LRN_BETA,
    k: float = LRN_K,
) -> bool:
    """LRN by hand: the response-normalised activity b of channel ``channel`` at one position, where
    ``activations`` lists a^0, a^1, … of every channel at that position (paper's constants by default).
    """
    try:
        a = torch.tensor([float(v) for v in activations], dtype=torch.float64).reshape(1, -1)
    except (TypeError, ValueError):
        return _report(False, "Give the activations as a list of numbers, one per channel.")
    if not 0 <= channel < a.shape[1]:
        return _report(False, f"channel must be between 0 and {a.shape[1] - 1}.")
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give b as one number.")

    def b(size_=size, alpha_=alpha, beta_=beta, k_=k) -> float:
        return LocalResponseNorm(size_, alpha_, beta_, k_)(a)[0, channel].item()

    truth = b()
    lo, hi = max(0, channel - size // 2), min(a.shape[1] - 1, channel + (size - 1) // 2)
    total = (a[0, lo:hi + 1] ** 2).sum().item()
    how = (f"Σ a² over channels {lo}..{hi} is {total:g}, so the denominator is "
           f"({k:g} + {alpha:g}·{total:g})^{beta:g} = {(k + alpha * total) ** beta:.6g}")
    if math.isclose(given, truth, rel_tol=1e-3, abs_tol=1e-9):
        return _report(True, f"b = {truth:.6g}: {how}.")
    wrong = {
        "You divided α by n: that is PyTorch's and Caffe's way of writing it; the paper's α multiplies the plain sum.":
            b(alpha_=alpha / size),
        "Raise the whole denominator k + α Σ a² to the power β.": b(beta_=1.0),
        "The sum runs over the n adjacent channels including channel i itself, not over channel i alone.": b(size_=1),
        f"Only the {size} channels centred on channel {channel} count, not every channel.": b(size_=2 * a.shape[1] + 1),
        "Divide a by the denominator; you computed the denominator (or its inverse).": (k + alpha * total) ** beta,
    }
    for hint, value in wrong.items():
        if not math.isclose(value, truth, rel_tol=1e-3) and math.isclose(given, value, rel_tol=1e-3, abs_tol=1e-9):
            return _report(False, f"{given:g} is not b. {hint}")
    if truth and math.isclose(given, 1 / truth, rel_tol=1e-3):
        return _report(False, f"{given:g} is not b. You inverted the ratio: b = a / denominator.")
    return _report(False, f"{given:g} is not b for channel {channel}. Sum a² over channels {lo}..{hi} "
                          f"(the window clipped at the edges), then b = a / (k + α Σ a²)^β.")

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
