"""Everything that decides a training run, and what it builds.

:class:`TrainConfig` declares each option once, as a field: its default (the paper's, §5, where it
states one), its help and its choices in the field's metadata. ``python -m alexnet_edu train`` makes
its options from these fields (:func:`alexnet_edu.cli.build_parser`), and a run's ``config.json`` is
the dict of one. :data:`RECIPES` names the paper's ILSVRC-2012 run. From a configuration come the
run's images (:func:`build_datasets`), its network (:func:`build_model`) and its learning-rate
schedule (:func:`make_scheduler`); :func:`alexnet_edu.train.train` runs them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional

import torch
from torch import nn

from . import data
from .data import TrainImages, random_subset
from .model import AlexNet, SmallConvNet, SmallNetConfig, TwoTowerAlexNet, init_
from .paper import (BATCH_SIZE, CROP_SIZE, EPOCHS, INPUT_SIZE, LEARNING_RATE, LR_DROP_FACTOR, LR_DROPS, MOMENTUM,
                    PCA_ALPHA_STD, RESIZE_SIZE, WEIGHT_DECAY)
from .parallel import Distributed
from .runs import TrainingError
from .transforms import IMAGENET_EIGVAL, IMAGENET_EIGVEC, PCALighting, dataset_stats, eval_transform, train_transform

MODELS = ("alexnet", "two-tower", "torchvision-alexnet", "small")
INITS = ("paper", "caffe", "default")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
# (rescale side, crop side) per model: the paper's 256 → 227; torchvision's AlexNet takes 224;
# the small CIFAR-10 network of the experiments takes 28×28 patches of 32×32 images.
SIZES = {"alexnet": (RESIZE_SIZE, INPUT_SIZE), "two-tower": (RESIZE_SIZE, INPUT_SIZE),
         "torchvision-alexnet": (RESIZE_SIZE, CROP_SIZE), "small": (32, 28)}
VAL_SPLIT = {"imagenette": "val", "imagenet": "val", "cifar10": "test"}


def option(default: Any, help: str, **cli: Any) -> Any:
    """A :class:`TrainConfig` field: its default, and what the ``train`` command says of it (``help``;
    ``choices``, ``metavar``, and ``shown`` for a default that needs words)."""
    return field(default=default, metadata={"help": help, **cli})


def _per_model(index: int) -> str:
    return "the model's: " + ", ".join(f"{m} {sizes[index]}" for m, sizes in SIZES.items())


@dataclass
class TrainConfig:
    """Everything that decides a run. Defaults are the paper's (§5) where it states them."""

    dataset: str = option("imagenette", "the images to train on", choices=tuple(VAL_SPLIT))
    model: str = option("alexnet", "the network: the paper's (alexnet), its two columns as two modules (two-tower), "
                        "torchvision's variant, or the small CIFAR-10 network", choices=MODELS)
    root: Optional[str] = option(None, "data root", shown=f"${data.DATA_ENV}, else ./{data.DEFAULT_ROOT}")
    epochs: int = option(EPOCHS, "epochs to train (§5: roughly 90 cycles)")
    batch_size: int = option(BATCH_SIZE, "images per step (under --distributed: the global batch)")
    lr: float = option(LEARNING_RATE, "initial learning rate ε (with --resume: a new rate from here on)")
    momentum: float = option(MOMENTUM, "momentum")
    weight_decay: float = option(WEIGHT_DECAY, "weight decay (weights only, not biases)")
    lr_drops: int = option(LR_DROPS, "divide ε by 10 at most this many times (\"reduced three times prior to "
                           "termination\")")
    lr_patience: int = option(3, "epochs without a better validation error before ε ÷ 10 (not stated in the paper)")
    init: str = option("paper", "paper: N(0, 0.01), biases 1 (§5); caffe: Caffe's reference model (fc6, fc7 "
                       "N(0, 0.005), biases 0.1); default: PyTorch's", choices=INITS)
    lrn_convention: str = option("paper", "LRN's α on the plain sum, as §3.3 prints it (paper), or α/n, as "
                                 "Krizhevsky's code computes it (cuda-convnet2)", choices=("paper", "cuda-convnet2"))
    dropout_convention: str = option("inverted", "inverted: torch.nn.Dropout (kept outputs ×2 in training); paper: "
                                     "outputs ×0.5 at test time (§4.2)", choices=("inverted", "paper"))
    pca: str = option("dataset", "colour augmentation (§4.1): the training set's own PCA, fb.resnet.torch's ImageNet "
                      "constants, or none", choices=("dataset", "imagenet", "off"))
    pca_scale: str = option("eigval", "the colour noise's scale: λ as the paper writes (eigval) or √λ as "
                            "Krizhevsky's code (stddev)", choices=("eigval", "stddev"))
    resize: Optional[int] = option(None, "shorter side before the crops", shown=_per_model(0))
    crop: Optional[int] = option(None, "training and test patch size", shown=_per_model(1))
    train_limit: Optional[int] = option(None, "train on a fixed random subset of this many images", shown="all")
    val_limit: Optional[int] = option(None, "validate on a fixed random subset of this many images", shown="all")
    stats_limit: Optional[int] = option(None, "images behind the mean image and the PCA", shown="all")
    verify: bool = option(True, "the splits must have the official number of images (--no-verify: a subset or a "
                          "partial copy)")
    workers: int = option(2, "DataLoader worker processes")
    seed: int = option(0, "the seed of every random choice: weights, order, augmentation, dropout")
    device: str = option("auto", "cpu, cuda, cuda:1, ... (auto: cuda if available)")
    devices: Optional[str] = option(None, "--model two-tower only: one device per column, as in 2012: cuda:0,cuda:1",
                                    shown="both columns on --device")
    amp: Optional[bool] = option(None, "mixed precision", shown="on for CUDA, off on CPU")
    dtype: str = option("float32", "float64: weights and arithmetic in double precision, to compare two ways of "
                        "training exactly (rounding then stays near 1e-16)", choices=tuple(DTYPES))
    channels_last: bool = option(False, "channels-last memory format")
    compile: bool = option(False, "torch.compile the model")
    checkpoint_every: int = option(0, "also checkpoint every N steps (0: at the end of every epoch only)")
    keep_checkpoints: int = option(2, "newest checkpoints to keep (at least 2)")
    tensorboard: bool = option(False, "also write TensorBoard logs")
    init_from: Optional[str] = option(None, "start a new run from the weights of a checkpoint (of the same network; "
                                      "its optimizer state and epoch count are not taken)", metavar="CHECKPOINT")

    def __post_init__(self) -> None:
        for f in fields(self):
            if "choices" in f.metadata and getattr(self, f.name) not in f.metadata["choices"]:
                raise ValueError(f"{f.name} must be one of {', '.join(f.metadata['choices'])}, "
                                 f"got {getattr(self, f.name)!r}")
        for name in ("epochs", "batch_size", "workers", "checkpoint_every", "lr_drops", "lr_patience"):
            if getattr(self, name) < (1 if name in ("epochs", "batch_size") else 0):
                raise ValueError(f"{name} must be {'positive' if name in ('epochs', 'batch_size') else '>= 0'}, "
                                 f"got {getattr(self, name)}")
        for name in ("train_limit", "val_limit", "stats_limit"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive number of images, got {getattr(self, name)}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"the learning rate must be a positive number, got {self.lr}")
        if self.keep_checkpoints < 2:
            raise ValueError("keep_checkpoints must be at least 2, so that a damaged newest one has a predecessor")
        if self.dtype == "float64" and self.amp:
            raise ValueError("mixed precision (--amp) computes in float16: it cannot be combined with --dtype float64")
        self._check_network()
        self.resize = self.resize or SIZES[self.model][0]
        self.crop = self.crop or SIZES[self.model][1]
        if self.crop > self.resize:
            raise ValueError(f"crop ({self.crop}) cannot be larger than resize ({self.resize})")
        if self.model in ("alexnet", "two-tower") and self.crop not in (INPUT_SIZE, CROP_SIZE):
            raise ValueError(f"the paper's network takes {INPUT_SIZE} (or {CROP_SIZE}) pixel crops, got crop={self.crop}")
        if self.init_from is not None and not Path(self.init_from).is_file():
            raise ValueError(f"--init-from {self.init_from}: there is no such checkpoint file")

    def _check_network(self) -> None:
        paper_net = self.model in ("alexnet", "two-tower")
        if (self.lrn_convention, self.dropout_convention) != ("paper", "inverted") and not paper_net:
            raise ValueError("lrn_convention and dropout_convention are settings of the paper's network: use them "
                             "with --model alexnet or two-tower")
        if self.model == "small" and self.init == "caffe":
            raise ValueError("the small network has only the paper's N(0, 0.01) initialisation or init='default'")
        if self.model == "torchvision-alexnet" and self.init != "default":
            raise ValueError("torchvision-alexnet has its own layer names: use --init default")
        if self.devices is not None:
            if self.model != "two-tower":
                raise ValueError(f"devices places the two columns of the two-tower network, not of {self.model!r}: "
                                 "add --model two-tower, or leave out --devices")
            if len([d for d in self.devices.split(",") if d.strip()]) != 2:
                raise ValueError(f"devices needs one device per column, two in all (for example cuda:0,cuda:1), "
                                 f"got {self.devices!r}")
        for name in [self.device] + [d.strip() for d in (self.devices or "").split(",") if d.strip()]:
            if name != "auto":
                try:
                    torch.device(name)
                except RuntimeError:
                    raise ValueError(f"{name!r} is not a device: use cpu, cuda, cuda:1, ... (or auto)") from None

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        """A configuration from a dict (a run's ``config.json``); unknown keys are an error."""
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown configuration keys: {', '.join(sorted(unknown))}")
        return cls(**values)


# Named configurations: the paper's ILSVRC-2012 run (§5) as it was done, on two GPUs with one column
# each, and the same recipe for data-parallel training with torchrun (one whole network per GPU).
# Everything else (batch 128, ε = 0.01 ÷ 10 three times, momentum, weight decay, 90 epochs, the
# paper's initialisation and augmentation) is TrainConfig's default.
RECIPES: dict[str, dict[str, Any]] = {
    "alexnet-2012": {"dataset": "imagenet", "model": "two-tower", "devices": "cuda:0,cuda:1"},
    "alexnet-2012-ddp": {"dataset": "imagenet", "model": "alexnet"},
}


def recipe(name: str, **overrides: Any) -> TrainConfig:
    """The configuration ``name`` of :data:`RECIPES`, with ``overrides`` on top."""
    if name not in RECIPES:
        raise ValueError(f"unknown recipe {name!r}: choose among {', '.join(RECIPES)}")
    values = {**RECIPES[name], **overrides}
    if values.get("model") != "two-tower":
        values.pop("devices", None)  # the two columns' devices mean nothing for another network
    return TrainConfig(**values)


# --- what a configuration builds: its images, its network, its schedule ------------------------------


def build_datasets(cfg: TrainConfig, progress: bool = True,
                   dist: Optional[Distributed] = None) -> tuple[TrainImages, TrainImages, list[str]]:
    """The training and validation images of a run, and the class names (folder names) in label order.

    With ``dist``, the first process computes (or reads from its cache) the mean image and colour
    statistics and sends them to the others, so no other process or machine needs the cache."""
    verify = cfg.verify and cfg.train_limit is None and cfg.val_limit is None
    train_set = data.load_dataset(cfg.dataset, "train", cfg.root, verify=verify)
    val_set = data.load_dataset(cfg.dataset, VAL_SPLIT[cfg.dataset], cfg.root, verify=verify)
    if not hasattr(train_set, "samples"):
        raise TrainingError(
            f"{cfg.dataset} is in a layout without image files (CIFAR-10's pickled batches): the training "
            "program reads image folders; use the ImageFolder copy (see `python -m alexnet_edu where`)")
    # once per dataset, then cached (for ILSVRC-2012's 1.28 million photos, with the run's worker processes)
    stats = None
    if dist is None or dist.is_main:
        stats = dataset_stats(cfg.dataset, "train", cfg.root, size=cfg.resize, limit=cfg.stats_limit, seed=cfg.seed,
                              verify=cfg.verify and cfg.stats_limit is None, num_workers=cfg.workers,
                              progress=progress)
    if dist is not None:
        stats = dist.broadcast(stats)
    pca = None
    if cfg.pca != "off":
        eigval, eigvec = (IMAGENET_EIGVAL, IMAGENET_EIGVEC) if cfg.pca == "imagenet" else stats.pca()
        pca = PCALighting(PCA_ALPHA_STD, eigval, eigvec, scale=cfg.pca_scale)
    splits = []
    for folder, limit, transform in (
            (train_set, cfg.train_limit, train_transform(stats.mean_image, crop_size=cfg.crop, pca=pca, size=cfg.resize)),
            (val_set, cfg.val_limit, eval_transform(stats.mean_image, crop_size=cfg.crop, size=cfg.resize))):
        images = TrainImages([folder.samples[i] for i in random_subset(len(folder.samples), limit, cfg.seed)],
                             transform, cfg.seed)
        images.left_out = getattr(folder, "problems", [])  # what the folder's listing left out, with the reason
        splits.append(images)
    return splits[0], splits[1], list(train_set.classes)


def resolve_device(name: str) -> torch.device:
    """The device a configuration names (``auto``: CUDA when there is a GPU)."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"device {name} was asked for, but PyTorch sees no CUDA GPU; use --device cpu")
    return device


def column_devices(cfg: TrainConfig, device: torch.device) -> list[torch.device]:
    """Where the two-tower network's columns go: ``cfg.devices``, else both on ``device``."""
    if cfg.devices:
        return [resolve_device(name.strip()) for name in cfg.devices.split(",")]
    return [device, device]


def build_model(cfg: TrainConfig, num_classes: int, device: Optional[torch.device] = None) -> nn.Module:
    """The network a configuration names, initialised as it says (:func:`alexnet_edu.model.init_`), on
    ``device`` (default CPU).

    The two-tower network is drawn as :class:`~alexnet_edu.model.AlexNet` and then split
    (:meth:`~alexnet_edu.model.TwoTowerAlexNet.from_alexnet`), so with the same seed both start as
    the same function; its columns go to :func:`column_devices`.
    """
    device = device or torch.device("cpu")
    if cfg.model == "two-tower":
        whole = build_model(TrainConfig.from_dict({**asdict(cfg), "model": "alexnet", "devices": None}), num_classes)
        return TwoTowerAlexNet.from_alexnet(whole, devices=column_devices(cfg, device))
    if cfg.model == "torchvision-alexnet":
        from torchvision.models import alexnet

        model = alexnet(num_classes=num_classes)  # torchvision's variant, its own initialisation
    elif cfg.model == "small":
        model = SmallConvNet(SmallNetConfig(crop=cfg.crop), num_classes=num_classes)  # drawn as §5 says
        if cfg.init == "default":
            init_(model, "default")
    else:
        model = AlexNet(num_classes=num_classes, input_size=cfg.crop, init=False, lrn_convention=cfg.lrn_convention,
                        dropout_convention=cfg.dropout_convention)
        init_(model, cfg.init)
    # drawn in float32 whatever the dtype, so that a float64 run starts from the same numbers
    return model.to(device, DTYPES[cfg.dtype])


def make_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig,
                   factor: float = LR_DROP_FACTOR) -> torch.optim.lr_scheduler.ReduceLROnPlateau:
    """§5's schedule: "divide the learning rate by 10 when the validation error rate stopped improving
    with the current learning rate" (``factor`` 1/10), at most ``cfg.lr_drops`` times; "stopped
    improving" means ``cfg.lr_patience`` epochs without a lower validation top-1 error (call
    ``step(val_top1)``)."""
    lowest = cfg.lr
    for _ in range(cfg.lr_drops):  # the same products the scheduler will compute
        lowest *= factor
    # min_lr a hair below the last allowed rate, and a change smaller than eps is no change: so the
    # last drop lands exactly on cfg.lr · factor**lr_drops and any further "drop" does nothing
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=factor, patience=cfg.lr_patience, min_lr=lowest * (1 - 1e-9),
        eps=lowest * 1e-3)
