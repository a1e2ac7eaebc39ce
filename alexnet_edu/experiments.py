"""Small CIFAR-10 experiments for the paper's claims about single components.

Figure 1 (§3.1): "A four-layer convolutional neural network with ReLUs (solid line) reaches a 25%
training error rate on CIFAR-10 six times faster than an equivalent network with tanh neurons
(dashed line). The learning rates for each network were chosen independently to make training as
fast as possible. No regularization of any kind was employed."

The same four-layer network (three conv layers and one fully-connected layer, like cuda-convnet's
CIFAR-10 example) also tests LRN (§3.3), overlapping pooling (§3.4), dropout (§4.2) and ten-patch
testing (§4.1) at a scale a laptop affords.

    python -m alexnet_edu figure1 --out alexnet_edu/records/figure1.json
    python -m alexnet_edu ablation lrn --out alexnet_edu/records/ablation_lrn.json
    python -m alexnet_edu ablation pooling --out alexnet_edu/records/ablation_pooling.json
    python -m alexnet_edu ablation dropout --out alexnet_edu/records/ablation_dropout.json
    python -m alexnet_edu tencrop --out alexnet_edu/records/ten_crop.json
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .data import load_dataset, random_subset
from .metrics import evaluate, topk_correct
from .model import CIFAR_SIDE, CONV_LOCAL_CROP, SmallNetConfig, build_small
from .paper import BATCH_SIZE, DROPOUT_P, MOMENTUM, TEST_PATCHES
from .runs import write_atomic
from .transforms import ten_crop

TICKS_PER_EPOCH = 10  # training error is recorded ten times per epoch
DROPOUT_HIDDEN = 1024  # width of the two hidden layers of the dropout ablation (the paper's: 4096)

# The settings of the experiments' commands when none are given (``python -m alexnet_edu figure1``,
# ``ablation KIND``, ``tencrop``, ``ensemble``): the command line's defaults, and what a chapter's
# reduced demonstration uses to stay the experiment of its record.
DEFAULTS: dict[str, dict[str, Any]] = {
    "figure1": {"lrs": [0.003, 0.01, 0.001, 0.0003], "max_epochs": 40.0, "target": 0.25, "seed": 0},
    "ablation": {"lr": 0.003, "epochs": 10.0, "seeds": [0, 1]},
    "tencrop": {"crop": 28, "lr": 0.001, "epochs": 10.0, "seeds": [0, 1]},
    "ensemble": {"crop": 28, "lr": 0.001, "epochs": 10.0, "seeds": [0, 1, 2, 3, 4]},
}


def load_cifar_tensors(
    split: str, root=None, limit: Optional[int] = None, seed: int = 0, progress: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 as a uint8 tensor (N, 3, 32, 32) and int64 labels, decoded once into memory.

    ``limit`` keeps a random subset of that many images (the same subset for the same seed).
    """
    dataset = load_dataset("cifar10", split, root=root)
    order = random_subset(len(dataset), limit, seed, shuffled=True)
    images = torch.empty(len(order), 3, CIFAR_SIDE, CIFAR_SIDE, dtype=torch.uint8)
    labels = torch.empty(len(order), dtype=torch.int64)
    for i, index in enumerate(tqdm(order, desc=f"decoding CIFAR-10 {split}", leave=False, disable=not progress)):
        image, label = dataset[index]
        images[i] = torch.from_numpy(np.array(image, dtype=np.uint8)).permute(2, 0, 1)
        labels[i] = label
    return images, labels


def preprocess(images: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """uint8 images (N, 3, H, W) as float inputs: the pixels minus the training set's mean image."""
    # §2: "We did not pre-process the images in any other way, except for subtracting the mean
    # activity over the training set from each pixel." Pixels stay on the 0–255 scale: the paper's
    # LRN constants (k = 2, α = 1e-4) only make units compete at activities of that scale.
    return images.float().sub_(mean)


def train_small(
    config: SmallNetConfig,
    train: tuple[torch.Tensor, torch.Tensor],
    test: Optional[tuple[torch.Tensor, torch.Tensor]] = None,
    *,
    lr: float,
    max_epochs: float,
    target_error: Optional[float] = None,
    seed: int = 0,
    progress: bool = True,
) -> dict[str, Any]:
    """Train with SGD (momentum 0.9, batch 128, no weight decay, no augmentation; dropout only if
    the config asks for it).

    Training error is the error on the batches of each tenth of an epoch, measured as they are
    trained on (as cuda-convnet reported it). Stops after ``max_epochs`` (fractions allowed) or at
    the first tick whose error is at most ``target_error``; ``epochs_to_target`` is then the epoch
    (in tenths) at which that happened, else ``None``. After every epoch, with ``test`` given, the
    test error is measured and so is the training error in eval mode (dropout off) on as many
    training images as there are test images, so the two can be compared (the gap is overfitting).
    """
    torch.manual_seed(seed)
    model = build_small(config)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    images, labels = train
    mean = images.float().mean(0)  # the mean image of the training set
    n = len(labels)
    batches_per_epoch = math.ceil(n / BATCH_SIZE)
    # the last batch of each tenth of an epoch (equal tenths, whatever the number of batches)
    tick_ends = {math.ceil(i * batches_per_epoch / TICKS_PER_EPOCH) - 1 for i in range(1, TICKS_PER_EPOCH + 1)}
    total_batches = math.ceil(max_epochs * batches_per_epoch)
    generator = torch.Generator().manual_seed(seed)
    ticks, epochs, reached = [], [], None
    wrong = seen = 0
    bar = tqdm(total=total_batches, desc=f"{config.activation} lr={lr:g}", disable=not progress, leave=False,
               mininterval=2.0)
    step = 0
    while step < total_batches and reached is None:
        order = torch.randperm(n, generator=generator)
        model.train()
        for b in range(batches_per_epoch):
            idx = order[b * BATCH_SIZE:(b + 1) * BATCH_SIZE]
            inputs = preprocess(images[idx], mean)
            if config.crop:
                inputs = random_crops(inputs, config.crop, generator)
            logits = model(inputs)
            loss = F.cross_entropy(logits, labels[idx])
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {step / batches_per_epoch:.2f} "
                                         f"with lr={lr}: lower the learning rate")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            wrong += (logits.argmax(1) != labels[idx]).sum().item()
            seen += len(idx)
            step += 1
            bar.update()
            if b in tick_ends or step >= total_batches:
                epoch = step / batches_per_epoch
                ticks.append({"epoch": round(epoch, 4), "train_error": wrong / seen, "loss": loss.item()})
                bar.set_postfix(train_error=f"{wrong / seen:.3f}")
                wrong = seen = 0
                if target_error is not None and ticks[-1]["train_error"] <= target_error:
                    reached = ticks[-1]["epoch"]
                    break
            if step >= total_batches:
                break
        if test is not None and (step % batches_per_epoch == 0 or step >= total_batches or reached is not None):
            seen_train = (images[:len(test[1])], labels[:len(test[1])])
            epochs.append({"epoch": round(step / batches_per_epoch, 4),
                           "test_error": test_error(model, test, mean, crop=config.crop),
                           "train_error_eval": test_error(model, seen_train, mean, crop=config.crop)})
    bar.close()
    return {"config": asdict(config), "lr": lr, "seed": seed, "train_images": n, "ticks": ticks,
            "epochs": epochs, "epochs_to_target": reached, "model": model}


def random_crops(images: torch.Tensor, size: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """A random ``size``×``size`` patch of every image of a batch (N, C, H, W), reflected
    horizontally with probability 1/2 — §4.1's augmentation, drawn anew for each image."""
    n, _, h, w = images.shape
    ys = torch.randint(0, h - size + 1, (n,), generator=generator).tolist()
    xs = torch.randint(0, w - size + 1, (n,), generator=generator).tolist()
    flips = (torch.rand(n, generator=generator) < 0.5).tolist()
    patches = [img[:, y:y + size, x:x + size] for img, y, x in zip(images, ys, xs)]
    return torch.stack([p.flip(-1) if f else p for p, f in zip(patches, flips)])


def _centre(images: torch.Tensor, size: int) -> torch.Tensor:
    top, left = int(round((images.shape[-2] - size) / 2)), int(round((images.shape[-1] - size) / 2))
    return images[..., top:top + size, left:left + size]


def _batches(data: tuple[torch.Tensor, torch.Tensor], mean: torch.Tensor, crop: int = 0, views: bool = False,
             size: int = 1000):
    """``data`` as (inputs, labels) batches for :func:`alexnet_edu.metrics.evaluate`: the pixels minus
    the training mean, each image's centre ``crop`` patch, or with ``views`` its ten patches."""
    images, labels = data
    for start in range(0, len(labels), size):
        inputs = preprocess(images[start:start + size], mean)
        if views:
            inputs = ten_crop(inputs, crop)  # (n, 10, 3, crop, crop)
        elif crop:
            inputs = _centre(inputs, crop)
        yield inputs, labels[start:start + size]


def test_error(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], mean: torch.Tensor, crop: int = 0) -> float:
    """Top-1 error of ``model`` on ``data`` (images normalised with the training mean); with
    ``crop``, on the centre patch of that size."""
    return evaluate(model, _batches(data, mean, crop), ks=(1,), progress=False)["top1"]


def view_errors(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], mean: torch.Tensor, crop: int,
                ks: Sequence[int] = (1, 5)) -> dict[str, Any]:
    """Test errors of a model trained on ``crop`` patches, for each of the paper's ten views
    (:func:`alexnet_edu.transforms.ten_crop` order) alone, for the centre patch, and for the
    softmax averaged over all ten (§4.1). Returns ``{"views": {k: [10 errors]}, "centre": {k: e},
    "ten": {k: e}}`` with k as "top1", "top5"."""
    result = evaluate(model, _batches(data, mean, crop, views=True, size=500), ks=tuple(ks), keep=True,
                      progress=False)
    probs, target = result["view_probabilities"], result["targets"]
    n = len(target)
    # count right answers in integers, so that the errors are exact fractions of the test set
    views = {k: [(n - int(topk_correct(probs[:, v], target, k).sum())) / n for v in range(TEST_PATCHES)] for k in ks}
    return {
        "views": {f"top{k}": views[k] for k in ks},
        "centre": {f"top{k}": views[k][4] for k in ks},  # the fifth view is the centre
        "ten": {f"top{k}": result[f"top{k}"] for k in ks},
    }


def seeded_runs(configs: Sequence[SmallNetConfig], seeds: Sequence[int], make_run: Callable[[SmallNetConfig, int], dict],
                header: dict[str, Any], previous: Optional[Sequence[dict]] = None,
                on_run: Optional[Callable[[dict], None]] = None,
                reuse: Callable[[dict, int], bool] = lambda run, seed: True) -> list[dict]:
    """One run of every config for every seed (seed by seed): a finished run of ``previous`` with the
    same settings is reused (unless ``reuse(run, seed)`` refuses it), else ``make_run(config, seed)``
    trains it. After every run, ``on_run({**header, "runs": runs so far})``, so that the caller can
    save the partial record and an interruption loses no finished run."""
    runs = []
    for seed in seeds:
        for config in configs:
            run = _done(previous, seed=seed, **asdict(config))
            if run is None or not reuse(run, seed):
                run = make_run(config, seed)
            runs.append(run)
            if on_run is not None:
                on_run({**header, "runs": runs})
    return runs


def multiview(
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    crop: int = DEFAULTS["tencrop"]["crop"],
    lr: float,
    epochs: float,
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    previous: Optional[Sequence[dict]] = None,
    on_run: Optional[Callable[[dict], None]] = None,
) -> dict[str, Any]:
    """Ten-patch testing (§4.1) at CIFAR-10 scale: train the small network on random ``crop``
    patches and reflections of the 32×32 images, then compare the test error of the centre patch
    with the softmax averaged over the paper's ten views. (cuda-convnet's ``CroppedCIFARDataProvider``
    does the same: it crops 32 − 2·``crop_border`` pixels, and its multiview test uses
    ``num_views = 5*2`` patches, five positions and their reflections.)"""
    mean = train[0].float().mean(0)

    def make_run(config: SmallNetConfig, seed: int) -> dict:
        run = train_small(config, train, test, lr=lr, max_epochs=epochs, seed=seed, progress=progress)
        run["test"] = view_errors(run.pop("model"), test, mean, crop)
        return run

    header = {"crop": crop, "lr": lr, "epochs": epochs, "seeds": list(seeds)}
    return {**header, "runs": seeded_runs([SmallNetConfig(crop=crop)], seeds, make_run, header, previous, on_run)}


def _done(previous: Optional[Sequence[dict]], **key: Any) -> Optional[dict]:
    """A run of an interrupted sweep with these settings, if it finished."""
    defaults = asdict(SmallNetConfig())  # a setting that a record predates had its default value
    for run in previous or ():
        if all((run["config"].get(k, defaults[k]) if k in defaults else run.get(k)) == v for k, v in key.items()):
            return run
    return None


def figure1(
    train: tuple[torch.Tensor, torch.Tensor],
    lrs: Sequence[float],
    max_epochs: float,
    target_error: float = 0.25,
    seed: int = 0,
    progress: bool = True,
    previous: Optional[Sequence[dict]] = None,
    on_run: Optional[Callable[[dict], None]] = None,
) -> dict[str, Any]:
    """Figure 1: epochs to ``target_error`` for ReLU and tanh, each at its best learning rate.

    Learning rates are tried in the given order; a run stops as soon as it can no longer beat the
    best run so far of the same activation, which keeps the sweep cheap without changing its winner.
    ``previous`` holds the finished runs of an interrupted sweep with the same settings (they are
    reused, not trained again); ``on_run`` is called with the partial result after every run.
    """
    runs, best = [], {}
    for activation in ("relu", "tanh"):
        for lr in lrs:
            budget = min(max_epochs, best[activation]["epochs_to_target"]) if activation in best else max_epochs
            run = _done(previous, activation=activation, lr=lr)
            if run is None:
                try:
                    run = train_small(SmallNetConfig(activation), train, lr=lr, max_epochs=budget,
                                      target_error=target_error, seed=seed, progress=progress)
                    run.pop("model")
                except FloatingPointError as err:  # a rate too large for this net: a result of the sweep
                    run = {"config": asdict(SmallNetConfig(activation)), "lr": lr, "seed": seed,
                           "train_images": len(train[1]), "ticks": [], "epochs": [], "epochs_to_target": None,
                           "diverged": str(err)}
            runs.append(run)
            if on_run is not None:
                on_run({"target_error": target_error, "max_epochs": max_epochs, "lrs": list(lrs), "runs": runs})
            if run["epochs_to_target"] is not None and (
                activation not in best or run["epochs_to_target"] < best[activation]["epochs_to_target"]
            ):
                best[activation] = run
    summary = {a: {"lr": r["lr"], "epochs_to_target": r["epochs_to_target"]} for a, r in best.items()}
    ratio = (summary["tanh"]["epochs_to_target"] / summary["relu"]["epochs_to_target"]
             if {"relu", "tanh"} <= summary.keys() else None)
    return {"target_error": target_error, "max_epochs": max_epochs, "lrs": list(lrs), "runs": runs,
            "best": summary, "speedup_relu_over_tanh": ratio}


ABLATIONS = {
    "lrn": (SmallNetConfig(lrn=False), SmallNetConfig(lrn=True)),
    "pooling": (SmallNetConfig(pool_kernel=2, pool_stride=2), SmallNetConfig(pool_kernel=3, pool_stride=2)),
    "dropout": (SmallNetConfig(hidden=DROPOUT_HIDDEN), SmallNetConfig(hidden=DROPOUT_HIDDEN, dropout=DROPOUT_P)),
    # the paper's own CIFAR-10 comparison, on the network of cuda-convnet's files
    "lrn-conv-local": (SmallNetConfig(network="conv-local", crop=CONV_LOCAL_CROP),
                       SmallNetConfig(network="conv-local", crop=CONV_LOCAL_CROP, lrn=True)),
    # the paper's four numbers read two ways: α on the plain sum (§3.3's formula) or α/n (the code's)
    "lrn-reading": (SmallNetConfig(lrn=True), SmallNetConfig(lrn=True, lrn_convention="cuda-convnet2")),
}


def ablation(
    kind: str,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    lr: float,
    epochs: float,
    seeds: Sequence[int] = (0,),
    progress: bool = True,
    previous: Optional[Sequence[dict]] = None,
    on_run: Optional[Callable[[dict], None]] = None,
) -> dict[str, Any]:
    """Train the two networks of ``ABLATIONS[kind]`` on the same data, learning rate and seeds: without
    and with a component (LRN, overlapping pooling, dropout), or, for ``"lrn-reading"``, with LRN read
    two ways; record training and test error per epoch. ``previous`` and
    ``on_run`` work as in :func:`figure1`."""
    if kind not in ABLATIONS:
        raise ValueError(f"unknown ablation {kind!r}: choose one of {', '.join(ABLATIONS)}")

    def make_run(config: SmallNetConfig, seed: int) -> dict:
        run = train_small(config, train, test, lr=lr, max_epochs=epochs, seed=seed, progress=progress)
        run["parameters"] = sum(p.numel() for p in run.pop("model").parameters())
        return run

    header = {"kind": kind, "lr": lr, "epochs": epochs, "seeds": list(seeds)}
    return {**header, "runs": seeded_runs(ABLATIONS[kind], seeds, make_run, header, previous, on_run)}


# --- ensembles (§6) ----------------------------------------------------------------------------


def test_probabilities(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], mean: torch.Tensor,
                       crop: int = 0) -> torch.Tensor:
    """The softmax (N, C) of ``model`` for every image of ``data`` (its centre ``crop`` patch)."""
    return evaluate(model, _batches(data, mean, crop), keep=True, progress=False)["probabilities"]


def ensemble_errors(probabilities: Sequence[torch.Tensor], labels: torch.Tensor,
                    ks: Sequence[int] = (1, 5)) -> list[dict[str, Any]]:
    """Errors of averaging the softmax of ``n`` networks, for n = 1 … len(probabilities): for each n,
    over every choice of n of the networks, the mean, lowest and highest top-k error, and the error
    of the first n (the order in which they were trained)."""
    from itertools import combinations

    members = torch.stack(list(probabilities))  # (M, N, C)
    n_images = len(labels)
    rows = []
    for n in range(1, len(members) + 1):
        subsets = list(combinations(range(len(members)), n))
        errors = {k: [] for k in ks}
        for subset in subsets:
            mean = members[list(subset)].mean(0)
            for k in ks:
                errors[k].append((n_images - int(topk_correct(mean, labels, k).sum())) / n_images)  # exact fractions
        row: dict[str, Any] = {"members": n, "subsets": len(subsets)}
        for k in ks:
            row[f"top{k}"] = {"mean": float(np.mean(errors[k])), "min": min(errors[k]), "max": max(errors[k]),
                              "first": errors[k][0]}  # combinations() lists (0, …, n-1) first
        rows.append(row)
    return rows


def ensemble(
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    crop: int = DEFAULTS["ensemble"]["crop"],
    lr: float,
    epochs: float,
    seeds: Sequence[int] = tuple(DEFAULTS["ensemble"]["seeds"]),
    store: Any,
    progress: bool = True,
    previous: Optional[Sequence[dict]] = None,
    on_run: Optional[Callable[[dict], None]] = None,
) -> dict[str, Any]:
    """§6: "Averaging the predictions of five similar CNNs gives an error rate of 16.4%", against
    18.2% for one. At CIFAR-10 scale: train the small network (random ``crop`` patches and
    reflections, as in :func:`multiview`) once per seed — the networks differ only in their random
    initialisation and the order of their batches — and average their softmax outputs on the test
    set's centre patches. Each network's test softmax is kept in the folder ``store`` (not in the
    record: it is 10,000 × 10 numbers), so an interrupted or extended run trains only what is missing."""
    from pathlib import Path

    key = f"crop{crop}-lr{lr:g}-ep{epochs:g}-n{len(train[1])}-t{len(test[1])}"
    mean = train[0].float().mean(0)

    def stored(seed: int) -> Path:
        return Path(store) / f"ensemble-{key}-seed{seed}.pt"

    def make_run(config: SmallNetConfig, seed: int) -> dict:
        run = train_small(config, train, test, lr=lr, max_epochs=epochs, seed=seed, progress=progress)
        probs = test_probabilities(run.pop("model"), test, mean, crop)
        write_atomic(stored(seed), lambda f: torch.save(probs, f))
        run["test"] = ensemble_errors([probs], test[1])[0]
        return run

    header = {"crop": crop, "lr": lr, "epochs": epochs, "seeds": list(seeds)}
    runs = seeded_runs([SmallNetConfig(crop=crop)], seeds, make_run, header, previous, on_run,
                       reuse=lambda run, seed: stored(seed).is_file())
    probabilities = [torch.load(stored(seed), weights_only=True) for seed in seeds]
    return {**header, "runs": runs, "ensembles": ensemble_errors(probabilities, test[1])}
