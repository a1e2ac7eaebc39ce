"""Forward + backward time of alexnet_edu's LocalResponseNorm against torch.nn.LocalResponseNorm.

    python benchmarks/lrn_speed.py [--batch 32] [--repeats 10] [--threads N] [--device cpu]

Both layers compute the paper's LRN (k = 2, n = 5, α = 1e-4, β = 0.75; PyTorch writes α·n = 5e-4)
on the activations of AlexNet's lrn1 (96×55×55) and lrn2 (256×27×27). Each time is the median of
``--repeats`` runs after a warm-up. This is a benchmark, not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
from torch import nn

from alexnet_edu.layers import LocalResponseNorm, convert_lrn
from alexnet_edu.paper import LRN_ALPHA, LRN_BETA, LRN_K, LRN_SIZE

SHAPES = {"lrn1": (96, 55, 55), "lrn2": (256, 27, 27)}


def time_forward_backward(layer: nn.Module, x: torch.Tensor, repeats: int) -> float:
    """Median seconds for one forward and backward pass."""
    x = x.clone().requires_grad_()
    grad = torch.ones_like(x)
    times = []
    for i in range(repeats + 1):
        x.grad = None
        if x.is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        layer(x).backward(grad)
        if x.is_cuda:
            torch.cuda.synchronize()
        if i:  # the first run is a warm-up
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ours = LocalResponseNorm()
    theirs = nn.LocalResponseNorm(LRN_SIZE, alpha=convert_lrn(LRN_ALPHA, LRN_SIZE, "paper", "pytorch"), beta=LRN_BETA, k=LRN_K)
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, {args.threads} threads, "
          f"device {args.device}, batch {args.batch}, median of {args.repeats}")
    for name, shape in SHAPES.items():
        x = torch.relu(torch.randn(args.batch, *shape, device=args.device) * 40)
        assert torch.allclose(ours(x), theirs(x), rtol=1e-5, atol=1e-6), "the two layers disagree"
        t_ours, t_theirs = time_forward_backward(ours, x, args.repeats), time_forward_backward(theirs, x, args.repeats)
        print(f"{name} {'×'.join(map(str, shape))}: alexnet_edu {t_ours * 1e3:7.1f} ms, "
              f"torch.nn {t_theirs * 1e3:7.1f} ms, speed-up ×{t_theirs / t_ours:.2f}")


if __name__ == "__main__":
    main()
