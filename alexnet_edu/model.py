"""The 2012 network, exactly as §3.5 describes it, in two equivalent forms.

"The first convolutional layer filters the 224×224×3 input image with 96 kernels of size 11×11×3
with a stride of 4 pixels [...]. The second convolutional layer takes as input the
(response-normalized and pooled) output of the first convolutional layer and filters it with 256
kernels of size 5 × 5 × 48. [...] The third convolutional layer has 384 kernels of size 3 × 3 × 256
[...]. The fourth convolutional layer has 384 kernels of size 3 × 3 × 192, and the fifth
convolutional layer has 256 kernels of size 3 × 3 × 192. The fully-connected layers have 4096
neurons each." (§3.5)

:class:`AlexNet` writes the two GPUs' columns as grouped convolutions (``groups=2``) in one
module; :class:`TwoTowerAlexNet` writes them as two columns that can sit on two devices, as in
the paper's Figure 2. :meth:`TwoTowerAlexNet.from_alexnet` and :meth:`TwoTowerAlexNet.to_alexnet`
convert the weights exactly, both ways.

The module also holds the small CIFAR-10 networks the experiments train (:class:`SmallConvNet`,
:class:`ConvLocalNet`), every initialisation scheme (:func:`init_`), and the helpers that look inside
a network (:func:`conv1_weight`, :func:`layer_activations`, :func:`relu_activity`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from .layers import LRN_CONVENTIONS, LocallyConnected2d, LocalResponseNorm, PaperDropout
from .paper import (
    ARCHITECTURE,
    BIAS_ONE_LAYERS,
    DROPOUT_P,
    IN_CHANNELS,
    INIT_STD,
    INPUT_SIZE,
    INPUT_SIZE_STATED,
    NUM_CLASSES,
    NUM_COLUMNS,
    POOL_KERNEL,
    POOL_STRIDE,
    Conv,
    FC,
)
from .shapes import (
    LayerShape,
    ceil_extra_padding,
    describe_conv,
    describe_fc,
    describe_lrn,
    describe_pool,
    layer_shapes,
)

SPEC = {layer.name: layer for layer in ARCHITECTURE}
Device = Union[str, torch.device]


def _input_padding(input_size: int) -> int:
    """Zeros to add on the right and bottom of the input so that conv1 gives 55×55 maps."""
    if input_size == INPUT_SIZE:
        return 0
    if input_size == INPUT_SIZE_STATED:  # cuda-convnet rounds up: the same as 3 more zeros
        conv1 = SPEC["conv1"]
        return ceil_extra_padding(input_size, conv1.kernel, conv1.stride)
    raise ValueError(
        f"input_size={input_size} is not supported: the network expects {INPUT_SIZE}×{INPUT_SIZE} "
        f"images (or {INPUT_SIZE_STATED}×{INPUT_SIZE_STATED} with cuda-convnet's rounding, "
        f"input_size={INPUT_SIZE_STATED}); crop or resize your images to one of these"
    )


def _check_input(x: torch.Tensor, input_size: int, pad: int) -> torch.Tensor:
    """Fail early, with the size the network expects, rather than with a matrix-shape error."""
    if x.dim() != 4 or x.shape[1] != IN_CHANNELS or tuple(x.shape[-2:]) != (input_size, input_size):
        raise ValueError(
            f"expected a batch of shape (N, {IN_CHANNELS}, {input_size}, {input_size}), got {tuple(x.shape)}; "
            f"this network was built with input_size={input_size}"
            + (f" (use AlexNet(input_size={INPUT_SIZE_STATED}) for 224×224 images)"
               if tuple(x.shape[-2:]) == (INPUT_SIZE_STATED, INPUT_SIZE_STATED) else "")
        )
    return F.pad(x, (0, pad, 0, pad)) if pad else x


def _conv(name: str, in_channels: int, columns: int = 1) -> nn.Conv2d:
    """conv layer ``name`` of the paper; with ``columns=2``, one column's half of its kernels."""
    spec: Conv = SPEC[name]  # type: ignore[assignment]
    groups = spec.groups if columns == 1 else 1
    return nn.Conv2d(in_channels, spec.out_channels // columns, spec.kernel, spec.stride, spec.padding, groups=groups)


def _pool() -> nn.MaxPool2d:
    return nn.MaxPool2d(SPEC["pool1"].kernel, SPEC["pool1"].stride)


def _fc_width(name: str) -> int:
    spec: FC = SPEC[name]  # type: ignore[assignment]
    return spec.out_features


# fc6's inputs: pool5's 256 maps of 6×6, flattened (the same for both supported input sizes)
FLAT_FEATURES = math.prod(next(r.out_shape for r in layer_shapes() if r.name == "pool5"))


class AlexNet(nn.Module):
    """The paper's network: 5 conv layers, 3 fully-connected, 60,965,224 parameters for 1000 classes.

    conv1 96@11×11/4 → ReLU → LRN → max-pool 3/2 → conv2 256@5×5 pad 2, 2 groups → ReLU → LRN →
    max-pool 3/2 → conv3 384@3×3 pad 1 → ReLU → conv4 384@3×3 pad 1, 2 groups → ReLU → conv5
    256@3×3 pad 1, 2 groups → ReLU → max-pool 3/2 → fc6 4096 → ReLU → dropout → fc7 4096 → ReLU →
    dropout → fc8.

    ``input_size=227`` (default) is the size for which the stated conv1 gives 55×55 maps;
    ``input_size=224`` pads the input with 3 zeros on the right and bottom, which is what
    cuda-convnet's rounding up does. The LRN layers normalise each GPU's half of the maps on its
    own (``groups=2``), as the two GPUs did, so this network equals :class:`TwoTowerAlexNet`.
    Weights start as in the paper (:func:`init_`).

    Two choices the paper leaves to be read are explicit: ``lrn_convention`` (how the LRN's
    α = 1e-4 is read: ``"paper"``, α on the plain sum as §3.3 prints it, or ``"cuda-convnet2"``,
    α/n as Krizhevsky's code computes it; see :class:`~alexnet_edu.layers.LocalResponseNorm`) and
    ``dropout_convention`` (``"inverted"``: ``torch.nn.Dropout``, kept outputs doubled while
    training; ``"paper"``: :class:`~alexnet_edu.layers.PaperDropout`, outputs halved at test time,
    as §4.2 describes).
    """

    def __init__(
        self, num_classes: int = NUM_CLASSES, input_size: int = INPUT_SIZE, dropout: float = DROPOUT_P, init: bool = True,
        lrn_convention: str = "paper", dropout_convention: str = "inverted",
    ) -> None:
        super().__init__()
        self.input_size, self.num_classes = input_size, num_classes
        self.lrn_convention, self.dropout_convention = lrn_convention, dropout_convention
        drop = _dropout_layer(dropout_convention)
        self.input_padding = _input_padding(input_size)
        c = {name: SPEC[name].out_channels for name in ("conv1", "conv2", "conv3", "conv4", "conv5")}
        self.conv1, self.relu1 = _conv("conv1", IN_CHANNELS), nn.ReLU()
        self.lrn1, self.pool1 = LocalResponseNorm(groups=NUM_COLUMNS, convention=lrn_convention), _pool()
        self.conv2, self.relu2 = _conv("conv2", c["conv1"]), nn.ReLU()
        self.lrn2, self.pool2 = LocalResponseNorm(groups=NUM_COLUMNS, convention=lrn_convention), _pool()
        self.conv3, self.relu3 = _conv("conv3", c["conv2"]), nn.ReLU()
        self.conv4, self.relu4 = _conv("conv4", c["conv3"]), nn.ReLU()
        self.conv5, self.relu5 = _conv("conv5", c["conv4"]), nn.ReLU()
        self.pool5 = _pool()
        self.fc6, self.relu6, self.drop6 = nn.Linear(FLAT_FEATURES, _fc_width("fc6")), nn.ReLU(), drop(dropout)
        self.fc7, self.relu7, self.drop7 = nn.Linear(_fc_width("fc6"), _fc_width("fc7")), nn.ReLU(), drop(dropout)
        self.fc8 = nn.Linear(_fc_width("fc7"), num_classes)
        if init:  # init=False when the weights are about to be copied in
            init_(self, "paper")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_input(x, self.input_size, self.input_padding)
        x = self.pool1(self.lrn1(self.relu1(self.conv1(x))))
        x = self.pool2(self.lrn2(self.relu2(self.conv2(x))))
        x = self.relu3(self.conv3(x))
        x = self.relu4(self.conv4(x))
        x = self.pool5(self.relu5(self.conv5(x)))
        x = torch.flatten(x, 1)
        x = self.drop6(self.relu6(self.fc6(x)))
        x = self.drop7(self.relu7(self.fc7(x)))
        return self.fc8(x)


def _dropout_layer(convention: str) -> type[nn.Module]:
    """The dropout module of a convention: ``"inverted"`` (PyTorch's) or ``"paper"`` (§4.2's)."""
    layers = {"inverted": nn.Dropout, "paper": PaperDropout}
    if convention not in layers:
        raise ValueError(f"unknown dropout convention {convention!r}: choose one of {', '.join(layers)}")
    return layers[convention]


INIT_SCHEMES = ("paper", "caffe", "normal", "default")


def init_(model: nn.Module, scheme: str = "paper", std: Union[float, dict[str, float]] = INIT_STD) -> nn.Module:
    """Initialise ``model``'s weights in place: the one place in the package that does.

    - ``"paper"``: "We initialized the weights in each layer from a zero-mean Gaussian distribution
      with standard deviation 0.01. We initialized the neuron biases in the second, fourth, and fifth
      convolutional layers, as well as in the fully-connected hidden layers, with the constant 1.
      [...] the remaining layers with the constant 0." (§5) For :class:`AlexNet` and
      :class:`TwoTowerAlexNet`: layers are found by their paper names (``conv1`` … ``fc8``).
    - ``"caffe"``: Caffe's reference AlexNet (``bvlc_alexnet``): N(0, 0.01) weights but N(0, 0.005) in
      fc6 and fc7, and biases of 0.1 where the paper has 1 — the change Caffe's users made after the
      paper's initialisation left the loss stuck at ln 1000 for a long time.
    - ``"normal"``: N(0, ``std``²) weights, ``std`` one number or one per layer name, biases 0 (the
      small CIFAR-10 networks: the paper's 0.01, or the ``initW`` of cuda-convnet's layer files).
    - ``"default"``: PyTorch's own initialisation of every layer (``reset_parameters``).

    Layers are drawn in the order of ``model.named_modules()``, weight then bias.
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"unknown initialisation {scheme!r}: choose one of {', '.join(INIT_SCHEMES)}")
    found = set()
    for name, module in model.named_modules():
        if not isinstance(module, (nn.Conv2d, nn.Linear, LocallyConnected2d)):
            continue
        layer = name.rsplit(".", 1)[-1]
        found.add(layer)
        if scheme == "default":
            module.reset_parameters()
            continue
        if scheme == "paper" and layer not in SPEC:
            raise ValueError(f"{name!r} is not a layer of the paper's network (conv1 … fc8): use scheme 'normal'")
        if scheme == "normal":
            weight_std, bias = (std[layer] if isinstance(std, dict) else std), 0.0
        elif scheme == "caffe":
            weight_std, bias = (0.005 if layer in ("fc6", "fc7") else INIT_STD), (0.1 if layer in BIAS_ONE_LAYERS else 0.0)
        else:
            weight_std, bias = std, (1.0 if layer in BIAS_ONE_LAYERS else 0.0)
        nn.init.normal_(module.weight, mean=0.0, std=weight_std)
        nn.init.constant_(module.bias, bias)
    if not found:
        raise ValueError("no conv, locally connected or fully-connected layers found to initialise")
    return model


class Column(nn.Module):
    """One GPU's half of the network (one column of Figure 2)."""

    def __init__(self, num_outputs: int, dropout: float = DROPOUT_P, lrn_convention: str = "paper",
                 dropout_convention: str = "inverted") -> None:
        super().__init__()
        drop = _dropout_layer(dropout_convention)
        half = {name: SPEC[name].out_channels // NUM_COLUMNS for name in ("conv1", "conv2", "conv3", "conv4", "conv5")}
        self.conv1, self.relu1 = _conv("conv1", IN_CHANNELS, NUM_COLUMNS), nn.ReLU()
        self.lrn1, self.pool1 = LocalResponseNorm(convention=lrn_convention), _pool()
        self.conv2, self.relu2 = _conv("conv2", half["conv1"], NUM_COLUMNS), nn.ReLU()  # own column only
        self.lrn2, self.pool2 = LocalResponseNorm(convention=lrn_convention), _pool()
        self.conv3, self.relu3 = _conv("conv3", 2 * half["conv2"], NUM_COLUMNS), nn.ReLU()  # both columns
        self.conv4, self.relu4 = _conv("conv4", half["conv3"], NUM_COLUMNS), nn.ReLU()  # own column only
        self.conv5, self.relu5 = _conv("conv5", half["conv4"], NUM_COLUMNS), nn.ReLU()  # own column only
        self.pool5 = _pool()
        fc6, fc7 = _fc_width("fc6") // NUM_COLUMNS, _fc_width("fc7") // NUM_COLUMNS
        self.fc6, self.relu6, self.drop6 = nn.Linear(FLAT_FEATURES, fc6), nn.ReLU(), drop(dropout)
        self.fc7, self.relu7, self.drop7 = nn.Linear(2 * fc6, fc7), nn.ReLU(), drop(dropout)
        self.fc8 = nn.Linear(2 * fc7, num_outputs)

    def lower(self, x: torch.Tensor) -> torch.Tensor:
        """conv1 to pool2: this column's own maps only."""
        x = self.pool1(self.lrn1(self.relu1(self.conv1(x))))
        return self.pool2(self.lrn2(self.relu2(self.conv2(x))))

    def upper(self, both: torch.Tensor) -> torch.Tensor:
        """conv3 (which sees both columns) to pool5, flattened."""
        x = self.relu3(self.conv3(both))
        x = self.relu5(self.conv5(self.relu4(self.conv4(x))))
        return torch.flatten(self.pool5(x), 1)

    def hidden6(self, both: torch.Tensor) -> torch.Tensor:
        return self.drop6(self.relu6(self.fc6(both)))

    def hidden7(self, both: torch.Tensor) -> torch.Tensor:
        return self.drop7(self.relu7(self.fc7(both)))


def _split_sizes(total: int, parts: int = NUM_COLUMNS) -> list[int]:
    """How ``total`` units are shared between the columns (the first gets the odd one)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


class TwoTowerAlexNet(nn.Module):
    """The same network as :class:`AlexNet`, written as the paper drew it: two columns.

    "The GPUs communicate only in certain layers. This means that, for example, the kernels of
    layer 3 take input from all kernel maps in layer 2. However, kernels in layer 4 take input only
    from those kernel maps in layer 3 which reside on the same GPU." (§3.2)

    Each column holds half of every layer's kernels (and half of fc8's outputs). Activations cross
    between the columns only into conv3, fc6, fc7 and fc8. ``devices`` places column 0 and column 1
    (for example ``("cuda:0", "cuda:1")``); the logits are returned on the first device.

    ``traffic`` counts the bytes that forward passes sent from one column to the other, by the layer
    they entered (``"logits"``: the second column's outputs, gathered on the first device) — what
    crosses between the GPUs when the columns sit on two (:meth:`reset_traffic` starts again).
    """

    def __init__(
        self,
        num_classes: int = NUM_CLASSES,
        input_size: int = INPUT_SIZE,
        dropout: float = DROPOUT_P,
        devices: Optional[Sequence[Device]] = None,
        init: bool = True,
        lrn_convention: str = "paper",
        dropout_convention: str = "inverted",
    ) -> None:
        super().__init__()
        self.input_size, self.num_classes = input_size, num_classes
        self.lrn_convention, self.dropout_convention = lrn_convention, dropout_convention
        self.input_padding = _input_padding(input_size)
        self.columns = nn.ModuleList(Column(n, dropout, lrn_convention, dropout_convention)
                                     for n in _split_sizes(num_classes))
        self.traffic: dict[str, int] = {}
        if init:
            init_(self, "paper")
        self.place(devices or ("cpu",) * NUM_COLUMNS)

    def place(self, devices: Sequence[Device]) -> "TwoTowerAlexNet":
        """Move column i to ``devices[i]``."""
        if len(devices) != NUM_COLUMNS:
            raise ValueError(f"give one device per column ({NUM_COLUMNS}), got {list(devices)}")
        self.devices = [torch.device(d) for d in devices]
        for column, device in zip(self.columns, self.devices):
            column.to(device)
        return self

    def reset_traffic(self) -> None:
        self.traffic = {}

    def _send(self, part: torch.Tensor, source: int, target: int, into: str) -> torch.Tensor:
        """Column ``source``'s activations, on column ``target``'s device, counted if they cross."""
        if source != target:
            self.traffic[into] = self.traffic.get(into, 0) + part.numel() * part.element_size()
        return part.to(self.devices[target])

    def _exchange(self, parts: list[torch.Tensor], into: str) -> list[torch.Tensor]:
        """Every column gets both columns' activations, concatenated along the channel axis."""
        return [torch.cat([self._send(p, i, j, into) for i, p in enumerate(parts)], dim=1)
                for j in range(len(self.devices))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_input(x, self.input_size, self.input_padding)
        cols, devs = self.columns, self.devices
        h = [col.lower(x.to(dev)) for col, dev in zip(cols, devs)]
        h = [col.upper(both) for col, both in zip(cols, self._exchange(h, "conv3"))]
        h = [col.hidden6(both) for col, both in zip(cols, self._exchange(h, "fc6"))]
        h = [col.hidden7(both) for col, both in zip(cols, self._exchange(h, "fc7"))]
        logits = [col.fc8(both) for col, both in zip(cols, self._exchange(h, "fc8"))]
        return torch.cat([self._send(z, i, 0, "logits") for i, z in enumerate(logits)], dim=1)

    # --- exact conversion to and from AlexNet ----------------------------------------------------
    # Grouped convolutions keep group g's kernels in rows [g·C/2, (g+1)·C/2) of the weight, and
    # group g reads input channels [g·D/2, (g+1)·D/2): exactly column g's kernels and maps. Layers
    # that see both columns read the maps in the order column 0, column 1, which is also AlexNet's
    # channel order (and, after flattening, its feature order). So every conversion is a row split.

    def _column_rows(self, name: str, total: int) -> list[slice]:
        sizes = _split_sizes(total) if name == "fc8" else [total // NUM_COLUMNS] * NUM_COLUMNS
        starts = [sum(sizes[:i]) for i in range(NUM_COLUMNS)]
        return [slice(s, s + n) for s, n in zip(starts, sizes)]

    @classmethod
    def from_alexnet(cls, model: AlexNet, devices: Optional[Sequence[Device]] = None) -> "TwoTowerAlexNet":
        """A two-column copy of ``model`` with the same weights (the same function, exactly)."""
        tower = cls(model.num_classes, model.input_size, model.drop6.p, init=False, lrn_convention=model.lrn_convention,
                    dropout_convention=model.dropout_convention).to(model.conv1.weight.dtype)
        with torch.no_grad():
            for name in SPEC:
                if name.startswith(("conv", "fc")):
                    full = getattr(model, name)
                    for column, rows in zip(tower.columns, tower._column_rows(name, full.weight.shape[0])):
                        getattr(column, name).weight.copy_(full.weight[rows])
                        getattr(column, name).bias.copy_(full.bias[rows])
        return tower.place(devices or [model.conv1.weight.device] * NUM_COLUMNS)

    def to_alexnet(self) -> AlexNet:
        """The single-module :class:`AlexNet` with this network's weights, on the first device."""
        model = AlexNet(self.num_classes, self.input_size, self.columns[0].drop6.p, init=False,
                        lrn_convention=self.lrn_convention, dropout_convention=self.dropout_convention)
        model = model.to(self.columns[0].conv1.weight.dtype)
        with torch.no_grad():
            for name in SPEC:
                if name.startswith(("conv", "fc")):
                    parts = [getattr(column, name) for column in self.columns]
                    getattr(model, name).weight.copy_(torch.cat([p.weight.cpu() for p in parts]))
                    getattr(model, name).bias.copy_(torch.cat([p.bias.cpu() for p in parts]))
        return model.to(self.devices[0])


def layer_table(model: nn.Module, input_size: Optional[int] = None) -> list[LayerShape]:
    """Measure every named layer of an :class:`AlexNet` with one forward pass (forward hooks).

    Returns the same rows as :func:`alexnet_edu.shapes.layer_shapes` computes from the formula —
    output shape, parameters, multiply-accumulates per image, neurons — but read off the real
    modules, so the two can be compared.
    """
    input_size = input_size or getattr(model, "input_size", INPUT_SIZE)
    rows: list[LayerShape] = []

    def record(name: str, module: nn.Module):
        def hook(mod, inputs, output):
            in_shape, out_shape = tuple(inputs[0].shape[1:]), tuple(output.shape[1:])
            params = sum(p.numel() for p in mod.parameters())
            if isinstance(mod, nn.Conv2d):
                depth = mod.in_channels // mod.groups
                macs, kind = math.prod(out_shape) * depth * math.prod(mod.kernel_size), "conv"
                hyper = describe_conv(mod.out_channels, mod.kernel_size[0], depth, mod.stride[0], mod.padding[0], mod.groups)
            elif isinstance(mod, nn.Linear):
                macs, kind, hyper = mod.in_features * mod.out_features, "fc", describe_fc(mod.in_features, mod.out_features)
            elif isinstance(mod, LocalResponseNorm):
                macs, kind, hyper = 0, "LRN", describe_lrn(mod.size)
            else:
                macs, kind, hyper = 0, "max-pool", describe_pool(mod.kernel_size, mod.stride)
            rows.append(LayerShape(name, kind, in_shape, out_shape, params, hyper, macs))
        return hook

    handles = [getattr(model, name).register_forward_hook(record(name, getattr(model, name))) for name in SPEC]
    was_training = model.training
    try:
        model.eval()
        device = next(model.parameters()).device
        with torch.no_grad():
            model(torch.zeros(1, IN_CHANNELS, input_size, input_size, device=device))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return rows


# --- the small CIFAR-10 networks of the experiments (chapters 22–24, 31, 41, 45) -------------------

CIFAR_SIDE = 32
CONV_LOCAL_CROP = 24  # cuda-convnet's cropped CIFAR provider: 32 − 2 × crop-border 4 (convnet.py, line 180)


@dataclass(frozen=True)
class SmallNetConfig:
    """The four-layer network: conv 32@5×5 → pool → conv 32@5×5 → pool → conv 64@5×5 → pool → fc 10;
    or, with ``network="conv-local"``, the paper's CIFAR-10 network of cuda-convnet's example files
    (:class:`ConvLocalNet`, on 24×24 crops)."""

    activation: str = "relu"  # "relu" or "tanh"
    lrn: bool = False  # the paper's LRN (k=2, n=5, α=1e-4, β=0.75) after the first two nonlinearities
    pool_kernel: int = POOL_KERNEL  # z
    pool_stride: int = POOL_STRIDE  # s
    hidden: int = 0  # > 0: two hidden fully connected layers of this width before the classifier, as fc6/fc7
    dropout: float = 0.0  # dropout on the hidden layers' outputs (needs hidden > 0), as on fc6 and fc7
    crop: int = 0  # > 0: train on random crop×crop patches and their reflections, test on the centre patch
    network: str = "small"  # "small" (SmallConvNet) or "conv-local" (ConvLocalNet)
    # how the small network's LRN reads α (layers.LRN_CONVENTIONS): "paper" puts it on the plain sum of
    # squares, "cuda-convnet2" divides it by n first, as Krizhevsky's ImageNet files do. New fields go
    # last, as fields go by position.
    lrn_convention: str = "paper"

    def __post_init__(self) -> None:
        if self.network not in ("small", "conv-local"):
            raise ValueError(f"network must be 'small' or 'conv-local', got {self.network!r}")
        if self.network == "conv-local" and (self.activation, self.pool_kernel, self.pool_stride, self.hidden,
                                             self.crop, self.lrn_convention) != (
                                                 "relu", POOL_KERNEL, POOL_STRIDE, 0, CONV_LOCAL_CROP, "paper"):
            raise ValueError(f"the conv-local network is fixed by its files: ReLU, 3/2 pooling, no hidden layers, "
                             f"crop={CONV_LOCAL_CROP}, cuda-convnet's LRN (lrn_convention left at its default); "
                             f"only lrn can change")
        if self.activation not in ("relu", "tanh"):
            raise ValueError(f"activation must be 'relu' or 'tanh', got {self.activation!r}")
        if self.lrn_convention not in LRN_CONVENTIONS:
            raise ValueError(f"unknown LRN convention {self.lrn_convention!r}: choose one of "
                             f"{', '.join(LRN_CONVENTIONS)}")
        if self.dropout and not self.hidden:
            raise ValueError("dropout acts on the hidden fully connected layers: set hidden > 0 as well")
        if not 0 <= self.crop <= CIFAR_SIDE:
            raise ValueError(f"crop must be between 1 and {CIFAR_SIDE} (0: no cropping), got {self.crop}")


class SmallConvNet(nn.Module):
    """Three conv layers and a classifier on 32×32 images; max-pooling in ceil mode; the paper's
    N(0, 0.01) initialisation; optional LRN after the first two nonlinearities, as in AlexNet.

    Ceil mode keeps the maps at 16, 8 and 4 pixels for both z=3, s=2 and z=s=2, so the two pooling
    schemes are compared on networks with the same number of parameters.
    """

    def __init__(self, config: SmallNetConfig = SmallNetConfig(), num_classes: int = 10) -> None:
        super().__init__()
        self.config = config
        act = nn.ReLU if config.activation == "relu" else nn.Tanh
        pool = lambda: nn.MaxPool2d(config.pool_kernel, config.pool_stride, ceil_mode=True)  # noqa: E731
        norm = lambda: LocalResponseNorm(convention=config.lrn_convention) if config.lrn else nn.Identity()  # noqa: E731
        # the 2012 network's order: conv → nonlinearity → LRN → pool (§3.5)
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2), act(), norm(), pool(),
            nn.Conv2d(32, 32, 5, padding=2), act(), norm(), pool(),
            nn.Conv2d(32, 64, 5, padding=2), act(), pool(),
        )
        with torch.no_grad():
            side = config.crop or CIFAR_SIDE
            flat = self.features(torch.zeros(1, 3, side, side)).numel()
        if config.hidden:  # fc6 → ReLU → dropout → fc7 → ReLU → dropout → fc8, as in the paper's network
            self.classifier = nn.Sequential(
                nn.Linear(flat, config.hidden), act(), nn.Dropout(config.dropout),
                nn.Linear(config.hidden, config.hidden), act(), nn.Dropout(config.dropout),
                nn.Linear(config.hidden, num_classes),
            )
        else:
            self.classifier = nn.Linear(flat, num_classes)
        # §5: "We initialized the weights in each layer from a zero-mean Gaussian distribution with
        # standard deviation 0.01"; biases 0 (the paper's biases of 1 are for AlexNet's own layers).
        init_(self, "normal", INIT_STD)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.features(x), 1))


class ConvLocalNet(nn.Module):
    """The paper's CIFAR-10 network: "a four-layer CNN achieved a 13% test error rate without
    normalization and 11% with normalization" (§3.3), which its footnote says "is specified precisely
    by the code and parameter files" of cuda-convnet.

    Built from ``example-layers/layers-conv-local-11pct.cfg`` (the 2012 cuda-convnet, as kept at
    dnouri/cuda-convnet 6627f67): conv1 64@5×5 pad 2 → ReLU → max-pool 3/2 → rnorm1 → conv2 64@5×5
    pad 2 → ReLU → rnorm2 → max-pool 3/2 → local3 64@3×3 pad 1 → ReLU → local4 32@3×3 pad 1 → ReLU →
    fc10, on 24×24 crops. The norm layers are ``cmrnorm`` over 9 maps with ``scale=0.001``,
    ``pow=0.75`` (``layer-params-conv-local-11pct.cfg``), which cuda-convnet computes as
    a / (1 + (0.001/9) Σ a²)^0.75: ``LocalResponseNorm(9, 1e-3, 0.75, 1.0, convention="cuda-convnet")``.
    Note the file's order: rnorm1 *after* pool1, rnorm2 *before* pool2. ``lrn=False`` removes both
    norm layers and keeps everything else (the 13% file also narrows local3 to 32 maps; this network
    does not, so that the two differ in the norm layers only). Weights start as the files' ``initW``
    say (standard deviations 1e-4, 0.01, 0.04, 0.04, 0.01), biases 0; local layers have one bias per
    map and position, as in cuda-convnet.
    """

    def __init__(self, lrn: bool = True, num_classes: int = 10) -> None:
        super().__init__()
        self.lrn = lrn
        norm = (lambda: LocalResponseNorm(9, 1e-3, 0.75, 1.0, convention="cuda-convnet")) if lrn else nn.Identity
        pool = lambda: nn.MaxPool2d(POOL_KERNEL, POOL_STRIDE, ceil_mode=True)  # noqa: E731 (cuda-convnet rounds up)
        self.conv1, self.pool1, self.rnorm1 = nn.Conv2d(3, 64, 5, padding=2), pool(), norm()
        self.conv2, self.rnorm2, self.pool2 = nn.Conv2d(64, 64, 5, padding=2), norm(), pool()
        side = math.ceil((math.ceil((CONV_LOCAL_CROP - POOL_KERNEL) / POOL_STRIDE) + 1 - POOL_KERNEL) / POOL_STRIDE) + 1
        self.local3 = LocallyConnected2d(64, 64, side, 3, padding=1)
        self.local4 = LocallyConnected2d(64, 32, side, 3, padding=1)
        self.fc10 = nn.Linear(32 * side * side, num_classes)
        init_(self, "normal", {"conv1": 1e-4, "conv2": 0.01, "local3": 0.04, "local4": 0.04, "fc10": 0.01})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.rnorm1(self.pool1(F.relu(self.conv1(x))))
        x = self.pool2(self.rnorm2(F.relu(self.conv2(x))))
        x = F.relu(self.local4(F.relu(self.local3(x))))
        return self.fc10(torch.flatten(x, 1))


def build_small(config: SmallNetConfig, num_classes: int = 10) -> nn.Module:
    """The network a :class:`SmallNetConfig` names."""
    return ConvLocalNet(config.lrn, num_classes) if config.network == "conv-local" else SmallConvNet(config, num_classes)


# --- looking inside a network ----------------------------------------------------------------------


def conv1_weight(source: Union[nn.Module, dict[str, torch.Tensor]]) -> torch.Tensor:
    """conv1's kernels (96, 3, 11, 11) in the paper's order — column 1's 48, then column 2's — from an
    :class:`AlexNet`, a :class:`TwoTowerAlexNet`, or a state dict of either."""
    state = source.state_dict() if isinstance(source, nn.Module) else source
    if "conv1.weight" in state:
        return state["conv1.weight"].detach().cpu()
    parts = [state[f"columns.{i}.conv1.weight"] for i in range(NUM_COLUMNS) if f"columns.{i}.conv1.weight" in state]
    if len(parts) != NUM_COLUMNS:
        raise ValueError("no conv1 weights found: give an AlexNet, a TwoTowerAlexNet, or one of their state dicts")
    return torch.cat([p.detach().cpu() for p in parts])


def layer_activations(model: nn.Module, images: torch.Tensor, names: Sequence[str]) -> dict[str, torch.Tensor]:
    """The outputs of the named submodules (``"conv1"``, ``"relu1"``, ``"lrn1"``, ``"fc7"`` …) for
    ``images``, in eval mode and without gradients, on the CPU."""
    modules = dict(model.named_modules())
    missing = [name for name in names if name not in modules]
    if missing:
        raise ValueError(f"the model has no layer {missing}; its layers are "
                         f"{', '.join(n for n in modules if n and '.' not in n)}")
    found: dict[str, torch.Tensor] = {}
    hooks = [modules[name].register_forward_hook(
        lambda mod, inputs, out, name=name: found.__setitem__(name, out.detach().cpu())) for name in names]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(images)
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return found


def relu_activity(model: nn.Module, images: torch.Tensor) -> dict[str, float]:
    """The fraction of each ReLU's outputs that are positive on ``images``, by the ReLU's name.

    A layer at 0 is *dead*: it passes no signal up and no gradient down, so nothing below it can
    learn any more, and the network's output no longer depends on the image (loss ln C)."""
    relus = [name for name, module in model.named_modules() if isinstance(module, nn.ReLU)]
    return {name: (out > 0).float().mean().item() for name, out in layer_activations(model, images, relus).items()}
