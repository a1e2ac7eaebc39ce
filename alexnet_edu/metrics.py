"""ILSVRC's two error rates, and the paper's ten-patch test-time averaging.

§2: "On ImageNet, it is customary to report two error rates: top-1 and top-5, where the top-5 error
rate is the fraction of test images for which the correct label is not among the five labels
considered most probable by the model."

§4.1: "At test time, the network makes a prediction by extracting five 224 × 224 patches (the four
corner patches and the center patch) as well as their horizontal reflections (hence ten patches in
all), and averaging the predictions made by the network's softmax layer on the ten patches."
"""

from __future__ import annotations

from typing import Iterable, Optional

import torch
from torch import nn
from tqdm.auto import tqdm

from .paper import TEST_PATCHES, TOP_K


def _check(scores: torch.Tensor, targets: torch.Tensor, k: int) -> None:
    if scores.ndim != 2:
        raise ValueError(f"scores must be (N, classes), got shape {tuple(scores.shape)}")
    if targets.shape != scores.shape[:1]:
        raise ValueError(f"targets must be (N,) = ({scores.shape[0]},) class indices, got shape {tuple(targets.shape)}")
    if targets.is_floating_point():
        raise TypeError("targets must be integer class indices, not floats (one-hot targets: use .argmax(1))")
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"k must be between 1 and the number of classes ({scores.shape[1]}), got {k}")
    if len(targets) and (targets.min() < 0 or targets.max() >= scores.shape[1]):
        raise ValueError(f"targets must lie in [0, {scores.shape[1] - 1}], got {targets.min()}..{targets.max()}")


def topk_correct(scores: torch.Tensor, targets: torch.Tensor, k: int) -> torch.Tensor:
    """A boolean (N,): whether each target is among the ``k`` highest scores of its row.

    ``scores`` may be logits or probabilities (softmax keeps the order). A tie at the k-th place
    is broken as ``torch.topk`` breaks it.
    """
    _check(scores, targets, k)
    top = scores.topk(k, dim=1).indices  # (N, k)
    return (top == targets[:, None]).any(dim=1)


def topk_error(scores: torch.Tensor, targets: torch.Tensor, k: int = 1) -> float:
    """The fraction of rows whose target is not among the ``k`` highest scores (top-1: k=1, top-5: k=5)."""
    if len(targets) == 0:
        raise ValueError("no examples: an error rate of zero images is undefined")
    return 1.0 - int(topk_correct(scores, targets, k).sum()) / len(targets)


def ten_crop_predict(model: nn.Module, patches: torch.Tensor) -> torch.Tensor:
    """The paper's test-time prediction: the mean of the softmax over each image's ten patches.

    ``patches`` is (N, 10, 3, s, s) (from :func:`alexnet_edu.transforms.ten_crop`); returns
    probabilities (N, classes). Averaging probabilities, not logits, is what §4.1 says.
    """
    if patches.ndim != 5:
        raise ValueError(f"patches must be (N, {TEST_PATCHES}, 3, s, s), got shape {tuple(patches.shape)}")
    n, p = patches.shape[:2]
    probs = model(patches.flatten(0, 1)).softmax(dim=1)
    return probs.view(n, p, -1).mean(dim=1)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    ks: tuple[int, ...] = (1, TOP_K),
    device: Optional[torch.device | str] = None,
    progress: bool = True,
) -> dict[str, float]:
    """Top-k errors of ``model`` over (images, targets) batches, in eval mode (dropout off).

    Images (N, 3, s, s) are scored with softmax; patches (N, 10, 3, s, s) with
    :func:`ten_crop_predict`. Returns ``{"top1": ..., "top5": ..., "images": N}``. The model's
    train/eval mode is restored afterwards.
    """
    was_training = model.training
    model.eval()
    device = device if device is not None else next(model.parameters()).device
    correct: dict[int, int] = {k: 0 for k in ks}
    seen = 0
    try:
        for images, targets in tqdm(batches, desc="evaluating", disable=not progress, leave=False):
            images, targets = images.to(device), targets.to(device)
            probs = ten_crop_predict(model, images) if images.ndim == 5 else model(images).softmax(dim=1)
            for k in ks:
                correct[k] += int(topk_correct(probs, targets, k).sum())
            seen += len(targets)
    finally:
        model.train(was_training)
    if seen == 0:
        raise ValueError("no batches to evaluate")
    return {**{f"top{k}": 1.0 - correct[k] / seen for k in ks}, "images": seen}
