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
from dataclasses import asdict, dataclass
from typing import Any, Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .data import load_dataset
from .layers import LRN_CONVENTIONS, LocallyConnected2d, LocalResponseNorm
from .paper import BATCH_SIZE, DROPOUT_P, INIT_STD, MOMENTUM, POOL_KERNEL, POOL_STRIDE, TEST_PATCHES

CIFAR_SIDE = 32
TICKS_PER_EPOCH = 10  # training error is recorded ten times per epoch
DROPOUT_HIDDEN = 1024  # width of the two hidden layers of the dropout ablation (the paper's: 4096)
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
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(module.weight, std=INIT_STD)
                nn.init.zeros_(module.bias)

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
        for layer, std in ((self.conv1, 1e-4), (self.conv2, 0.01), (self.local3, 0.04), (self.local4, 0.04),
                           (self.fc10, 0.01)):
            nn.init.normal_(layer.weight, std=std)
            nn.init.zeros_(layer.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.rnorm1(self.pool1(F.relu(self.conv1(x))))
        x = self.pool2(self.rnorm2(F.relu(self.conv2(x))))
        x = F.relu(self.local4(F.relu(self.local3(x))))
        return self.fc10(torch.flatten(x, 1))


def build_small(config: SmallNetConfig, num_classes: int = 10) -> nn.Module:
    """The network a :class:`SmallNetConfig` names."""
    return ConvLocalNet(config.lrn, num_classes) if config.network == "conv-local" else SmallConvNet(config, num_classes)


def load_cifar_tensors(
    split: str, root=None, limit: Optional[int] = None, seed: int = 0, progress: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 as a uint8 tensor (N, 3, 32, 32) and int64 labels, decoded once into memory.

    ``limit`` keeps a random subset of that many images (the same subset for the same seed).
    """
    dataset = load_dataset("cifar10", split, root=root)
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(seed))
    if limit is not None:
        order = order[:limit]
    images = torch.empty(len(order), 3, CIFAR_SIDE, CIFAR_SIDE, dtype=torch.uint8)
    labels = torch.empty(len(order), dtype=torch.int64)
    for i, index in enumerate(tqdm(order.tolist(), desc=f"decoding CIFAR-10 {split}", leave=False, disable=not progress)):
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
                           "test_error": evaluate(model, test, mean, crop=config.crop),
                           "train_error_eval": evaluate(model, seen_train, mean, crop=config.crop)})
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


@torch.no_grad()
def evaluate(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], mean: torch.Tensor, crop: int = 0) -> float:
    """Top-1 error of ``model`` on ``data`` (images normalised with the training mean); with
    ``crop``, on the centre patch of that size."""
    model.eval()
    images, labels = data
    wrong = 0
    for start in range(0, len(labels), 1000):
        inputs = preprocess(images[start:start + 1000], mean)
        logits = model(_centre(inputs, crop) if crop else inputs)
        wrong += (logits.argmax(1) != labels[start:start + 1000]).sum().item()
    return wrong / len(labels)


@torch.no_grad()
def view_errors(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], mean: torch.Tensor, crop: int,
                ks: Sequence[int] = (1, 5)) -> dict[str, Any]:
    """Test errors of a model trained on ``crop`` patches, for each of the paper's ten views
    (:func:`alexnet_edu.transforms.ten_crop` order) alone, for the centre patch, and for the
    softmax averaged over all ten (§4.1). Returns ``{"views": {k: [10 errors]}, "centre": {k: e},
    "ten": {k: e}}`` with k as "top1", "top5"."""
    from .metrics import topk_correct
    from .transforms import ten_crop

    model.eval()
    images, labels = data
    # count correct answers in integers, so that the errors are exact fractions of the test set
    views = {k: [0] * TEST_PATCHES for k in ks}
    ten = {k: 0 for k in ks}
    with torch.no_grad():
        for start in range(0, len(labels), 500):
            patches = ten_crop(preprocess(images[start:start + 500], mean), crop)  # (n, 10, 3, crop, crop)
            target = labels[start:start + 500]
            probs = model(patches.flatten(0, 1)).softmax(1).view(len(target), TEST_PATCHES, -1)
            for k in ks:
                for v in range(TEST_PATCHES):
                    views[k][v] += int(topk_correct(probs[:, v], target, k).sum())
                ten[k] += int(topk_correct(probs.mean(1), target, k).sum())
    n = len(labels)
    return {
        "views": {f"top{k}": [(n - c) / n for c in views[k]] for k in ks},
        "centre": {f"top{k}": (n - views[k][4]) / n for k in ks},  # the fifth view is the centre
        "ten": {f"top{k}": (n - ten[k]) / n for k in ks},
    }


def multiview(
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    crop: int = 28,
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
    config = SmallNetConfig(crop=crop)
    runs = []
    for seed in seeds:
        run = _done(previous, seed=seed, **asdict(config))
        if run is None:
            run = train_small(config, train, test, lr=lr, max_epochs=epochs, seed=seed, progress=progress)
            model = run.pop("model")
            run["test"] = view_errors(model, test, train[0].float().mean(0), crop)
        runs.append(run)
        if on_run is not None:
            on_run({"crop": crop, "lr": lr, "epochs": epochs, "seeds": list(seeds), "runs": runs})
    return {"crop": crop, "lr": lr, "epochs": epochs, "seeds": list(seeds), "runs": runs}


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
    runs = []
    for seed in seeds:
        for config in ABLATIONS[kind]:
            run = _done(previous, seed=seed, **asdict(config))
            if run is None:
                run = train_small(config, train, test, lr=lr, max_epochs=epochs, seed=seed, progress=progress)
                run["parameters"] = sum(p.numel() for p in run.pop("model").parameters())
            runs.append(run)
            if on_run is not None:
                on_run({"kind": kind, "lr": lr, "epochs": epochs, "seeds": list(seeds), "runs": runs})
    return {"kind": kind, "lr": lr, "epochs": epochs, "seeds": list(seeds), "runs": runs}


# --- ensembles (§6) ----------------------------------------------------------------------------


@torch.no_grad()
def test_probabilities(model: nn.Module, data: tuple[torch.Tensor, torch.Tensor], mean: torch.Tensor,
                       crop: int = 0) -> torch.Tensor:
    """The softmax (N, C) of ``model`` for every image of ``data`` (its centre ``crop`` patch)."""
    model.eval()
    images, _ = data
    out = []
    for start in range(0, len(images), 1000):
        inputs = preprocess(images[start:start + 1000], mean)
        out.append(model(_centre(inputs, crop) if crop else inputs).softmax(1))
    return torch.cat(out)


def ensemble_errors(probabilities: Sequence[torch.Tensor], labels: torch.Tensor,
                    ks: Sequence[int] = (1, 5)) -> list[dict[str, Any]]:
    """Errors of averaging the softmax of ``n`` networks, for n = 1 … len(probabilities): for each n,
    over every choice of n of the networks, the mean, lowest and highest top-k error, and the error
    of the first n (the order in which they were trained)."""
    from itertools import combinations

    from .metrics import topk_correct

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
    crop: int = 28,
    lr: float,
    epochs: float,
    seeds: Sequence[int] = (0, 1, 2, 3, 4),
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

    config = SmallNetConfig(crop=crop)
    store = Path(store)
    store.mkdir(parents=True, exist_ok=True)
    key = f"crop{crop}-lr{lr:g}-ep{epochs:g}-n{len(train[1])}-t{len(test[1])}"
    mean = train[0].float().mean(0)
    runs, probabilities = [], []
    for seed in seeds:
        path = store / f"ensemble-{key}-seed{seed}.pt"
        run = _done(previous, seed=seed, **asdict(config))
        if run is not None and path.is_file():
            probs = torch.load(path, weights_only=True)
        else:
            run = train_small(config, train, test, lr=lr, max_epochs=epochs, seed=seed, progress=progress)
            probs = test_probabilities(run.pop("model"), test, mean, crop)
            tmp = path.with_name(f".{path.name}.tmp")
            torch.save(probs, tmp)
            tmp.replace(path)
            run["test"] = ensemble_errors([probs], test[1])[0]
        runs.append(run)
        probabilities.append(probs)
        if on_run is not None:
            on_run({"crop": crop, "lr": lr, "epochs": epochs, "seeds": list(seeds), "runs": runs})
    return {"crop": crop, "lr": lr, "epochs": epochs, "seeds": list(seeds), "runs": runs,
            "ensembles": ensemble_errors(probabilities, test[1])}
