"""Local response normalisation, as the paper writes it (§3.3), and dropout as the paper runs it (§4.2).

"Denoting by a^i_{x,y} the activity of a neuron computed by applying kernel i at position (x, y)
and then applying the ReLU nonlinearity, the response-normalized activity b^i_{x,y} is given by

    b^i_{x,y} = a^i_{x,y} / ( k + α Σ_{j = max(0, i−n/2)}^{min(N−1, i+n/2)} (a^j_{x,y})² )^β

where the sum runs over n "adjacent" kernel maps at the same spatial position, and N is the total
number of kernels in the layer. [...] we used k = 2, n = 5, α = 10^-4, and β = 0.75."

Two readings of these numbers. Taken literally, α multiplies the plain sum of squares; that is
this package's default (``convention="paper"``), the layer ``torch.nn.LocalResponseNorm(5,
alpha=5e-4, beta=0.75, k=2.0)``. Krizhevsky's own code reads the same four numbers differently: his
cuda-convnet2 ImageNet layer files write ``size=5``, ``scale=0.0001``, ``pow=0.75``, ``minDiv=2``,
and its ``layer.py`` divides ``scale`` by ``size`` before the kernel uses it, as Caffe's
``bvlc_alexnet`` (``alpha: 0.0001``, ``local_size: 5``) and PyTorch do. In that reading
(``convention="cuda-convnet2"``) the network computes k + (α/n) Σ a², a denominator five times
closer to k. The likeliest story is that the paper printed the configuration's values into a
formula that omits the /n; chapter 23 shows both, with the files and lines. :func:`convert_lrn`
translates α between the conventions of :data:`LRN_CONVENTIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .paper import DROPOUT_P, LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE


def _window_sum(t: torch.Tensor, before: int, after: int) -> torch.Tensor:
    """out[:, i] = Σ t[:, j] for j = i − before … i + after, clipped at the channel edges."""
    channels = t.shape[1]
    pad_shape = list(t.shape)
    pad_shape[1] = before
    left = t.new_zeros(pad_shape)
    pad_shape[1] = after
    padded = torch.cat([left, t, t.new_zeros(pad_shape)], dim=1)
    out = padded[:, 0:channels].clone()
    for offset in range(1, before + after + 1):  # n shifted adds: O(n) and no pooling kernel
        out += padded[:, offset:offset + channels]
    return out


class _LRNFunction(torch.autograd.Function):
    """Forward and a hand-written backward, so autograd keeps three tensors, not a dozen.

    With d_i = k + α Σ_{j∈W(i)} a_j² and b_i = a_i d_i^(−β):
        ∂L/∂a_j = g_j d_j^(−β) − 2αβ a_j Σ_{i: j∈W(i)} g_i a_i d_i^(−β−1),
    and the inner sum runs over the mirrored window, so it is another window sum.
    """

    @staticmethod
    def forward(ctx, a: torch.Tensor, size: int, alpha: float, beta: float, k: float) -> torch.Tensor:
        before, after = size // 2, (size - 1) // 2
        d = _window_sum(a * a, before, after).mul_(alpha).add_(k)
        scale = d.pow(-beta)
        ctx.save_for_backward(a, d, scale)
        ctx.hyper = (before, after, alpha, beta)
        return a * scale

    @staticmethod
    def backward(ctx, g: torch.Tensor):
        a, d, scale = ctx.saved_tensors
        before, after, alpha, beta = ctx.hyper
        inner = _window_sum(g * a * scale / d, after, before)  # the mirrored window
        grad = g * scale - (2 * alpha * beta) * a * inner
        return grad, None, None, None, None


class LocalResponseNorm(nn.Module):
    """The paper's local response normalisation: b_i = a_i / (k + α Σ_j a_j²)^β.

    The sum runs over the ``size`` channels centred on i (for even sizes, as PyTorch: size//2
    before and (size−1)//2 after), clipped at the first and last channel. ``convention`` says how to
    read ``alpha`` (one of :data:`LRN_CONVENTIONS`): ``"paper"`` (the default) multiplies the plain
    sum by α, as §3.3 writes it; ``"cuda-convnet2"``, ``"caffe"`` and ``"pytorch"`` multiply it by
    α / ``size``, as Krizhevsky's released code, Caffe's reference AlexNet and PyTorch do with the
    same written numbers. ``k`` is always given explicitly. With ``groups=2`` the channels are
    normalised in two independent halves, as on the paper's two GPUs, where each GPU normalised only
    the kernel maps it held.

    Input: (batch, channels, ...) with channels divisible by ``groups``.
    """

    def __init__(
        self,
        size: int = LRN_SIZE,
        alpha: float = LRN_ALPHA,
        beta: float = LRN_BETA,
        k: float = LRN_K,
        groups: int = 1,
        convention: str = "paper",
    ) -> None:
        super().__init__()
        if size < 1 or groups < 1:
            raise ValueError(f"size and groups must be >= 1, got size={size}, groups={groups}")
        if k <= 0 and beta != 0:
            raise ValueError(f"k must be > 0 so that the denominator cannot be 0, got k={k}")
        if convention not in LRN_CONVENTIONS:
            raise ValueError(f"unknown LRN convention {convention!r}: choose one of {', '.join(LRN_CONVENTIONS)}")
        self.size, self.alpha, self.beta, self.k, self.groups = size, alpha, beta, k, groups
        self.convention = convention
        # the factor on the plain sum of squares, whatever the convention wrote
        self.scale = convert_lrn(alpha, size, convention, "paper")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2:
            raise ValueError(f"LocalResponseNorm expects (batch, channels, ...), got shape {tuple(x.shape)}")
        n, c = x.shape[:2]
        if c % self.groups:
            raise ValueError(f"{c} channels cannot be split into {self.groups} groups")
        grouped = x.reshape(n * self.groups, c // self.groups, *x.shape[2:])
        out = _LRNFunction.apply(grouped, self.size, self.scale, self.beta, self.k)
        return out.reshape(x.shape)

    def extra_repr(self) -> str:
        groups = f", groups={self.groups}" if self.groups != 1 else ""
        convention = f", convention={self.convention!r}" if self.convention != "paper" else ""
        return f"size={self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}{groups}{convention}"


def local_response_norm_loop(a: torch.Tensor, size: int, alpha: float, beta: float, k: float) -> torch.Tensor:
    """The formula of §3.3 as plain loops over channels: slow, obviously right, for checking."""
    channels = a.shape[1]
    out = torch.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - size // 2), min(channels - 1, i + (size - 1) // 2)
        total = sum(a[:, j] ** 2 for j in range(lo, hi + 1))
        out[:, i] = a[:, i] / (k + alpha * total) ** beta
    return out


@dataclass(frozen=True)
class LRNConvention:
    """How a library writes the denominator: (k + scale · Σ a²)^β with scale = α or α/n, and where
    its code says so."""

    name: str
    alpha_divided_by_size: bool
    default_k: float
    source: str
    evidence: str = ""


# The code's lines were read at these commits: akrizhevsky/cuda-convnet2 3238bf0 (2015), the 2012
# cuda-convnet as kept in dnouri/cuda-convnet 6627f67 (Krizhevsky's last commit, July 2012), and
# BVLC/caffe 9b89154.
LRN_CONVENTIONS: dict[str, LRNConvention] = {
    "paper": LRNConvention("paper", False, LRN_K, "Krizhevsky et al. 2012, §3.3, as printed: k + α Σ a²",
                           "§3.3: k = 2, n = 5, α = 10^-4, β = 0.75"),
    "cuda-convnet": LRNConvention(
        "cuda-convnet", True, 1.0, "Krizhevsky's cuda-convnet (2012 release): 1 + (α/n) Σ a², the 1 fixed in the kernel",
        "layer.py:1036 scale /= size; src/cudaconv2/conv_util.cu:1084 prod = 1 + addScale * prod"),
    "cuda-convnet2": LRNConvention(
        "cuda-convnet2", True, 1.0, "Krizhevsky's cuda-convnet2 (2014): minDiv + (α/n) Σ a², minDiv defaults to 1 "
        "and is 2 in every ImageNet layer file",
        "layer.py:1331 scale /= size; layer.py:1333 minDiv default 1.0; cudaconv3/src/conv_util.cu:1206 prod = minDiv "
        "+ addScale * prod; layers/layer-params-imagenet-*.cfg scale=0.0001 pow=0.75 minDiv=2, "
        "layers/layers-imagenet-*.cfg size=5"),
    "caffe": LRNConvention(
        "caffe", True, 1.0, "Caffe's LRN layer (ACROSS_CHANNELS): k + (α/n) Σ a², k defaults to 1",
        "src/caffe/layers/lrn_layer.cpp:120 alpha_over_size = alpha_ / size_; caffe.proto:888 k default 1; "
        "models/bvlc_alexnet/train_val.prototxt:79-81 local_size 5, alpha 0.0001, beta 0.75, no k"),
    "pytorch": LRNConvention("pytorch", True, 1.0, "torch.nn.LocalResponseNorm: k + (α/n) Σ a², k defaults to 1",
                             "torch.nn.functional.local_response_norm: div.mul(alpha).add(k) after an average "
                             "over the size channels"),
}


def convert_lrn(alpha: float, size: int, source: str, target: str) -> float:
    """The α to write in convention ``target`` for the layer that ``source`` writes with ``alpha``.

    The additive constant k and β mean the same in every convention; set k explicitly where a
    library lets you (cuda-convnet2's ``minDiv`` defaults to 1 and its ImageNet files set it to 2;
    the 2012 cuda-convnet fixes it at 1; Caffe's prototxt for AlexNet leaves it at its default 1).

    >>> convert_lrn(1e-4, 5, "paper", "pytorch")  # the paper's layer in PyTorch
    0.0005
    """
    for name in (source, target):
        if name not in LRN_CONVENTIONS:
            raise ValueError(f"unknown LRN convention {name!r}: choose one of {', '.join(LRN_CONVENTIONS)}")
    scale = alpha / size if LRN_CONVENTIONS[source].alpha_divided_by_size else alpha
    return scale * size if LRN_CONVENTIONS[target].alpha_divided_by_size else scale


class PaperDropout(nn.Module):
    """Dropout as §4.2 describes it: "setting to zero the output of each hidden neuron with
    probability 0.5" while training, and at test time "we use all the neurons but multiply their
    outputs by 0.5".

    ``torch.nn.Dropout`` is *inverted* dropout: it multiplies the kept outputs by 1/(1 − p) while
    training and leaves them alone at test time. With either, a neuron's expected output while
    training equals its output at test time; the two differ only in where the factor 1 − p sits.
    """

    def __init__(self, p: float = DROPOUT_P) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            keep = torch.rand_like(x) >= self.p  # each neuron dropped with probability p
            return x * keep
        return x * (1.0 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class LocallyConnected2d(nn.Module):
    """A convolution whose kernels are not shared: every output position has its own weights.

    The paper's CIFAR-10 network, which its §3.3 footnote says "is specified precisely by the code
    and parameter files" of cuda-convnet, ends with two such layers (``type=local`` in
    ``example-layers/layers-conv-local-11pct.cfg``: 3×3 filters, padding 1, stride 1). For input
    (N, C, H, W) the layer cuts every ``kernel_size``×``kernel_size`` patch (zero padding
    ``padding``, step ``stride``), and output map o at position p is the patch at p times
    ``weight[p, o]`` plus ``bias[o, p]``: one (C·k·k → out_channels) matrix per position. Like
    cuda-convnet's local layers, each output map has one bias per position.
    """

    def __init__(self, in_channels: int, out_channels: int, in_size: int, kernel_size: int, padding: int = 0,
                 stride: int = 1) -> None:
        super().__init__()
        if min(in_channels, out_channels, in_size, kernel_size, stride) < 1 or padding < 0:
            raise ValueError("channels, in_size, kernel_size and stride must be >= 1 and padding >= 0")
        self.out_size = (in_size + 2 * padding - kernel_size) // stride + 1
        if self.out_size < 1:
            raise ValueError(f"a {kernel_size}×{kernel_size} kernel does not fit a {in_size}×{in_size} input "
                             f"with padding {padding}")
        self.in_channels, self.out_channels, self.in_size = in_channels, out_channels, in_size
        self.kernel_size, self.padding, self.stride = kernel_size, padding, stride
        positions, fan_in = self.out_size ** 2, in_channels * kernel_size ** 2
        self.weight = nn.Parameter(torch.empty(positions, fan_in, out_channels))
        self.bias = nn.Parameter(torch.zeros(out_channels, self.out_size, self.out_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """The layer's own default, as torch's layers have theirs: weights N(0, 1/fan-in), biases 0
        (:func:`alexnet_edu.model.init_` initialises it as a network's scheme says)."""
        nn.init.normal_(self.weight, std=self.weight.shape[1] ** -0.5)
        nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[2:] != (self.in_size, self.in_size):
            raise ValueError(f"LocallyConnected2d expects (batch, {self.in_channels}, {self.in_size}, {self.in_size}), "
                             f"got {tuple(x.shape)}: its weights belong to positions of that size")
        patches = F.unfold(x, self.kernel_size, padding=self.padding, stride=self.stride)  # (N, C·k·k, positions)
        # one matrix product per position: (positions, N, C·k·k) @ (positions, C·k·k, out)
        out = torch.bmm(patches.permute(2, 0, 1), self.weight)  # (positions, N, out)
        out = out.permute(1, 2, 0).reshape(x.shape[0], self.out_channels, self.out_size, self.out_size)
        return out + self.bias

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, in_size={self.in_size}, kernel_size={self.kernel_size}, "
                f"padding={self.padding}, stride={self.stride}")
