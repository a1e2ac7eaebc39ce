"""ILSVRC's two error rates, and the paper's ten-patch test-time averaging.

§2: "On ImageNet, it is customary to report two error rates: top-1 and top-5, where the top-5 error
rate is the fraction of test images for which the correct label is not among the five labels
considered most probable by the model."

§4.1: "At test time, the network makes a prediction by extracting five 224 × 224 patches (the four
corner patches and the center patch) as well as their horizontal reflections (hence ten patches in
all), and averaging the predictions made by the network's softmax layer on the ten patches."
"""

from __future__ import annotations

from typing import Any, Iterable, Optional, Sequence

import torch
import torch.nn.functional as F
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


def _score(out: torch.Tensor, shape: torch.Size, targets: torch.Tensor):
    """A batch's scores (its logits, or for views the softmax averaged over them), its summed loss, and
    the views' softmax (``None`` for one view). Logits of mixed precision are scored in float32."""
    out = out.to(torch.promote_types(out.dtype, torch.float32))
    if len(shape) == 4:
        return out, F.cross_entropy(out, targets, reduction="sum").item(), None
    views = out.softmax(dim=1).view(*shape[:2], -1)
    scores = views.mean(dim=1)
    return scores, F.nll_loss(scores.clamp_min(torch.finfo(scores.dtype).tiny).log(), targets, reduction="sum").item(), views


class NothingToEvaluate(ValueError):
    """:func:`evaluate` was given no image at all."""


@torch.no_grad()
def evaluate(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    *,
    ks: tuple[int, ...] = (1, TOP_K),
    device: Optional[torch.device | str] = None,
    amp: bool = False,
    keep: bool = False,
    layers: Sequence[str] = (),
    dist: Any = None,
    progress: bool = True,
    desc: str = "evaluating",
) -> dict[str, Any]:
    """Top-k errors and loss of ``model`` over (images, targets) batches, in eval mode (dropout off):
    the one inference loop of the package (training's validation, the records, the experiments).

    Images (N, 3, s, s) are one view each: scored by their logits, the loss is their cross-entropy.
    Patches (N, V, 3, s, s) are V views of each image, scored by the softmax averaged over the views
    (:func:`ten_crop_predict`, §4.1), the loss is that average's. Inputs go to ``device`` (default:
    where the weights are) in the weights' dtype (a float64 network gets float64 inputs); ``amp``
    runs the forward pass in mixed precision. A top-k with k above the number of classes counts
    every image as right.

    Returns ``{"top1": …, "top5": …, "loss": …, "images": N}``; errors are exact fractions,
    (N − right) / N. With ``keep``, also ``"probabilities"`` (N, C), ``"targets"`` (N,) and, for views,
    ``"view_probabilities"`` (N, V, C), all on the CPU in float32, and ``"activations"``: the outputs
    of the submodules named in ``layers``, concatenated over batches. With ``dist`` (an
    :class:`alexnet_edu.parallel.Distributed`; each process holds its share of the images), the
    numbers are those of all processes together. The model's train/eval mode is restored afterwards.
    """
    if keep and dist is not None and dist.world_size > 1:
        raise ValueError("keep=True gathers one process's probabilities: evaluate without dist, or keep=False")
    if layers and not keep:
        raise ValueError("layers are kept with the probabilities: pass keep=True as well")
    was_training = model.training
    weight = next(model.parameters())
    device = torch.device(device) if device is not None else weight.device
    model.eval()
    right = {k: 0 for k in ks}
    seen, loss = 0, 0.0
    kept: dict[str, list[torch.Tensor]] = {"probabilities": [], "targets": [], "view_probabilities": []}
    found: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
    modules = dict(model.named_modules())
    hooks = [modules[name].register_forward_hook(
        lambda mod, inputs, out, name=name: found[name].append(out.detach().float().cpu())) for name in layers]
    try:
        for images, targets in tqdm(batches, desc=desc, disable=not progress, leave=False):
            images = images.to(device, weight.dtype, non_blocking=True)
            targets = targets.to(device, non_blocking=True)
            with torch.autocast(device.type, enabled=amp):
                out = model(images.flatten(0, 1) if images.ndim == 5 else images)
            scores, batch_loss, views = _score(out, images.shape, targets)
            loss += batch_loss
            for k in ks:
                right[k] += int(topk_correct(scores, targets, min(k, scores.shape[1])).sum())
            seen += len(targets)
            if keep:
                kept["probabilities"].append((scores if views is not None else out.softmax(dim=1)).float().cpu())
                kept["targets"].append(targets.cpu())
                if views is not None:
                    kept["view_probabilities"].append(views.float().cpu())
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    if dist is not None:
        loss, seen, *counts = dist.sum([loss, seen, *(right[k] for k in ks)], device)
        seen, right = int(seen), {k: int(c) for k, c in zip(ks, counts)}
    if seen == 0:
        raise NothingToEvaluate("no images to evaluate: every batch was empty")
    result: dict[str, Any] = {**{f"top{k}": (seen - right[k]) / seen for k in ks}, "loss": loss / seen, "images": seen}
    if keep:
        result.update({key: torch.cat(parts) for key, parts in kept.items() if parts})
        result["activations"] = {name: torch.cat(parts) for name, parts in found.items()}
    return result
