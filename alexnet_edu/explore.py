"""Live explorations of the paper's knobs, each with a static figure of a few settings.

Every explorer X has three parts that share one drawing function, so the HTML book (which has no
kernel) shows what the sliders would show:

- ``draw_X(ax, **setting)`` draws one setting on matplotlib axes and returns the numbers it drew;
- ``X_panels(settings)`` draws several settings side by side: the static figure;
- ``explore_X()`` returns sliders and an output area that redraws with ``draw_X`` (Jupyter, Colab).

The explorers: shape arithmetic (§3.4, §3.5), local response normalisation (§3.3), PCA colour
noise (§4.1), the learning-rate schedule (§5) and dropout (§4.2).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence, Union

import ipywidgets as widgets
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from torch import nn

from .display import COLUMN_INCHES, show_plot
from .layers import LocalResponseNorm, PaperDropout
from .paper import (ARCHITECTURE, DROPOUT_P, EPOCHS, INPUT_SIZE, INPUT_SIZE_STATED, LEARNING_RATE, LR_DROP_FACTOR,
                    LR_DROPS, LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE, PCA_ALPHA_STD)
from .shapes import conv_output_size, layer_shapes, pool_output_size
from .transforms import IMAGENET_EIGVAL, IMAGENET_EIGVEC, PCALighting, pca_lighting

WIDTH = COLUMN_INCHES  # the book's text column
Setting = dict[str, Any]
Eigval = Union[Sequence[float], torch.Tensor]
Eigvec = Union[Sequence[Sequence[float]], torch.Tensor]


def _panels(draw: Callable[..., Any], settings: Sequence[Setting], ncols: int, row_height: float, title: str,
            legend: bool = True, **fixed: Any) -> Figure:
    """One axes per setting, ``ncols`` to a row, each drawn by ``draw``; one legend below them all."""
    rows = math.ceil(len(settings) / ncols)
    fig = Figure(figsize=(WIDTH, row_height * rows), layout="constrained")
    axes = fig.subplots(rows, ncols, squeeze=False).ravel()
    for ax, setting in zip(axes, settings):
        draw(ax, **fixed, **setting, **({"legend": False} if legend else {}))
    for ax in axes[len(settings):]:
        fig.delaxes(ax)
    fig.suptitle(title)
    handles, labels = axes[0].get_legend_handles_labels()
    if legend and handles:
        ncols = len(handles) if sum(map(len, labels)) < 60 else math.ceil(len(handles) / 2)
        fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False)
    return fig


def _explorer(draw: Callable[..., Any], controls: dict[str, widgets.Widget], height: float,
              **fixed: Any) -> widgets.interactive:
    """Controls and an Output that redraws ``draw`` at every change; ``.result`` holds its numbers."""
    for control in controls.values():
        if hasattr(control, "continuous_update"):
            control.continuous_update = False  # redraw on release, not at every pixel of a drag

    def redraw(**setting: Any) -> Any:
        fig = Figure(figsize=(WIDTH, height), layout="constrained")
        try:
            result = draw(fig.add_subplot(), **fixed, **setting)
        except ValueError as err:  # a setting the layer refuses (a kernel larger than its input)
            print("ValueError:", err)
            return None
        show_plot(fig)
        return result

    return widgets.interactive(redraw, **controls)


def _slider(kind: type, value: float, lo: float, hi: float, step: float, description: str) -> widgets.Widget:
    return kind(value=value, min=lo, max=hi, step=step, description=description)


# ---------------------------------------------------------------------------------------------- 1
_CONV1 = next(layer for layer in ARCHITECTURE if layer.name == "conv1")
_POOL5 = next(layer for layer in ARCHITECTURE if layer.name == "pool5")
_POOL5_N = next(row.in_shape[1] for row in layer_shapes() if row.name == "pool5")  # 13
_EDGE = (INPUT_SIZE_STATED - 28, INPUT_SIZE + 4)  # the right edge of conv1's input, where the answers differ
CONV_SETTINGS: tuple[Setting, ...] = (
    dict(n=INPUT_SIZE_STATED, k=_CONV1.kernel, s=_CONV1.stride, view=_EDGE, label="conv1"),
    dict(n=INPUT_SIZE, k=_CONV1.kernel, s=_CONV1.stride, view=_EDGE, label="(a)"),
    dict(n=INPUT_SIZE_STATED, k=_CONV1.kernel, s=_CONV1.stride, ceil=True, view=_EDGE, label="(b)"),
    dict(n=INPUT_SIZE_STATED, k=_CONV1.kernel, s=_CONV1.stride, p=2, view=_EDGE, label="(c)"),
    dict(n=_POOL5_N, k=_POOL5.kernel, s=_POOL5.stride, pool=True, label="pool5"),
    dict(n=_POOL5_N, k=_POOL5.stride, s=_POOL5.stride, pool=True, label="z = s"),
)
_WINDOW_LEGEND = [Patch(facecolor="0.72", label="input pixel"),
                  Patch(facecolor="white", edgecolor="0.35", hatch="////", label="zero (padding)"),
                  Patch(facecolor="tab:red", label="pixel no window reads"), Patch(facecolor="C0", label="window")]


def draw_conv_output(ax: Axes, n: int, k: int, s: int = 1, p: int = 0, ceil: bool = False, pool: bool = False,
                     view: Optional[tuple[int, int]] = None, label: str = "", legend: bool = True) -> int:
    """The windows of a convolution (or, ``pool=True``, a max-pooling) along one axis of its input.

    §3.5: "The first convolutional layer filters the 224×224×3 input image with 96 kernels of size
    11×11×3 with a stride of 4 pixels". §3.4: "a pooling layer can be thought of as consisting of a
    grid of pooling units spaced s pixels apart, each summarizing a neighborhood of size z × z
    centered at the location of the pooling unit. If we set s = z, we obtain traditional local pooling
    as commonly employed in CNNs. If we set s < z, we obtain overlapping pooling."

    Grey cells are input pixels, hatched cells zeros, red cells pixels no window reads; the bars
    above are the windows. ``view`` limits the drawing to input positions [lo, hi). Returns the output
    size o = ⌊(n + 2p − k)/s⌋ + 1 (⌈·⌉ with ``ceil``), from :mod:`alexnet_edu.shapes`.
    """
    o = (pool_output_size if pool else conv_output_size)(n, k, s, p, ceil_mode=ceil)
    spans = [(i * s - p, i * s - p + k - 1) for i in range(o)]
    read = {x for a, b in spans for x in range(a, b + 1)}
    lo, hi = -p, max(n + p, spans[-1][1] + 1)
    ax.broken_barh([(x, 1) for x in range(n) if x in read], (0, 1), facecolor="0.72", edgecolor="white")
    ax.broken_barh([(x, 1) for x in range(n) if x not in read], (0, 1), facecolor="tab:red", edgecolor="white")
    ax.broken_barh([(x, 1) for x in range(lo, hi) if not 0 <= x < n], (0, 1), facecolor="white",
                   edgecolor="0.35", hatch="////")
    rows = max(2, math.ceil(k / s))  # overlapping (and touching) windows go on separate rows
    for i, (a, b) in enumerate(spans):
        ax.broken_barh([(a, b - a + 1)], (1.35 + (i % rows) * 0.7, 0.5), facecolor=f"C{i % rows}", alpha=0.85)
    left, right = view or (lo - 1, hi + 1)
    ax.set_xlim(left, right)
    step = next(t for t in (1, 2, 5, 10, 20, 50, 100) if t >= (right - left) / 6)
    ticks = range(math.ceil(left / step) * step, int(right) + 1, step)
    ax.set_xticks([t + 0.5 for t in ticks], [str(t) for t in ticks])  # pixel x is the cell [x, x + 1)
    ax.set_ylim(-0.2, 1.35 + rows * 0.7)
    ax.set_yticks([0.5, 1.35 + rows * 0.35], ["pixels", "windows"])
    ax.set_xlabel("position along one axis (pixels)")
    lf, rf = ("⌈", "⌉") if ceil else ("⌊", "⌋")
    formula = f"{lf}({n} + 2·{p} − {k})/{s}{rf} + 1 = {o}"
    if o != (math.ceil if ceil else math.floor)((n + 2 * p - k) / s) + 1:
        formula += " (last window starts in the padding: dropped)"
    # the book's notation (book/53_notation.md): input side H, window side z, stride s, padding P
    ax.set_title(f"{label + ': ' if label else ''}H = {n}, z = {k}, s = {s}, P = {p}\no = {formula}", loc="left")
    if legend:
        ax.legend(handles=_WINDOW_LEGEND, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return o


def conv_output_panels(settings: Sequence[Setting] = CONV_SETTINGS) -> Figure:
    """:func:`draw_conv_output` at several settings, two to a row (default: conv1's three answers
    to the 224 puzzle at the right edge of its input, and pool5's overlapping against z = s pooling)."""
    fig = _panels(draw_conv_output, settings, 2, 1.9,
                  "Windows along one axis: conv1 at the right edge of its input as stated,\n"
                  "(a) 227 pixels, (b) ceil rounding, (c) padding 2; pool5 with z = 3 and z = s = 2")
    fig.legend(handles=_WINDOW_LEGEND, loc="outside lower center", ncols=4, frameon=False)
    return fig


def explore_conv_output() -> widgets.interactive:
    """Sliders for the input side H, the window side z, the stride s and the padding P, and a ceil/pool choice; the figure and formula of :func:`draw_conv_output`."""
    controls = dict(n=_slider(widgets.IntSlider, 16, 1, 256, 1, "H"), k=_slider(widgets.IntSlider, 5, 1, 15, 1, "z"),
                    s=_slider(widgets.IntSlider, 3, 1, 8, 1, "s"), p=_slider(widgets.IntSlider, 1, 0, 7, 1, "P"),
                    ceil=widgets.Checkbox(value=False, description="ceil"),
                    pool=widgets.Checkbox(value=False, description="max-pool"))
    return _explorer(draw_conv_output, controls, 2.2)


# ---------------------------------------------------------------------------------------------- 2
LRN_SETTINGS: tuple[Setting, ...] = (
    dict(neighbours=0.0, label="lone map"), dict(neighbours=0.5, label="neighbours at half its activity"),
    dict(neighbours=1.0, label="all n maps equal"),
    dict(neighbours=1.0, k=1.0, label="all equal, k = 1 (PyTorch's default)"),
)
_LRN_CONVENTIONS = {"paper": ("paper: α Σ a²", "-"), "pytorch": ("PyTorch: (α/n) Σ a²", "--")}


def lrn_response(a: torch.Tensor, k: float = LRN_K, n: int = LRN_SIZE, alpha: float = LRN_ALPHA,
                 beta: float = LRN_BETA, neighbours: float = 0.0, convention: str = "paper") -> torch.Tensor:
    """b of the centre map of n maps, whose activity is ``a`` and its n − 1 neighbours' ``neighbours``·a,
    as :class:`alexnet_edu.layers.LocalResponseNorm` computes it in ``convention``."""
    a = torch.as_tensor(a, dtype=torch.float64)
    column = (neighbours * a)[:, None].repeat(1, n)
    column[:, n // 2] = a  # with n maps, the window of the centre map holds all of them
    return LocalResponseNorm(n, alpha, beta, k, convention=convention)(column[..., None, None])[:, n // 2, 0, 0]


def draw_lrn_response(ax: Axes, k: float = LRN_K, n: int = LRN_SIZE, alpha: float = LRN_ALPHA,
                      beta: float = LRN_BETA, neighbours: float = 0.0, a_max: Optional[float] = None,
                      label: str = "", legend: bool = True) -> dict[str, torch.Tensor]:
    """LRN's response b against the centre map's activity a, with the written α read in both conventions.

    §3.3: "the response-normalized activity b^i_{x,y} is given by the expression
    b^i_{x,y} = a^i_{x,y} / (k + α Σ_j (a^j_{x,y})²)^β where the sum runs over n "adjacent" kernel maps
    at the same spatial position [...] we used k = 2, n = 5, α = 10^-4, and β = 0.75."

    The paper's convention multiplies the plain sum by α; PyTorch's ``torch.nn.LocalResponseNorm``
    (like cuda-convnet, cuda-convnet2 and Caffe) by α/n. The dotted line is the constant scaling
    b = a/k^β; the dots mark where the α-term reaches k (divisor (2k)^β), where LRN stops being that
    scaling. Returns the activities ``a`` and the curves by convention.
    """
    weight = 1 + neighbours ** 2 * (n - 1)  # Σ_j a_j² = weight · a²
    onset = {"paper": math.sqrt(k / (alpha * weight)), "pytorch": math.sqrt(k * n / (alpha * weight))}
    a = torch.linspace(0, a_max or 2 * max(onset.values()), 400, dtype=torch.float64)
    curves = {"a": a}
    ax.plot(a.numpy(), (a / k ** beta).numpy(), "k:", label="a / k^β (constant scaling)")
    for convention, (name, style) in _LRN_CONVENTIONS.items():
        curves[convention] = b = lrn_response(a, k, n, alpha, beta, neighbours, convention)
        line, = ax.plot(a.numpy(), b.detach().numpy(), style, linewidth=2, label=name)
        x = onset[convention]
        ax.plot([x], [x / (2 * k) ** beta], "o", color=line.get_color())
    ax.plot([], [], "o", color="0.4", label="α-term = k: b = a/(2k)^β")
    ax.set_ylim(0, 1.1 * max(float(curves[c].max()) for c in _LRN_CONVENTIONS))
    ax.set_xlabel("activity a of the centre map (ReLU output)")
    ax.set_ylabel("normalised activity b")
    ax.set_title(f"{label or f'neighbours at {neighbours:g}·a'}\nk = {k:g}, n = {n}, α = {alpha:g}, β = {beta:g}",
                 loc="left")
    if legend:
        ax.legend(loc="best")
    return curves


def lrn_response_panels(settings: Sequence[Setting] = LRN_SETTINGS) -> Figure:
    """:func:`draw_lrn_response` at several settings, two to a row (default: §3.3's numbers for a lone
    map, neighbours at half its activity, all maps equal, and all equal with PyTorch's default k = 1)."""
    return _panels(draw_lrn_response, settings, 2, 3.3,
                   "LRN's response to the centre map's activity, written α read as α or α/n")


def explore_lrn_response() -> widgets.interactive:
    """Sliders for k, n, α, β and the neighbours' activity; the curves of :func:`draw_lrn_response`."""
    controls = dict(k=_slider(widgets.FloatSlider, LRN_K, 0.5, 4, 0.1, "k"),
                    n=_slider(widgets.IntSlider, LRN_SIZE, 1, 9, 1, "n"),
                    alpha=widgets.FloatLogSlider(value=LRN_ALPHA, base=10, min=-6, max=-2, step=0.25, description="α"),
                    beta=_slider(widgets.FloatSlider, LRN_BETA, 0.05, 1.5, 0.05, "β"),
                    neighbours=_slider(widgets.FloatSlider, 0.0, 0, 1, 0.1, "neighbours"))
    return _explorer(draw_lrn_response, controls, 3.6)


# ---------------------------------------------------------------------------------------------- 3
PCA_SETTINGS: tuple[Setting, ...] = tuple(
    dict(sigma=sigma, scale=scale, label=f"σ_α = {sigma:g}, m = {'λ' if scale == 'eigval' else '√λ'}")
    for scale in ("eigval", "stddev") for sigma in (0.0, PCA_ALPHA_STD, 10 * PCA_ALPHA_STD))


def draw_pca_noise(ax: Axes, image: torch.Tensor, sigma: float = PCA_ALPHA_STD, eigval: Eigval = IMAGENET_EIGVAL,
                   eigvec: Eigvec = IMAGENET_EIGVEC, scale: str = "eigval", seed: int = 0, value_range: float = 255.0,
                   label: str = "") -> torch.Tensor:
    """``image`` (3, H, W) after the PCA colour augmentation with α_i = σ·z_i, z drawn with ``seed``.

    §4.1: "we perform PCA on the set of RGB pixel values throughout the ImageNet training set. To each
    training image, we add multiples of the found principal components, with magnitudes proportional to
    the corresponding eigenvalues times a random variable drawn from a Gaussian with mean zero and
    standard deviation 0.1."

    The same z for every σ, so the shift added to every pixel is proportional to σ. ``scale`` is
    :class:`alexnet_edu.transforms.PCALighting`'s: ``"eigval"`` (m_i = λ_i, the paper's formula) or
    ``"stddev"`` (m_i = √λ_i, Krizhevsky's code); ``value_range`` is a white pixel's value (255, or 1).
    Returns the shifted image (before clipping for display).
    """
    lighting = PCALighting(sigma, eigval, eigvec, scale=scale, value_range=value_range)
    alphas = sigma * torch.randn(3, generator=torch.Generator().manual_seed(seed))
    source = torch.as_tensor(image).as_subclass(torch.Tensor).float()  # a tv_tensors.Image too
    out = pca_lighting(source, alphas, lighting.magnitude, lighting.eigvec)
    shift = (out - source)[:, 0, 0] * (255 / value_range)
    ax.imshow((out / value_range).clamp(0, 1).permute(1, 2, 0).numpy())
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(label or f"σ_α = {sigma:g}, scale {scale}")
    ax.set_xlabel("ΔRGB " + ", ".join(f"{v:+.1f}" for v in shift.tolist()))
    return out


def pca_noise_panels(image: torch.Tensor, eigval: Eigval = IMAGENET_EIGVAL, eigvec: Eigvec = IMAGENET_EIGVEC,
                     settings: Sequence[Setting] = PCA_SETTINGS, value_range: float = 255.0) -> Figure:
    """:func:`draw_pca_noise` at several settings, three to a row (default: σ = 0, the paper's 0.1 and
    1, under the paper's m = λ and the code's m = √λ)."""
    return _panels(draw_pca_noise, settings, 3, 2.6, "PCA colour noise, α_i = σ_α·z_i for one draw z ~ N(0, 1);\n"
                   "ΔRGB: the shift of every pixel in grey levels (0–255)", legend=False,
                   image=image, eigval=eigval, eigvec=eigvec, value_range=value_range)


def explore_pca_noise(image: torch.Tensor, eigval: Eigval = IMAGENET_EIGVAL, eigvec: Eigvec = IMAGENET_EIGVEC,
                      value_range: float = 255.0) -> widgets.interactive:
    """Sliders for σ and the seed, a choice of m = λ or √λ; ``image`` as :func:`draw_pca_noise` shows it."""
    controls = dict(sigma=_slider(widgets.FloatSlider, PCA_ALPHA_STD, 0, 2, 0.05, "σ_α"),
                    scale=widgets.Dropdown(options=[("m = λ (paper)", "eigval"), ("m = √λ (code)", "stddev")],
                                           value="eigval", description="m"),
                    seed=_slider(widgets.IntSlider, 0, 0, 20, 1, "seed"))
    return _explorer(draw_pca_noise, controls, 3.6, image=image, eigval=eigval, eigvec=eigvec,
                     value_range=value_range)


# ---------------------------------------------------------------------------------------------- 4
PLATEAUS = ((21, 26), (41, 46), (59, 64), (76, 90))  # chapter 32's made-up validation curve is flat there
LR_SETTINGS: tuple[Setting, ...] = (
    dict(label="§5: ÷10 up to 3 times, patience 3"), dict(patience=8, label="patience 8 instead of 3"),
    dict(every=25, label="÷10 every 25 epochs, up to 3 times"),
    dict(divide=2.0, drops=5, label="÷2 up to 5 times, patience 3"),
)


def made_up_val_error(epoch: int) -> float:
    """A validation error that falls by 1 point per epoch except on the :data:`PLATEAUS` (chapter 32)."""
    return 0.9 - 0.01 * sum(1 for e in range(2, epoch + 1) if not any(a <= e <= b for a, b in PLATEAUS))


def lr_by_epoch(lr: float = LEARNING_RATE, divide: float = 1 / LR_DROP_FACTOR, drops: int = LR_DROPS,
                patience: int = 3, every: int = 0, epochs: int = EPOCHS,
                val_errors: Optional[Sequence[float]] = None) -> list[float]:
    """The learning rate of epochs 1 … ``epochs``: divided by ``divide`` at most ``drops`` times, after
    every ``every`` epochs, or (``every=0``) when ``alexnet_edu.config.make_scheduler``'s
    ``ReduceLROnPlateau`` sees ``val_errors`` (default :func:`made_up_val_error`) stop improving for
    more than ``patience`` epochs."""
    if every:
        return [lr * (1 / divide) ** min(drops, (e - 1) // every) for e in range(1, epochs + 1)]
    from .optim import PaperSGD
    from .config import TrainConfig, make_scheduler  # the training program's own scheduler

    optimizer = PaperSGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = make_scheduler(optimizer, TrainConfig(lr=lr, lr_drops=drops, lr_patience=patience), factor=1 / divide)
    errors = val_errors if val_errors is not None else [made_up_val_error(e) for e in range(1, epochs + 1)]
    rates = []
    for error in errors[:epochs]:
        rates.append(optimizer.param_groups[0]["lr"])  # the rate this epoch is trained with
        scheduler.step(error)
    return rates


def draw_lr_schedule(ax: Axes, lr: float = LEARNING_RATE, divide: float = 1 / LR_DROP_FACTOR,
                     drops: int = LR_DROPS, patience: int = 3, every: int = 0, epochs: int = EPOCHS,
                     label: str = "", legend: bool = True) -> list[float]:
    """The learning rate ε against the epoch (log scale), from :func:`lr_by_epoch`.

    §5: "The heuristic which we followed was to divide the learning rate by 10 when the validation
    error rate stopped improving with the current learning rate. The learning rate was initialized at
    0.01 and reduced three times prior to termination. We trained the network for roughly 90 cycles
    through the training set of 1.2 million images".

    Shaded: the epochs where :func:`made_up_val_error` does not improve (with ``every=0``).
    """
    rates = lr_by_epoch(lr, divide, drops, patience, every, epochs)
    after = [e for e, (a, b) in enumerate(zip(rates, rates[1:]), 1) if b < a]
    if not every:
        for i, (a, b) in enumerate(PLATEAUS):
            ax.axvspan(a - 0.5, min(b, epochs) + 0.5, color="0.88", label="validation error flat" if i == 0 else None)
    ax.step(range(1, epochs + 1), rates, where="mid", color="C3", linewidth=2, label="learning rate ε")
    ax.set_yscale("log")
    ax.set_xlim(0.5, epochs + 0.5)
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate ε (log scale)")
    rule = f"every {every} epochs" if every else f"patience {patience}"
    drops_after = f"drops after {', '.join(map(str, after)) or 'none'}"
    sep = "; " if len(drops_after) <= 28 else "\n"  # a longer line would hang over a half-column panel
    ax.set_title(f"{label or f'ε₀ = {lr:g}, ÷{divide:g} up to {drops} times, {rule}'}\n"
                 f"{drops_after}{sep}ε → {rates[-1]:.2g}", loc="left")
    if legend:
        ax.legend(loc="lower left")
    return rates


def lr_schedule_panels(settings: Sequence[Setting] = LR_SETTINGS) -> Figure:
    """:func:`draw_lr_schedule` at several settings, two to a row (default: §5 as the training program
    runs it, a longer patience, fixed drops every 25 epochs, and halving five times)."""
    return _panels(draw_lr_schedule, settings, 2, 3.0, "Learning rate against epoch, on chapter 32's made-up "
                   "validation curve")


def explore_lr_schedule() -> widgets.interactive:
    """Sliders for ε₀, the divisor, the number of drops, the patience, and fixed drops every few epochs."""
    controls = dict(lr=widgets.FloatLogSlider(value=LEARNING_RATE, base=10, min=-4, max=-1, step=0.5,
                                              description="ε₀"),
                    divide=_slider(widgets.FloatSlider, 1 / LR_DROP_FACTOR, 1.5, 20, 0.5, "÷"),
                    drops=_slider(widgets.IntSlider, LR_DROPS, 0, 8, 1, "drops"),
                    patience=_slider(widgets.IntSlider, 3, 0, 15, 1, "patience"),
                    every=_slider(widgets.IntSlider, 0, 0, 45, 1, "every (0: plateau)"))
    return _explorer(draw_lr_schedule, controls, 3.4)


# ---------------------------------------------------------------------------------------------- 5
DROPOUT_SETTINGS: tuple[Setting, ...] = tuple(dict(p=p, label=f"p = {p:g}") for p in (0.2, DROPOUT_P, 0.8))


def dropout_outputs(p: float = DROPOUT_P, units: int = 256, samples: int = 1000,
                    seed: int = 0) -> dict[str, torch.Tensor]:
    """``samples`` training passes of one layer of ``units`` positive outputs h through both dropouts.

    Returns ``h``, ``kept`` (samples × units, from :class:`alexnet_edu.layers.PaperDropout`), and the
    mean output over the units per pass, ``paper_train`` and ``inverted_train`` (``torch.nn.Dropout``),
    with their test-time values ``paper_test`` and ``inverted_test``. The global RNG is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        h = torch.randn(units, dtype=torch.float64).abs() + 1e-3  # ReLU outputs, all > 0: 0 means dropped
        batch = h.expand(samples, units)
        paper, inverted = PaperDropout(p), nn.Dropout(p)
        paper_out, inverted_out = paper.train()(batch), inverted.train()(batch)
        return dict(h=h, kept=paper_out != 0, paper_train=paper_out.mean(1), inverted_train=inverted_out.mean(1),
                    paper_test=paper.eval()(h).mean(), inverted_test=inverted.eval()(h).mean())


def draw_dropout(ax: Axes, p: float = DROPOUT_P, units: int = 256, samples: int = 1000, seed: int = 0,
                 label: str = "", legend: bool = True) -> dict[str, torch.Tensor]:
    """Which units a few passes keep (strip on top), and the layer's mean output over many passes.

    §4.2: "The recently-introduced technique, called "dropout", consists of setting to zero the output
    of each hidden neuron with probability 0.5. [...] At test time, we use all the neurons but multiply
    their outputs by 0.5, which is a reasonable approximation to taking the geometric mean of the
    predictive distributions produced by the exponentially-many dropout networks."

    Histograms: the mean of the layer's outputs in training passes, for the paper's dropout and for
    PyTorch's inverted dropout (kept outputs ×1/(1 − p), none scaled at test time); dashed lines: the
    test-time values, the centre of each histogram. Returns :func:`dropout_outputs`.
    """
    out = dropout_outputs(p, units, samples, seed)
    counts = []
    for name, colour in (("paper", "C0"), ("inverted", "C1")):
        counts += list(ax.hist(out[f"{name}_train"].numpy(), bins=30, color=colour, alpha=0.6,
                               label=f"{name}, training passes")[0])
    top = max(counts)
    for name, colour in (("paper", "C0"), ("inverted", "C1")):
        x = float(out[f"{name}_test"])
        ax.plot([x, x], [0, top * 1.05], color=colour, linestyle="--", linewidth=2, label=f"{name}, test time")
    ax.set_ylim(0, top * 1.05 / 0.58)  # the upper part holds the strip of masks
    ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= top])
    ax.spines["left"].set_bounds(0, top * 1.05)
    strip = ax.inset_axes((0.0, 0.64, 1.0, 0.34))
    strip.imshow(out["kept"][:8, :48].numpy(), cmap="gray_r", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
    strip.set_xticks([])
    strip.set_yticks([])
    strip.spines[:].set_visible(True)
    ax.set_xlabel(f"mean output of the layer's {units} units (test-time mean of h: {out['h'].mean():.2f})")
    ax.set_ylabel("passes")
    ax.set_title(f"{label + ': ' if label else ''}{out['kept'].float().mean():.1%} of {samples} × {units} outputs "
                 "kept; on top, 8 passes × 48 units (black: kept)", loc="left")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return out


def dropout_panels(settings: Sequence[Setting] = DROPOUT_SETTINGS) -> Figure:
    """:func:`draw_dropout` at several settings, one to a row (default: p = 0.2, the paper's 0.5, 0.8)."""
    return _panels(draw_dropout, settings, 1, 2.6, "Dropout: training passes scatter around the test-time output,\n"
                   "paper: ×(1 − p) at test time; inverted: ×1/(1 − p) in training")


def explore_dropout() -> widgets.interactive:
    """Sliders for the drop probability p, the layer's size and the seed; :func:`draw_dropout`'s figure."""
    controls = dict(p=_slider(widgets.FloatSlider, DROPOUT_P, 0, 0.95, 0.05, "p"),
                    units=widgets.Dropdown(options=[16, 64, 256, 1024, 4096], value=256, description="units"),
                    seed=_slider(widgets.IntSlider, 0, 0, 20, 1, "seed"))
    return _explorer(draw_dropout, controls, 3.2)
