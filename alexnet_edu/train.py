"""The paper's training recipe as a program that can run for days without losing work (§5).

"We trained our models using stochastic gradient descent with a batch size of 128 examples,
momentum of 0.9, and weight decay of 0.0005. [...] We used an equal learning rate for all layers,
which we adjusted manually throughout training. The heuristic which we followed was to divide the
learning rate by 10 when the validation error rate stopped improving with the current learning
rate. The learning rate was initialized at 0.01 and reduced three times prior to termination. We
trained the network for roughly 90 cycles through the training set of 1.2 million images" (§5).

:func:`train` runs that recipe into a *run directory*:

- ``config.json``: the resolved configuration; ``provenance.json``: one entry per session (command,
  commit, libraries, hardware, start and end);
- ``metrics.jsonl`` and ``metrics.csv``: one row per epoch (losses, top-1/top-5 errors, learning
  rate, images/s, unreadable and converted images), rewritten from the checkpoint's history;
- ``checkpoints/``: a checkpoint after every epoch (and every ``checkpoint_every`` steps, on
  SIGUSR1 and on Ctrl-C), written atomically with its SHA-256 beside it; the newest
  ``keep_checkpoints`` are kept; a damaged one is renamed ``*.pt.damaged`` and one written while the
  run diverged ``*.pt.diverged`` (both kept, neither resumed from);
- ``data_problems.jsonl``: the entries the folder listing left out (broken links, loops, FIFOs), then
  the files that were skipped or converted, in training and validation, per epoch;
- ``.lock``: held by the process that trains in the folder (:class:`RunDirectory`).

Resuming (``resume=RUN_DIR``) continues exactly where the newest checkpoint left off: every random
choice is a function of the seed, the epoch and the image (the order of an epoch, each image's crop,
reflection and colour shift), and the checkpoint holds the generator that dropout draws from, so an
interrupted run ends with the same weights, bit for bit, as one that was never interrupted. A
resume keeps the configuration the run started with; ``init_from`` starts a new run, with other
settings, from a checkpoint's weights.

More than one device: ``model="two-tower"`` with ``devices="cuda:0,cuda:1"`` is the paper's own
split, one column per GPU (§3.2); ``train(..., distributed=True)`` in processes started by
``torchrun`` is today's data parallelism (:mod:`alexnet_edu.parallel`). :data:`RECIPES` names the
paper's ILSVRC-2012 run in both forms.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import signal
import sys
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from . import data
from .metrics import topk_correct
from .optim import PaperSGD
from .parallel import Distributed, init_distributed, shard_batches
from .paper import (
    BATCH_SIZE,
    CROP_SIZE,
    EPOCHS,
    INPUT_SIZE,
    LEARNING_RATE,
    LR_DROP_FACTOR,
    LR_DROPS,
    MOMENTUM,
    PCA_ALPHA_STD,
    RESIZE_SIZE,
    TOP_K,
    WEIGHT_DECAY,
)
from .provenance import Provenance, file_digest, write_atomic, write_json_atomic
from .transforms import IMAGENET_EIGVAL, IMAGENET_EIGVEC, PCALighting, dataset_stats, eval_transform, train_transform

MODELS = ("alexnet", "two-tower", "torchvision-alexnet", "small")
INITS = ("paper", "caffe", "default")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
# (rescale side, crop side) per model: the paper's 256 → 227; torchvision's AlexNet takes 224;
# the small CIFAR-10 network of the experiments takes 28×28 patches of 32×32 images.
SIZES = {"alexnet": (RESIZE_SIZE, INPUT_SIZE), "two-tower": (RESIZE_SIZE, INPUT_SIZE),
         "torchvision-alexnet": (RESIZE_SIZE, CROP_SIZE), "small": (32, 28)}
VAL_SPLIT = {"imagenette": "val", "imagenet": "val", "cifar10": "test"}
STALL_MIN_STEPS = 40
# Tests only: the process kills itself (SIGKILL) after this many training steps, to show that a run
# killed in the middle of an epoch resumes to the same weights.
KILL_ENV = "ALEXNET_EDU_KILL_AT_STEP"


class TrainingError(RuntimeError):
    """A run that cannot go on; the message says why and what to do."""


class CheckpointError(TrainingError):
    """A checkpoint that cannot be read."""


@dataclass
class TrainConfig:
    """Everything that decides a run. Defaults are the paper's (§5) where it states them."""

    dataset: str = "imagenette"
    model: str = "alexnet"
    root: Optional[str] = None
    epochs: int = EPOCHS
    batch_size: int = BATCH_SIZE
    lr: float = LEARNING_RATE
    momentum: float = MOMENTUM
    weight_decay: float = WEIGHT_DECAY
    lr_drops: int = LR_DROPS  # "reduced three times prior to termination"
    lr_patience: int = 3  # epochs without a better validation error before ε ÷ 10 (not stated in the paper)
    init: str = "paper"  # paper: N(0, 0.01), biases 1 (§5); caffe: Caffe's reference fix; default: PyTorch's
    lrn_convention: str = "paper"  # paper: α on the plain sum (§3.3 as printed); cuda-convnet2: α/n (Krizhevsky's code)
    dropout_convention: str = "inverted"  # inverted: torch.nn.Dropout (×2 in training); paper: ×0.5 at test (§4.2)
    pca: str = "dataset"  # dataset: the training set's own PCA (§4.1); imagenet: fb.resnet.torch's constants; off
    pca_scale: str = "eigval"  # the paper's formula (λ) or Krizhevsky's code (stddev, √λ)
    resize: Optional[int] = None  # None: the model's size (SIZES)
    crop: Optional[int] = None
    train_limit: Optional[int] = None  # a fixed random subset of the training images
    val_limit: Optional[int] = None
    stats_limit: Optional[int] = None  # images behind the mean image and PCA (None: the whole training set)
    verify: bool = True  # the splits must have the official number of images (off for subsets and partial copies)
    workers: int = 2
    seed: int = 0
    device: str = "auto"
    devices: Optional[str] = None  # two-tower only: "cuda:0,cuda:1" puts column 1 on cuda:0 and column 2 on cuda:1
    amp: Optional[bool] = None  # None: on for CUDA, off on CPU
    dtype: str = "float32"  # float64: weights and arithmetic in double precision, to test equivalences exactly
    channels_last: bool = False
    compile: bool = False
    checkpoint_every: int = 0  # steps; 0: only at the end of every epoch
    keep_checkpoints: int = 2
    tensorboard: bool = False
    init_from: Optional[str] = None  # a checkpoint whose weights start this new run (its optimizer state does not)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {', '.join(MODELS)}, got {self.model!r}")
        if self.lrn_convention not in ("paper", "cuda-convnet2"):
            raise ValueError(f"lrn_convention must be paper or cuda-convnet2, got {self.lrn_convention!r}")
        if self.dropout_convention not in ("inverted", "paper"):
            raise ValueError(f"dropout_convention must be inverted or paper, got {self.dropout_convention!r}")
        if (self.lrn_convention, self.dropout_convention) != ("paper", "inverted") and self.model not in (
                "alexnet", "two-tower"):
            raise ValueError("lrn_convention and dropout_convention are settings of the paper's network: use them "
                             "with --model alexnet or two-tower")
        if self.dataset not in VAL_SPLIT:
            raise ValueError(f"dataset must be one of {', '.join(VAL_SPLIT)}, got {self.dataset!r}")
        if self.init not in INITS:
            raise ValueError(f"init must be one of {', '.join(INITS)}, got {self.init!r}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.dtype == "float64" and self.amp:
            raise ValueError("mixed precision (--amp) computes in float16: it cannot be combined with --dtype float64")
        if self.pca not in ("dataset", "imagenet", "off"):
            raise ValueError(f"pca must be 'dataset', 'imagenet' or 'off', got {self.pca!r}")
        if self.init != "default" and self.model == "small" and self.init != "paper":
            raise ValueError("the small network has only the paper's N(0, 0.01) initialisation or init='default'")
        if self.devices is not None:
            if self.model != "two-tower":
                raise ValueError(f"devices places the two columns of the two-tower network, not of {self.model!r}: "
                                 "add --model two-tower, or leave out --devices")
            if len([d for d in self.devices.split(",") if d.strip()]) != 2:
                raise ValueError(f"devices needs one device per column, two in all (for example cuda:0,cuda:1), "
                                 f"got {self.devices!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"the learning rate must be a positive number, got {self.lr}")
        for name in ("train_limit", "val_limit", "stats_limit"):
            if getattr(self, name) is not None and getattr(self, name) <= 0:
                raise ValueError(f"{name} must be a positive number of images, got {getattr(self, name)}")
        for name in [self.device] + ([d.strip() for d in self.devices.split(",")] if self.devices else []):
            if name != "auto":
                try:
                    torch.device(name)
                except RuntimeError:
                    raise ValueError(f"{name!r} is not a device: use cpu, cuda, cuda:1, ... (or auto)") from None
        if self.init_from is not None and not Path(self.init_from).is_file():
            raise ValueError(f"--init-from {self.init_from}: there is no such checkpoint file")
        if self.keep_checkpoints < 2:
            raise ValueError("keep_checkpoints must be at least 2, so that a damaged newest one has a predecessor")
        for name in ("epochs", "batch_size", "workers", "checkpoint_every", "lr_drops", "lr_patience"):
            if getattr(self, name) < (1 if name in ("epochs", "batch_size") else 0):
                raise ValueError(f"{name} must be {'positive' if name in ('epochs', 'batch_size') else '>= 0'}, "
                                 f"got {getattr(self, name)}")
        self.resize = self.resize or SIZES[self.model][0]
        self.crop = self.crop or SIZES[self.model][1]
        if self.crop > self.resize:
            raise ValueError(f"crop ({self.crop}) cannot be larger than resize ({self.resize})")
        if self.model in ("alexnet", "two-tower") and self.crop not in (INPUT_SIZE, CROP_SIZE):
            raise ValueError(f"the paper's network takes {INPUT_SIZE} (or {CROP_SIZE}) pixel crops, got crop={self.crop}")

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
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


# --- data -------------------------------------------------------------------------------------


def _mix(*numbers: int) -> int:
    """A seed from several integers (seed, epoch, image): different tuples give unrelated seeds."""
    h = 0x9E3779B97F4A7C15
    for n in numbers:
        h = (h ^ (n + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2))) & 0xFFFFFFFFFFFFFFFF
    return h & 0x7FFFFFFFFFFFFFFF


class TrainImages(Dataset):
    """``(input, label, index, status)`` for every image of a folder dataset, robust to bad files.

    Each image's random augmentation is drawn from a generator seeded by (seed, epoch, index), so
    it is the same whichever worker process reads the image and whenever: that is what makes a
    resumed run identical to an uninterrupted one. Bad files come back with ``input=None`` and a
    status (:func:`alexnet_edu.data.read_rgb`), and :func:`collate` leaves them out of the batch.
    """

    def __init__(self, samples: Sequence[tuple[str, int]], transform, seed: int) -> None:
        self.samples, self.transform, self.seed, self.epoch = list(samples), transform, seed, 0

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        image, status, _ = data.read_rgb(path)
        if image is None:
            return None, label, index, status
        with torch.random.fork_rng(devices=[]):  # leave the caller's generator (dropout's) alone
            torch.manual_seed(_mix(self.seed, self.epoch, index))
            x = self.transform(image)
        return x, label, index, status


def collate(batch):
    """Stack the good images; report the indices of the skipped and the converted ones."""
    good = [b for b in batch if b[0] is not None]
    skipped = [b[2] for b in batch if b[3] == data.READ_SKIPPED]
    converted = [b[2] for b in batch if b[3] == data.READ_CONVERTED]
    if not good:
        return None, None, skipped, converted
    x = torch.stack([b[0] for b in good])
    y = torch.tensor([b[1] for b in good], dtype=torch.int64)
    return x, y, skipped, converted


def _collate_with_indices(batch):
    """:func:`collate`, and the dataset indices of the images in the batch."""
    return collate(batch), [b[2] for b in batch if b[0] is not None]


def _subset(samples: list, limit: Optional[int], seed: int) -> list:
    if limit is None or limit >= len(samples):
        return samples
    if limit <= 0:
        raise ValueError(f"a limit must be a positive number of images, got {limit}")
    keep = torch.randperm(len(samples), generator=torch.Generator().manual_seed(seed))[:limit]
    return [samples[i] for i in sorted(keep.tolist())]


def _datasets(cfg: TrainConfig, progress: bool = True,
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
            "program reads image folders; use the ImageFolder copy (see `python -m alexnet_edu where`)"
        )
    # once per dataset, then cached (for ILSVRC-2012's 1.28 million photos, with the run's worker processes)
    stats = None
    if dist is None or dist.is_main:
        stats = dataset_stats(cfg.dataset, "train", cfg.root, size=cfg.resize, limit=cfg.stats_limit, seed=cfg.seed,
                              verify=cfg.verify and cfg.stats_limit is None, num_workers=cfg.workers,
                              progress=progress)
    if dist is not None:
        stats = dist.broadcast(stats)
    if cfg.pca == "off":
        pca = None
    elif cfg.pca == "imagenet":
        pca = PCALighting(PCA_ALPHA_STD, IMAGENET_EIGVAL, IMAGENET_EIGVEC, scale=cfg.pca_scale)
    else:
        eigval, eigvec = stats.pca()
        pca = PCALighting(PCA_ALPHA_STD, eigval, eigvec, scale=cfg.pca_scale)
    mean = stats.mean_image
    train = TrainImages(_subset(train_set.samples, cfg.train_limit, cfg.seed),
                        train_transform(mean, crop_size=cfg.crop, pca=pca, size=cfg.resize), cfg.seed)
    val = TrainImages(_subset(val_set.samples, cfg.val_limit, cfg.seed),
                      eval_transform(mean, crop_size=cfg.crop, size=cfg.resize), cfg.seed)
    # what the listing of each folder left out (links that lead nowhere, FIFOs, loops), with the reason
    train.left_out, val.left_out = getattr(train_set, "problems", []), getattr(val_set, "problems", [])
    return train, val, list(train_set.classes)


# --- model ------------------------------------------------------------------------------------


def init_caffe_(model: nn.Module) -> nn.Module:
    """Caffe's reference AlexNet (``bvlc_alexnet``): N(0, 0.01) weights but N(0, 0.005) in fc6 and fc7,
    and biases of 0.1 where the paper has 1 — the change Caffe's users made after the paper's
    initialisation left the loss stuck at ln 1000 for a long time."""
    from .paper import BIAS_ONE_LAYERS

    for name, module in model.named_modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            layer = name.rsplit(".", 1)[-1]
            nn.init.normal_(module.weight, std=0.005 if layer in ("fc6", "fc7") else 0.01)
            nn.init.constant_(module.bias, 0.1 if layer in BIAS_ONE_LAYERS else 0.0)
    return model


def column_devices(cfg: TrainConfig, device: torch.device) -> list[torch.device]:
    """Where the two-tower network's columns go: ``cfg.devices``, else both on ``device``."""
    if cfg.devices:
        return [_device(name.strip()) for name in cfg.devices.split(",")]
    return [device, device]


def build_model(cfg: TrainConfig, num_classes: int, device: Optional[torch.device] = None) -> nn.Module:
    """The network a configuration names, initialised as it says, on ``device`` (default CPU).

    The two-tower network is drawn as :class:`~alexnet_edu.model.AlexNet` and then split
    (:meth:`~alexnet_edu.model.TwoTowerAlexNet.from_alexnet`), so with the same seed both start as
    the same function; its columns go to :func:`column_devices`.
    """
    device = device or torch.device("cpu")
    if cfg.model == "two-tower":
        from .model import TwoTowerAlexNet

        whole = build_model(TrainConfig.from_dict({**asdict(cfg), "model": "alexnet", "devices": None}), num_classes)
        return TwoTowerAlexNet.from_alexnet(whole, devices=column_devices(cfg, device))
    # drawn in float32 whatever the dtype, so that a float64 run starts from the same numbers
    return _build_single(cfg, num_classes).to(device, DTYPES[cfg.dtype])


def _build_single(cfg: TrainConfig, num_classes: int) -> nn.Module:
    if cfg.model == "alexnet":
        from .model import AlexNet, init_paper_

        model = AlexNet(num_classes=num_classes, input_size=cfg.crop, init=False, lrn_convention=cfg.lrn_convention,
                        dropout_convention=cfg.dropout_convention)
        if cfg.init == "paper":
            init_paper_(model)
        elif cfg.init == "caffe":
            init_caffe_(model)
        else:  # PyTorch's own initialisation of every layer
            for module in model.modules():
                if isinstance(module, (nn.Conv2d, nn.Linear)):
                    module.reset_parameters()
        return model
    if cfg.model == "torchvision-alexnet":
        from torchvision.models import alexnet

        model = alexnet(num_classes=num_classes)  # torchvision's variant, its own initialisation
        if cfg.init != "default":
            raise ValueError("torchvision-alexnet has its own layer names: use --init default")
        return model
    from .experiments import SmallConvNet, SmallNetConfig

    model = SmallConvNet(SmallNetConfig(crop=cfg.crop), num_classes=num_classes)
    if cfg.init == "default":
        for module in model.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.reset_parameters()
    return model


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TrainingError(f"device {name} was asked for, but PyTorch sees no CUDA GPU; use --device cpu")
    return device


# --- checkpoints -------------------------------------------------------------------------------


def _checkpoint_name(epoch: int, step: int) -> str:
    # epoch: epochs finished; step: batches finished in the epoch after them
    return f"ckpt-e{epoch:04d}-s{step:07d}.pt"


def list_checkpoints(run_dir: Path) -> list[Path]:
    """The run's checkpoints, oldest first."""
    return sorted((Path(run_dir) / "checkpoints").glob("ckpt-e*-s*.pt"))


def _checksum_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def save_checkpoint(run_dir: Path, state: dict[str, Any], keep: int) -> Path:
    """Write a checkpoint atomically, with its SHA-256 beside it (``NAME.pt.sha256``), then delete all
    but the newest ``keep``."""
    folder = Path(run_dir) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _checkpoint_name(state["epoch"], state["step"])
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        # the checksum of the bytes on disk, read back: first beside the file, then the file in place
        write_atomic(_checksum_file(path), (file_digest(tmp) + "\n").encode())
        os.replace(tmp, path)  # a crash leaves the old checkpoints and at most a stray .tmp
    finally:
        tmp.unlink(missing_ok=True)
    for old in list_checkpoints(run_dir)[:-keep]:
        old.unlink()
        _checksum_file(old).unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint (tensors and plain values only: ``weights_only=True``), after checking it
    against the SHA-256 stored beside it (checkpoints written before checksums have none)."""
    path = Path(path)
    others = [p for p in list_checkpoints(path.parent.parent) if p != path]
    fix = (f"The previous checkpoint {others[-1].name} is a candidate: `--resume` falls back to the newest "
           f"intact checkpoint by itself." if others else "No other checkpoint of this run is left; start a new run.")
    stored = _checksum_file(path)
    if stored.is_file() and stored.read_text().strip() != file_digest(path):
        raise CheckpointError(f"checkpoint {path} does not match its SHA-256 ({stored.name}): it was changed or damaged "
                              f"on disk. {fix}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated, damaged, or not a checkpoint at all
        raise CheckpointError(f"cannot read checkpoint {path} ({type(err).__name__}: {err}). {fix}") from None
    if not isinstance(state, dict) or not {"model", "optimizer", "epoch", "step"} <= state.keys():
        raise CheckpointError(f"{path} is not a checkpoint of this training program")
    return state


def newest_intact_checkpoint(run_dir: Path) -> Optional[tuple[Path, dict[str, Any]]]:
    """The newest checkpoint of a run that reads and matches its checksum, and its contents; damaged
    newer ones are renamed ``NAME.pt.damaged`` (kept, never deleted, no longer counted) with a message."""
    for path in reversed(list_checkpoints(run_dir)):
        try:
            return path, load_checkpoint(path)
        except CheckpointError as err:
            damaged = path.with_name(path.name + ".damaged")
            os.replace(path, damaged)
            print(f"warning: {str(err).split('. ')[0]}; kept as {damaged.name}, trying the one before", file=sys.stderr)
    return None


# --- the run directory --------------------------------------------------------------------------


class RunDirectory:
    """The run directory, held by one process while it trains (the first process under ``torchrun``).

    Entering takes an exclusive lock on ``RUN_DIR/.lock`` (a second process gets an error naming the
    first one's PID), refuses a new run in a folder that already holds one, and removes the temporary
    files that a killed write left (``.*.tmp``). Leaving a *new* run with an error before its first
    checkpoint removes what the run wrote, so that the corrected command can use the same folder.
    """

    LOCK = ".lock"

    def __init__(self, run_dir: Path, new: bool) -> None:
        self.run_dir, self.new = Path(run_dir), new
        self.existed = self.run_dir.exists()
        self._lock = None

    def __enter__(self) -> "RunDirectory":
        import fcntl

        if self.existed and not self.run_dir.is_dir():
            raise TrainingError(f"{self.run_dir} is a file, not a run directory: choose another --out")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._lock = open(self.run_dir / self.LOCK, "a+")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.seek(0)
            holder = self._lock.read().strip() or "unknown"
            self._lock.close()
            raise TrainingError(f"another process (PID {holder}) is training in {self.run_dir}: wait for it to finish, "
                                f"or stop it (kill -INT {holder}) and resume; two processes must not write one run") from None
        self._lock.seek(0)
        self._lock.truncate()
        self._lock.write(f"{os.getpid()}\n")
        self._lock.flush()
        if self.new and any(p.name != self.LOCK for p in self.run_dir.iterdir()):
            self._release()
            raise TrainingError(f"{self.run_dir} already holds a run: resume it with --resume {self.run_dir}, or choose "
                                "another --out; nothing of it is overwritten")
        for folder in (self.run_dir, self.run_dir / "checkpoints", self.run_dir / "conv1"):
            for stray in folder.glob(".*.tmp") if folder.is_dir() else ():
                stray.unlink()  # a write that was killed: we hold the lock, nobody else is writing
        return self

    def __exit__(self, kind, error, traceback) -> None:
        try:
            if kind is not None and self.new and not list_checkpoints(self.run_dir):
                import shutil

                for entry in self.run_dir.iterdir():  # nothing to resume from: leave the folder as it was
                    if entry.name != self.LOCK:
                        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
                (self.run_dir / self.LOCK).unlink(missing_ok=True)
                if not self.existed:
                    self.run_dir.rmdir()
        finally:
            self._release()

    def _release(self) -> None:
        if self._lock is not None and not self._lock.closed:
            self._lock.close()  # closing the file releases the lock


# --- the loop -----------------------------------------------------------------------------------


def _epoch_order(n: int, seed: int, epoch: int) -> list[int]:
    return torch.randperm(n, generator=torch.Generator().manual_seed(_mix(seed, epoch, -1))).tolist()


class _Flags:
    """Set by signal handlers: save a checkpoint after this batch (SIGUSR1), or save and stop (Ctrl-C,
    and SIGTERM, which torchrun and cluster schedulers send before they kill a job)."""

    def __init__(self) -> None:
        self.save = self.stop = False

    def install(self) -> dict:
        old: dict = {}
        wanted = [(signal.SIGINT, "stop"), (signal.SIGTERM, "stop")]
        if hasattr(signal, "SIGUSR1"):  # not on Windows
            wanted.append((signal.SIGUSR1, "save"))
        for sig, flag in wanted:
            try:
                old[sig] = signal.signal(sig, lambda *_, flag=flag: setattr(self, flag, True))
            except ValueError:  # not the main thread: no handlers, checkpoints at epoch ends still work
                pass
        return old


def _at_least_float32(out: torch.Tensor) -> torch.Tensor:
    """Logits for the loss: float16 ones (mixed precision) in float32, float64 ones left as they are."""
    return out.to(torch.promote_types(out.dtype, torch.float32))


def evaluate_loader(model: nn.Module, loader: DataLoader, device: torch.device, amp: bool,
                    dist: Optional[Distributed] = None) -> dict[str, float]:
    """Loss and top-1/top-5 error of ``model`` over a loader of :func:`collate` batches (with ``dist``:
    over the loaders of all processes, each holding its share of the images), and the files that were
    skipped (unreadable) or converted to RGB."""
    model.eval()
    dtype = next(model.parameters()).dtype  # the inputs follow the weights (float64 runs)
    n = loss = wrong1 = wrong5 = 0.0
    skipped, converted = [], []
    with torch.no_grad():
        for x, y, bad, changed in loader:
            skipped += [loader.dataset.samples[i][0] for i in bad]
            converted += [loader.dataset.samples[i][0] for i in changed]
            if x is None:
                continue
            x, y = x.to(device, dtype, non_blocking=True), y.to(device, non_blocking=True)
            with torch.autocast(device.type, enabled=amp):
                out = model(x)
            loss += F.cross_entropy(_at_least_float32(out), y, reduction="sum").item()
            wrong1 += (~topk_correct(out, y, 1)).sum().item()
            wrong5 += (~topk_correct(out, y, min(TOP_K, out.shape[1]))).sum().item()
            n += len(y)
    if dist is not None:
        loss, wrong1, wrong5, n = dist.sum([loss, wrong1, wrong5, n], device)
        skipped, converted = ([name for part in dist.gather(names) for name in part] for names in (skipped, converted))
    if n == 0:
        raise TrainingError("no readable validation image: check the validation folder")
    return {"loss": loss / n, "top1": wrong1 / n, "top5": wrong5 / n, "skipped": skipped, "converted": converted}


def save_conv1(model: nn.Module, run_dir: Path, epoch: int) -> Optional[Path]:
    """Keep conv1's kernels after ``epoch`` epochs in ``RUN_DIR/conv1/epoch-NNNN.npy`` (float32, 139 KB for
    the paper's 96 kernels), for pictures of how the first layer changes over a run; checkpoints are
    deleted as training goes on, these are not. Networks without a ``conv1`` are skipped."""
    from .visualize import conv1_weight

    try:
        weight = conv1_weight(model)
    except ValueError:  # the small network and torchvision's have no layer of that name
        return None
    folder = Path(run_dir) / "conv1"
    folder.mkdir(exist_ok=True)
    path = folder / f"epoch-{epoch:04d}.npy"
    tmp = folder / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        np.save(f, weight.float().numpy())
    os.replace(tmp, path)
    return path


def _write_metrics(run_dir: Path, history: list[dict[str, Any]]) -> None:
    lines = "".join(json.dumps(row) + "\n" for row in history)
    tmp = run_dir / ".metrics.jsonl.tmp"
    tmp.write_text(lines)
    os.replace(tmp, run_dir / "metrics.jsonl")
    if history:
        tmp = run_dir / ".metrics.csv.tmp"
        columns = [k for k in history[0] if not isinstance(history[0][k], list)]
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(history)
        os.replace(tmp, run_dir / "metrics.csv")


def stall_message(first_epoch_losses: Sequence[float], num_classes: int, init: str = "paper") -> Optional[str]:
    """A warning when the loss sat at ln(C) through the whole first epoch, else ``None``.

    A network whose output no longer depends on the image can do no better than the class
    frequencies, a loss of ln C for balanced classes. A run whose loss still sits there at the end of
    the first epoch has stalled, as Caffe's users reported for the paper's initialisation. (At the
    start the loss is not ln C: the initial scores differ between classes, though hardly between
    images.)
    """
    if len(first_epoch_losses) < STALL_MIN_STEPS:  # too short an epoch to call anything a stall
        return None
    tail = first_epoch_losses[len(first_epoch_losses) * 3 // 4:]
    chance = math.log(num_classes)
    if max(abs(v - chance) for v in tail) > 0.02 * chance:
        return None
    stuck = (f"the training loss stayed at ln({num_classes}) = {chance:.3f} through the whole first epoch: the "
             f"network still scores every class alike.")
    if init != "paper":
        return (f"{stuck} Check that the labels match the images, and try a smaller learning rate "
                f"(--lr) or the paper's initialisation (--init paper).")
    return (
        f"{stuck} Users of Caffe reported this stall for the paper's initialisation (weights N(0, 0.01), "
        f"biases of 1); it can last for many iterations and then end by itself. Remedies: start again with --init caffe (fc6 and fc7 weights "
        f"N(0, 0.005), biases 0.1, as Caffe's reference model) or --init default (PyTorch's), or a smaller learning "
        f"rate for the first epoch."
    )


def make_scheduler(optimizer: torch.optim.Optimizer, cfg: TrainConfig) -> torch.optim.lr_scheduler.ReduceLROnPlateau:
    """§5's schedule: "divide the learning rate by 10 when the validation error rate stopped improving
    with the current learning rate", at most ``cfg.lr_drops`` times; "stopped improving" means
    ``cfg.lr_patience`` epochs without a lower validation top-1 error (call ``step(val_top1)``)."""
    lowest = cfg.lr
    for _ in range(cfg.lr_drops):  # the same products the scheduler will compute
        lowest *= LR_DROP_FACTOR
    # min_lr a hair below the last allowed rate, and a change smaller than eps is no change: so the
    # last drop lands exactly on cfg.lr / 10**lr_drops and any further "drop" does nothing
    return torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="min", factor=LR_DROP_FACTOR, patience=cfg.lr_patience, min_lr=lowest * (1 - 1e-9),
        eps=lowest * 1e-3)


def _check_extras(cfg: TrainConfig) -> None:
    """Fail before anything is written when an option needs a package that is not installed."""
    if cfg.tensorboard:
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None:
            raise TrainingError("--tensorboard needs the tensorboard package: pip install tensorboard "
                                "(or pip install 'alexnet-edu[tensorboard]'), or leave out --tensorboard")


def train(cfg: Optional[TrainConfig] = None, run_dir: Optional[os.PathLike | str] = None, *,
          resume: bool = False, argv: Optional[Sequence[str]] = None, progress: bool = True,
          lr_override: Optional[float] = None, max_steps: Optional[int] = None,
          distributed: bool = False) -> dict[str, Any]:
    """Train ``cfg`` into ``run_dir`` (new), or with ``resume=True`` continue the run in ``run_dir``
    from its newest checkpoint (its ``config.json`` decides; ``lr_override`` sets a new learning rate).

    ``max_steps`` stops (with a checkpoint) after that many optimisation steps in this session, for
    tests and demonstrations. ``distributed=True`` joins the processes ``torchrun`` started and
    trains with :class:`~torch.nn.parallel.DistributedDataParallel`: ``cfg.batch_size`` stays the
    global batch, each process trains on its share of it (:func:`alexnet_edu.parallel.shard_batches`),
    and only the first process writes. Returns the history of finished epochs.
    """
    if run_dir is None:
        raise ValueError("give run_dir, the folder of the run")
    run_dir = Path(run_dir)
    if max_steps is not None and max_steps < 1:
        raise ValueError(f"--max-steps must be at least 1, got {max_steps}")
    if lr_override is not None and not (math.isfinite(lr_override) and lr_override > 0):
        raise ValueError(f"the learning rate must be a positive number, got {lr_override}")
    if resume:
        if not (run_dir / "config.json").is_file():
            raise TrainingError(f"{run_dir} is not a run directory (no config.json): nothing to resume")
        cfg = TrainConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    elif cfg is None:
        raise ValueError("give a TrainConfig for a new run")
    else:
        for split in ("train", VAL_SPLIT[cfg.dataset]):  # missing data is an error now, before the folder exists
            data.find_dataset(cfg.dataset, split, cfg.root)
    _check_extras(cfg)
    if distributed and cfg.devices:
        raise TrainingError("--devices puts one network's two columns on two GPUs; --distributed gives every process "
                            "one GPU and a whole network. Use one of them (for the two-tower network under torchrun, "
                            "leave out --devices: both columns then share the process's GPU)")
    device = _device(cfg.device)
    if cfg.model == "two-tower":
        column_devices(cfg, device)  # a missing GPU is an error now, before anything is written
    dist = init_distributed(device.type) if distributed else Distributed()
    try:
        if dist.enabled and device.type == "cuda":
            device = torch.device("cuda", dist.local_rank)  # one GPU per process
            torch.cuda.set_device(device)
        if not dist.is_main:
            return _train(cfg, run_dir, resume, argv, False, lr_override, max_steps, device, dist)
        with RunDirectory(run_dir, new=not resume):
            return _train(cfg, run_dir, resume, argv, progress, lr_override, max_steps, device, dist)
    finally:
        dist.close()


def _train(cfg: TrainConfig, run_dir: Path, resume: bool, argv: Optional[Sequence[str]], progress: bool,
           lr_override: Optional[float], max_steps: Optional[int], device: torch.device,
           dist: Distributed) -> dict[str, Any]:
    main = dist.is_main
    if resume:
        intact = newest_intact_checkpoint(run_dir) if main else None
        found = dist.broadcast(intact[0].name if intact else None)  # every process resumes from the same one
        state = intact[1] if intact else load_checkpoint(run_dir / "checkpoints" / found) if found else None
        if found is None and list(run_dir.glob("checkpoints/*.damaged")):
            raise TrainingError(f"{run_dir} has no intact checkpoint left (the damaged ones are kept as *.damaged): "
                                "start a new run")
        # settings that did not exist when an older checkpoint was written count as their defaults
        stored = {**{f.name: f.default for f in fields(TrainConfig)}, **(state or {}).get("config", asdict(cfg))}
        changed = {k: (stored.get(k), v) for k, v in asdict(cfg).items() if stored.get(k) != v}
        if changed:
            raise TrainingError(
                f"{run_dir / 'config.json'} was changed after its checkpoint was written "
                f"({', '.join(f'{k}: {a!r} -> {b!r}' for k, (a, b) in changed.items())}): a resumed run keeps the "
                f"configuration it started with. Put config.json back, or start a new run from this checkpoint with "
                f"the settings you want: python -m alexnet_edu train --out NEW_RUN --init-from "
                f"{run_dir / 'checkpoints' / found} ...")
    else:
        dist.barrier()  # every process has looked before the first one writes
        if main:
            write_json_atomic(run_dir / "config.json", asdict(cfg))
        state = None
    if cfg.batch_size < dist.world_size:
        raise TrainingError(f"a batch of {cfg.batch_size} cannot be shared by {dist.world_size} processes: "
                            f"use --batch-size {dist.world_size} or more (the batch is the global one)")

    sessions_path = run_dir / "provenance.json"
    prov = Provenance(argv)
    prov.record["processes"] = dist.world_size
    if main:
        sessions = json.loads(sessions_path.read_text())["sessions"] if sessions_path.is_file() else []
        sessions.append(prov.record)
        write_json_atomic(sessions_path, {"sessions": sessions})

    amp = cfg.amp if cfg.amp is not None else (device.type == "cuda" and cfg.dtype == "float32")
    train_set, val_set, classes = _datasets(cfg, progress, dist)
    num_classes = len(classes)
    torch.manual_seed(cfg.seed)
    core = build_model(cfg, num_classes, device)
    if cfg.model == "two-tower":
        device = core.devices[0]  # inputs and labels go where the logits come out
    if cfg.channels_last:
        core = core.to(memory_format=torch.channels_last)
    optimizer = PaperSGD(core.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    scheduler = make_scheduler(optimizer, cfg)
    history: list[dict[str, Any]] = []
    epoch, step = 0, 0
    if state is None and cfg.init_from is not None:
        try:
            core.load_state_dict(load_checkpoint(Path(cfg.init_from))["model"])
        except RuntimeError as err:
            raise TrainingError(f"--init-from {cfg.init_from}: its weights do not fit this network "
                                f"({str(err).splitlines()[0]}); give a checkpoint of the same --model with as many "
                                f"classes") from None
    if state is not None:
        core.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        history, epoch, step = list(state["history"]), int(state["epoch"]), int(state["step"])
        _restore_rng(state, cfg, dist, epoch, step, core)
        if lr_override is not None:
            for group in optimizer.param_groups:
                group["lr"] = lr_override
    model: nn.Module = core
    if dist.enabled:
        from torch.nn.parallel import DistributedDataParallel

        # gradients are averaged over the processes during backward, bucket by bucket
        model = DistributedDataParallel(core, device_ids=[device] if device.type == "cuda" else None)
    forward = torch.compile(model) if cfg.compile else model
    if main:
        _write_metrics(run_dir, history)
        if state is None:
            save_conv1(core, run_dir, 0)  # the kernels before training, for pictures of how they change

    writer = None
    if cfg.tensorboard and main:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(str(run_dir / "tensorboard"))

    def loader(dataset: TrainImages, batches: list[list[int]], seed: int) -> DataLoader:
        # A generator of its own: starting an iteration draws the workers' base seed from it. From the
        # global generator, which dropout draws from and a checkpoint saves, that draw would shift every
        # later dropout mask of a run resumed in the middle of an epoch.
        return DataLoader(dataset, batch_sampler=batches, collate_fn=collate, num_workers=cfg.workers,
                          persistent_workers=False, pin_memory=device.type == "cuda",
                          generator=torch.Generator().manual_seed(seed))

    val_loader = loader(val_set, shard_batches(range(len(val_set)), cfg.batch_size, dist.rank, dist.world_size),
                        _mix(cfg.seed, -5))
    flags, steps_this_session = _Flags(), 0
    kill_at = int(os.environ[KILL_ENV]) if os.environ.get(KILL_ENV) else None
    old_handlers = flags.install()
    problems = open(run_dir / "data_problems.jsonl", "a") if main else None
    left_out = {"train": train_set.left_out, "val": val_set.left_out}
    if problems is not None and any(left_out.values()):
        problems.write(json.dumps({"listing": {split: [{"file": f, "reason": r} for f, r in entries]
                                               for split, entries in left_out.items()}}) + "\n")
        problems.flush()
        print(f"{len(left_out['train'])} entries of the training folder and {len(left_out['val'])} of the validation "
              f"folder are not images that can be read (links that lead nowhere or in a loop, FIFOs, devices): left "
              f"out, listed in {run_dir / 'data_problems.jsonl'}", file=sys.stderr)

    def checkpoint(epoch: int, step: int, partial: Optional[dict]) -> None:
        if not _finite(core, optimizer):  # never a checkpoint that could not be resumed from
            raise TrainingError(
                f"the weights or the momentum became inf or NaN before checkpoint {_checkpoint_name(epoch, step)}, "
                f"which was not written. " + _set_diverged_aside(run_dir, _all_losses(history, partial), batches,
                                                                 optimizer.param_groups[0]["lr"], main, not resume))
        rngs = dist.gather(torch.get_rng_state())  # every process's dropout generator
        cuda_rngs = dist.gather(_cuda_rng_states(core))  # dropout on a GPU draws from that GPU's generator
        if main:
            values = {"model": core.state_dict(), "optimizer": optimizer.state_dict(),
                      "scheduler": scheduler.state_dict(), "epoch": epoch, "step": step, "history": history,
                      "rng": rngs[0], "rng_ranks": rngs, "cuda_rng_ranks": cuda_rngs, "world_size": dist.world_size,
                      "config": asdict(cfg)}
            if partial is not None:
                values["partial"] = partial
            save_checkpoint(run_dir, values, cfg.keep_checkpoints)

    try:
        while epoch < cfg.epochs:
            train_set.epoch = epoch
            order = _epoch_order(len(train_set), cfg.seed, epoch)
            batches = math.ceil(len(order) / cfg.batch_size)
            if step == 0:  # dropout's generator: a function of the epoch (mid-epoch: restored from the checkpoint)
                torch.manual_seed(_mix(cfg.seed, epoch, -2) if dist.rank == 0 else _mix(cfg.seed, epoch, -2, dist.rank))
                partial = {"loss": 0.0, "wrong1": 0, "wrong5": 0, "n": 0, "skipped": [], "converted": [],
                           "time": 0.0, "step_losses": []}
            else:
                partial = state["partial"]
                partial.setdefault("step_losses", partial.pop("first_losses", []))  # older checkpoints
            model.train()
            save_now = stop_now = 0.0
            bar = tqdm(total=batches, initial=step, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not progress,
                       dynamic_ncols=True)
            start = time.perf_counter()
            batches_left = iter(loader(train_set, shard_batches(order, cfg.batch_size, dist.rank, dist.world_size,
                                                                start=step), _mix(cfg.seed, epoch, step, -4)))
            while True:
                try:
                    x, y, skipped, converted = next(batches_left)
                except StopIteration:
                    break
                except RuntimeError:
                    if not flags.stop:  # Ctrl-C also reaches the DataLoader's workers and ends them
                        raise
                    x, y, skipped, converted = None, None, [], []
                    if not dist.enabled:
                        step -= 1  # no batch was trained: undone by the step += 1 below
                        steps_this_session -= 1
                skipped = [train_set.samples[i][0] for i in skipped]
                converted = [train_set.samples[i][0] for i in converted]
                loss_sum, wrong1, wrong5, k = None, 0, 0, 0
                if x is not None:
                    x, y = x.to(device, DTYPES[cfg.dtype], non_blocking=True), y.to(device, non_blocking=True)
                    if cfg.channels_last:
                        x = x.contiguous(memory_format=torch.channels_last)
                    with torch.autocast(device.type, enabled=amp):
                        out = forward(x)
                        loss_sum = F.cross_entropy(_at_least_float32(out), y, reduction="sum")
                    k = len(y)
                    wrong1 = int((~topk_correct(out, y, 1)).sum())
                    wrong5 = int((~topk_correct(out, y, min(TOP_K, out.shape[1]))).sum())
                elif dist.enabled:
                    # no readable image of this batch fell to this process; it must still take part in the
                    # gradient exchange, with a gradient of zero
                    blank = torch.zeros(1, 3, cfg.crop, cfg.crop, device=device, dtype=DTYPES[cfg.dtype])
                    with torch.autocast(device.type, enabled=amp):
                        loss_sum = _at_least_float32(forward(blank)).sum() * 0.0
                # the whole global batch's numbers, the same in every process (so they all stop together)
                (total_loss, n, wrong1, wrong5, n_skipped, n_converted, save_now, stop_now) = dist.sum(
                    [loss_sum.item() if loss_sum is not None else 0.0, k, wrong1, wrong5, len(skipped),
                     len(converted), flags.save, flags.stop], device)
                if n_skipped or n_converted:
                    for names in dist.gather((skipped, converted)):
                        partial["skipped"] += names[0]
                        partial["converted"] += names[1]
                if n > 0:
                    if not math.isfinite(total_loss):
                        raise TrainingError(
                            f"the loss became {total_loss / n} at epoch {epoch + 1}, step {step + 1} (lr "
                            f"{optimizer.param_groups[0]['lr']:g}): the run stopped. "
                            + _set_diverged_aside(run_dir, _all_losses(history, partial), batches,
                                                  optimizer.param_groups[0]["lr"], main, not resume))
                    optimizer.zero_grad(set_to_none=True)
                    # the mean over the global batch: DistributedDataParallel averages the processes'
                    # gradients, so each process scales its sum by (processes / images in the global batch)
                    (loss_sum * (dist.world_size / n)).backward()
                    optimizer.step()
                    partial["loss"] += total_loss
                    partial["wrong1"] += int(wrong1)
                    partial["wrong5"] += int(wrong5)
                    partial["n"] += int(n)
                    partial["step_losses"].append(total_loss / n)
                    if writer is not None:
                        writer.add_scalar("train/loss", total_loss / n, epoch * batches + step)
                step += 1
                steps_this_session += 1
                if kill_at is not None and steps_this_session == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)
                bar.update(1)
                if partial["n"]:
                    bar.set_postfix(loss=f"{partial['loss'] / partial['n']:.3f}",
                                    top1=f"{partial['wrong1'] / partial['n']:.1%}",
                                    lr=f"{optimizer.param_groups[0]['lr']:g}")
                done = step == batches
                stop = bool(stop_now) or (max_steps is not None and steps_this_session >= max_steps)
                if not done and (save_now or stop or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0)):
                    partial["time"] += time.perf_counter() - start
                    start = time.perf_counter()
                    checkpoint(epoch, step, partial)
                    if save_now:
                        flags.save = False
                if stop and not done:
                    bar.close()
                    if main:
                        print(f"stopped at epoch {epoch + 1}, step {step}; continue with --resume {run_dir}",
                              file=sys.stderr)
                    return {"history": history, "run_dir": str(run_dir), "stopped": True, "main": main}
            bar.close()
            partial["time"] += time.perf_counter() - start
            if partial["n"] == 0:
                raise TrainingError(f"no training image of epoch {epoch + 1} could be read: check the training folder")
            val = evaluate_loader(core, val_loader, device, amp, dist)
            lr = optimizer.param_groups[0]["lr"]
            row = {
                "epoch": epoch + 1, "lr": lr,
                "train_loss": partial["loss"] / partial["n"],
                "train_top1": partial["wrong1"] / partial["n"], "train_top5": partial["wrong5"] / partial["n"],
                "val_loss": val["loss"], "val_top1": val["top1"], "val_top5": val["top5"],
                "images_per_s": partial["n"] / max(partial["time"], 1e-9), "epoch_time_s": partial["time"],
                "skipped": len(partial["skipped"]), "converted": len(partial["converted"]),
                "val_skipped": len(val["skipped"]), "val_converted": len(val["converted"]),
                "step_losses": [round(v, 5) for v in partial["step_losses"]],  # every batch's loss (not in the CSV)
            }
            stall = stall_message(partial["step_losses"], num_classes, cfg.init) if epoch == 0 else None
            row["stall_warning"] = stall is not None
            history.append(row)
            scheduler.step(val["top1"])
            if problems is not None and (partial["skipped"] or partial["converted"] or val["skipped"]
                                         or val["converted"]):
                problems.write(json.dumps({"epoch": epoch + 1, "skipped": partial["skipped"],
                                           "converted": partial["converted"], "val_skipped": val["skipped"],
                                           "val_converted": val["converted"]}) + "\n")
                problems.flush()
                print(f"epoch {epoch + 1}: {len(partial['skipped'])} unreadable image(s) skipped, "
                      f"{len(partial['converted'])} converted to RGB; validation: {len(val['skipped'])} skipped, "
                      f"{len(val['converted'])} converted (listed in {run_dir / 'data_problems.jsonl'})",
                      file=sys.stderr)
            if stall and main:
                print(f"WARNING: {stall}", file=sys.stderr)
            epoch, step = epoch + 1, 0
            checkpoint(epoch, 0, None)
            if main:
                _write_metrics(run_dir, history)
                save_conv1(core, run_dir, epoch)
            if writer is not None:
                for key in ("train_loss", "train_top1", "val_loss", "val_top1", "val_top5", "lr"):
                    writer.add_scalar(key.replace("_", "/", 1), row[key], epoch)
            if progress:
                print(f"epoch {epoch}: train loss {row['train_loss']:.3f}, val top-1 {row['val_top1']:.1%}, "
                      f"top-5 {row['val_top5']:.1%}, lr {lr:g}, {row['images_per_s']:.1f} images/s", file=sys.stderr)
            if bool(stop_now) or (max_steps is not None and steps_this_session >= max_steps):
                break
    finally:
        if problems is not None:
            problems.close()
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)
        if writer is not None:
            writer.close()
        prov.finish()
        if main:
            write_json_atomic(sessions_path, {"sessions": sessions})
    return {"history": history, "run_dir": str(run_dir), "stopped": epoch < cfg.epochs, "main": main}


def _finite(model: nn.Module, optimizer: torch.optim.Optimizer) -> bool:
    """Whether every weight and every momentum buffer is a finite number."""
    tensors = list(model.parameters()) + [t for state in optimizer.state.values() for t in state.values()
                                          if isinstance(t, torch.Tensor)]
    return all(bool(torch.isfinite(t).all()) for t in tensors)


def _all_losses(history: list[dict[str, Any]], partial: Optional[dict]) -> list[float]:
    """Every step's training loss of the run so far, in order (the step losses of the finished epochs,
    then of the current one)."""
    return [v for row in history for v in row.get("step_losses", [])] + list((partial or {}).get("step_losses", []))


# A run diverges when its loss climbs far above where it started: ten times its first step's loss.
DIVERGED = 10.0


def _set_diverged_aside(run_dir: Path, losses: list[float], batches: int, lr_now: float, main: bool,
                        new: bool) -> str:
    """Advice after a run diverged, from the checkpoints it can go on from: the newest one whose weights
    gave a sound loss at the next step. Newer checkpoints, written while the run diverged (their weights
    and momentum can be finite and already exploded), are set aside as ``NAME.pt.diverged`` (kept, no
    longer resumed from), so that ``--resume`` starts from the sound one."""
    limit = DIVERGED * losses[0] if losses else math.inf
    sound = None
    for path in reversed(list_checkpoints(run_dir)):
        epoch, step = (int(v) for v in re.match(r"ckpt-e(\d+)-s(\d+)\.pt", path.name).groups())
        done = epoch * batches + step  # steps behind this checkpoint; losses[done] was computed with its weights
        if done < len(losses) and math.isfinite(losses[done]) and losses[done] <= limit:
            sound = path
            break
        if main:
            os.replace(path, path.with_name(path.name + ".diverged"))
            if _checksum_file(path).is_file():
                os.replace(_checksum_file(path), path.with_name(path.name + ".diverged.sha256"))
    if sound is None and new:  # the run's folder is removed: nothing in it could be resumed
        return (f"No checkpoint was written before the loss climbed beyond {DIVERGED:g} times its first value, so "
                f"nothing of this run is kept: run the same command with a smaller learning rate, for example "
                f"--lr {lr_now / 10:g}")
    if sound is None:
        return (f"No checkpoint is left from before the loss climbed beyond {DIVERGED:g} times its first value (those "
                f"written after are kept as *.pt.diverged): start a new run with a smaller learning rate, for example "
                f"--lr {lr_now / 10:g}")
    sound_lr = load_checkpoint(sound)["optimizer"]["param_groups"][0]["lr"]
    advice_lr = min(lr_now / 10, sound_lr)  # no larger than a rate this run trained well with
    return (f"The newest checkpoint from before the divergence is {sound.name} (its weights gave a loss of "
            f"{losses[epoch * batches + step]:.4g} at the next step); any written after it are kept as *.pt.diverged. "
            f"Go on from it with a smaller learning rate: python -m alexnet_edu train --resume {run_dir} "
            f"--lr {advice_lr:g}")


def _cuda_rng_states(model: nn.Module) -> list[torch.Tensor]:
    """The generators of the GPUs that hold ``model``'s weights (none on a CPU), in device order."""
    devices = sorted({p.device.index or 0 for p in model.parameters() if p.device.type == "cuda"})
    return [torch.cuda.get_rng_state(d) for d in devices]


def _restore_rng(state: dict[str, Any], cfg: TrainConfig, dist: Distributed, epoch: int, step: int,
                 model: nn.Module) -> None:
    """Put back this process's dropout generators (the CPU's and its GPUs'); a run resumed with another
    number of processes or GPUs goes on with fresh streams (correct, but no longer bit for bit what an
    uninterrupted run does)."""
    ranks = state.get("rng_ranks") or ([state["rng"]] if "rng" in state else [])
    cuda_ranks = state.get("cuda_rng_ranks") or [[] for _ in ranks]
    devices = sorted({p.device.index or 0 for p in model.parameters() if p.device.type == "cuda"})
    if len(ranks) == dist.world_size and len(cuda_ranks[dist.rank]) == len(devices):
        torch.set_rng_state(ranks[dist.rank])
        for d, cuda_state in zip(devices, cuda_ranks[dist.rank]):
            torch.cuda.set_rng_state(cuda_state, d)
        return
    if dist.is_main:
        print(f"note: this run was checkpointed by {state.get('world_size', 1)} process(es) and resumes with "
              f"{dist.world_size}, or on another number of GPUs: the dropout masks from here on differ from an "
              f"uninterrupted run's", file=sys.stderr)
    torch.manual_seed(_mix(cfg.seed, epoch, step, -3, dist.rank))


def relu_activity(model: nn.Module, images: torch.Tensor) -> dict[str, float]:
    """The fraction of each ReLU's outputs that are positive on ``images``, by the ReLU's name.

    A layer at 0 is *dead*: it passes no signal up and no gradient down, so nothing below it can
    learn any more, and the network's output no longer depends on the image (loss ln C)."""
    from .visualize import layer_activations

    relus = [name for name, module in model.named_modules() if isinstance(module, nn.ReLU)]
    return {name: (out > 0).float().mean().item() for name, out in layer_activations(model, images, relus).items()}


# --- the small record a chapter loads ------------------------------------------------------------


def evaluate_run(run_dir: os.PathLike | str, *, ten_crop: bool = True, argv: Optional[Sequence[str]] = None,
                 progress: bool = True, device: Optional[str] = None) -> dict[str, Any]:
    """A small JSON-ready record of a run: its configuration, sessions and per-epoch metrics, and the
    newest end-of-epoch checkpoint evaluated on the whole validation split — top-1/top-5 error of the centre patch
    and (``ten_crop``) of the paper's ten patches (§4.1), the confusion matrix, and each image's five
    best classes keyed by file name (not by index, so they survive another copy of the data).
    Never the weights.

    ``device`` overrides the run's own: everything, both columns of a two-tower network included,
    is evaluated there (for example ``"cpu"`` for a run trained on two GPUs)."""
    from .metrics import ten_crop_predict

    run_dir = Path(run_dir)
    checkpoints = list_checkpoints(run_dir)
    if not checkpoints:
        raise TrainingError(f"{run_dir} has no checkpoint to evaluate")
    # the newest checkpoint taken at the end of an epoch, so the weights match the history's last row
    ends = [p for p in checkpoints if p.name.endswith("-s0000000.pt")]
    chosen = ends[-1] if ends else checkpoints[-1]
    state = load_checkpoint(chosen)
    cfg = TrainConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    prov = Provenance(argv)
    run_cfg = cfg
    if device is not None:
        cfg = TrainConfig.from_dict({**asdict(cfg), "device": device, "devices": None})
    target = _device(cfg.device)
    _, val, classes = _datasets(cfg, progress)
    num_classes = len(classes)
    model = build_model(cfg, num_classes, target)
    model.load_state_dict(state["model"])
    model.eval()
    device = next(model.parameters()).device  # where the inputs go (a two-tower network's first column)
    views = {"centre": val.transform}
    if ten_crop:
        mean = next(t.mean for t in val.transform.transforms if hasattr(t, "mean"))  # the SubtractMean step
        views["ten"] = eval_transform(mean, crop_size=cfg.crop, size=cfg.resize, ten=True)
    results: dict[str, Any] = {}
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    top5_by_file: dict[str, list[int]] = {}
    k = min(TOP_K, num_classes)
    for name, transform in views.items():
        loader = DataLoader(TrainImages(val.samples, transform, cfg.seed),
                            batch_size=max(1, cfg.batch_size // (10 if name == "ten" else 1)),
                            num_workers=cfg.workers,
                            collate_fn=_collate_with_indices)
        wrong1 = wrong5 = n = skipped = 0
        with torch.no_grad():
            for (x, y, bad, _), good in tqdm(loader, desc=f"evaluating ({name})", disable=not progress, leave=False):
                skipped += len(bad)
                if x is None:
                    continue
                x = x.to(device, DTYPES[cfg.dtype])
                probs = (ten_crop_predict(model, x) if name == "ten" else model(x).softmax(1)).cpu()
                wrong1 += int((~topk_correct(probs, y, 1)).sum())
                wrong5 += int((~topk_correct(probs, y, k)).sum())
                n += len(y)
                if name == "centre":
                    confusion += torch.bincount(y * num_classes + probs.argmax(1),
                                                minlength=num_classes ** 2).view(num_classes, num_classes)
                    for i, row in zip(good, probs.topk(k, dim=1).indices.tolist()):
                        top5_by_file[Path(val.samples[i][0]).name] = row
        if n == 0:
            raise TrainingError("no readable validation image: check the validation folder")
        results[name] = {"top1": wrong1 / n, "top5": wrong5 / n, "images": n, "skipped": skipped}
    # which ReLUs still fire, on the first validation images (a stalled network has a dead layer)
    first = collate([val[i] for i in range(min(len(val), cfg.batch_size))])[0]
    results["relu_active"] = relu_activity(model, first.to(device, DTYPES[cfg.dtype])) if first is not None else {}
    sessions = json.loads((run_dir / "provenance.json").read_text())["sessions"]
    return {
        "experiment": "train",
        "run": run_dir.name,
        "config": asdict(run_cfg),  # the run's, even when evaluated elsewhere (evaluated_on)
        "evaluated_on": [str(d) for d in dict.fromkeys(p.device for p in model.parameters())],
        "classes": classes,
        "sessions": sessions,
        "epochs_done": int(state["epoch"]),
        "steps_into_next_epoch": int(state["step"]),  # 0 unless the run has no end-of-epoch checkpoint
        "checkpoint": chosen.name,
        "history": state["history"],
        "evaluation": {**results, "confusion": confusion.tolist(), "top5_by_file": top5_by_file},
        "provenance": prov.finish(),
    }
