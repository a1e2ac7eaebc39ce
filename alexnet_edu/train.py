"""The paper's training recipe as a program that can run for days without losing work (§5).

"We trained our models using stochastic gradient descent with a batch size of 128 examples,
momentum of 0.9, and weight decay of 0.0005. [...] We used an equal learning rate for all layers,
which we adjusted manually throughout training. The heuristic which we followed was to divide the
learning rate by 10 when the validation error rate stopped improving with the current learning
rate. The learning rate was initialized at 0.01 and reduced three times prior to termination. We
trained the network for roughly 90 cycles through the training set of 1.2 million images" (§5).

A configuration (:class:`~alexnet_edu.config.TrainConfig`, whose fields are the ``train`` command's
options) decides a run: its images, its network and its schedule (:mod:`alexnet_edu.config`). This
module runs it, top to bottom: :func:`train` (setup), :func:`train_one_epoch` (the steps) and
:func:`end_epoch` (validation, the epoch's row, a checkpoint). What the run directory holds, and the
checkpoints' safety, are :mod:`alexnet_edu.runs`'.

Resuming (``resume=True``) continues exactly where the newest checkpoint left off: every random
choice is a function of the seed, the epoch and the image (the order of an epoch, each image's crop,
reflection and colour shift), and the checkpoint holds the generator that dropout draws from, so an
interrupted run ends with the same weights, bit for bit, as one that was never interrupted. A
resume keeps the configuration the run started with; ``init_from`` starts a new run, with other
settings, from a checkpoint's weights.

More than one device: ``model="two-tower"`` with ``devices="cuda:0,cuda:1"`` is the paper's own
split, one column per GPU (§3.2); ``train(..., distributed=True)`` in processes started by
``torchrun`` is today's data parallelism (:mod:`alexnet_edu.parallel`).
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from . import data
from .config import (DTYPES, VAL_SPLIT, TrainConfig, build_datasets, build_model, column_devices, make_scheduler,
                     resolve_device)
from .data import Batch, TrainImages, collate, mix_seed, readable
from .metrics import NothingToEvaluate, evaluate, topk_correct
from .model import conv1_weight
from .optim import PaperSGD
from .paper import TOP_K
from .parallel import Distributed, init_distributed, shard_batches
from .provenance import Provenance
from .runs import (DataProblems, RunDirectory, Sessions, Signals, TrainingError, checkpoint_name, checkpoint_to_resume,
                   load_checkpoint, random_states, read_config, restore_random_states, save_checkpoint, save_conv1,
                   set_diverged_aside, stall_message, write_json_atomic, write_metrics)


# --- one session of a run ----------------------------------------------------------------------------


@dataclass
class EpochTotals:
    """The running sums of the epoch in progress (a mid-epoch checkpoint holds them, as a dict)."""

    loss: float = 0.0
    wrong1: int = 0
    wrong5: int = 0
    n: int = 0
    skipped: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    time: float = 0.0
    step_losses: list[float] = field(default_factory=list)  # every batch's mean loss


@dataclass
class Run:
    """What the steps of one session share: the run's settings, network, optimizer, data and files."""

    cfg: TrainConfig
    run_dir: Path
    dist: Distributed
    device: torch.device  # where inputs and labels go (a two-tower network's first column)
    core: nn.Module  # the network, whose weights the checkpoints hold
    forward: nn.Module  # what a step calls: the network, or it wrapped (DistributedDataParallel, torch.compile)
    optimizer: PaperSGD
    scheduler: torch.optim.lr_scheduler.ReduceLROnPlateau
    train_set: TrainImages
    val_set: TrainImages
    num_classes: int
    new: bool
    progress: bool
    max_steps: Optional[int]
    history: list[dict[str, Any]] = field(default_factory=list)
    amp: bool = False
    writer: Any = None  # TensorBoard's SummaryWriter
    steps: int = 0  # steps taken in this session
    stop_asked: bool = False  # a process asked to stop (Ctrl-C, SIGTERM) at the last step
    batches: int = 0  # steps per epoch
    signals: Signals = field(default_factory=Signals)

    def loader(self, dataset: TrainImages, batches: list[list[int]], seed: int) -> DataLoader:
        # A generator of its own: starting an iteration draws the workers' base seed from it. From the
        # global generator, which dropout draws from and a checkpoint saves, that draw would shift every
        # later dropout mask of a run resumed in the middle of an epoch.
        return DataLoader(dataset, batch_sampler=batches, collate_fn=collate, num_workers=self.cfg.workers,
                          pin_memory=self.device.type == "cuda", generator=torch.Generator().manual_seed(seed))

    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def diverged(self, totals: Optional[EpochTotals]) -> str:
        """Advice after the loss or the weights stopped being finite (:func:`runs.set_diverged_aside`)."""
        losses = [v for row in self.history for v in row.get("step_losses", [])] + (totals.step_losses if totals else [])
        return set_diverged_aside(self.run_dir, losses, self.batches, self.lr(), self.dist.is_main, self.new)


def train(cfg: Optional[TrainConfig] = None, run_dir: Optional[Path | str] = None, *,
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
        cfg = TrainConfig.from_dict(read_config(run_dir))
    elif cfg is None:
        raise ValueError("give a TrainConfig for a new run")
    else:
        for split in ("train", VAL_SPLIT[cfg.dataset]):  # missing data is an error now, before the folder exists
            data.find_dataset(cfg.dataset, split, cfg.root)
    if cfg.tensorboard:
        import importlib.util

        if importlib.util.find_spec("tensorboard") is None:  # before anything is written
            raise TrainingError("--tensorboard needs the tensorboard package: pip install tensorboard "
                                "(or pip install 'alexnet-edu[tensorboard]'), or leave out --tensorboard")
    if distributed and cfg.devices:
        raise TrainingError("--devices puts one network's two columns on two GPUs; --distributed gives every process "
                            "one GPU and a whole network. Use one of them (for the two-tower network under torchrun, "
                            "leave out --devices: both columns then share the process's GPU)")
    device = resolve_device(cfg.device)
    if cfg.model == "two-tower":
        column_devices(cfg, device)  # a missing GPU is an error now, before anything is written
    dist = init_distributed(device.type) if distributed else Distributed()
    try:
        if dist.enabled and device.type == "cuda":
            device = torch.device("cuda", dist.local_rank)  # one GPU per process
            torch.cuda.set_device(device)
        with RunDirectory(run_dir, new=not resume) if dist.is_main else contextlib.nullcontext():
            return _session(cfg, run_dir, resume, argv, progress and dist.is_main, lr_override, max_steps, device, dist)
    finally:
        dist.close()


def _session(cfg: TrainConfig, run_dir: Path, resume: bool, argv: Optional[Sequence[str]], progress: bool,
             lr_override: Optional[float], max_steps: Optional[int], device: torch.device,
             dist: Distributed) -> dict[str, Any]:
    """Set up one session (from scratch or from a checkpoint), then run its epochs."""
    defaults = {f.name: f.default for f in fields(TrainConfig)}
    state = checkpoint_to_resume(run_dir, asdict(cfg), defaults, dist) if resume else None
    if not resume:
        dist.barrier()  # every process has looked before the first one writes
        if dist.is_main:
            write_json_atomic(run_dir / "config.json", asdict(cfg))
    if cfg.batch_size < dist.world_size:
        raise TrainingError(f"a batch of {cfg.batch_size} cannot be shared by {dist.world_size} processes: "
                            f"use --batch-size {dist.world_size} or more (the batch is the global one)")
    prov = Provenance(argv)
    prov.record["processes"] = dist.world_size
    sessions = Sessions(run_dir, prov.record, write=dist.is_main)
    train_set, val_set, classes = build_datasets(cfg, progress, dist)
    torch.manual_seed(cfg.seed)
    core = build_model(cfg, len(classes), device)
    if cfg.model == "two-tower":
        device = core.devices[0]  # inputs and labels go where the logits come out
    if cfg.channels_last:
        core = core.to(memory_format=torch.channels_last)
    optimizer = PaperSGD(core.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    problems = DataProblems(run_dir, write=dist.is_main)
    run = Run(cfg, run_dir, dist, device, core, core, optimizer, make_scheduler(optimizer, cfg), train_set, val_set,
              len(classes), new=not resume, progress=progress, max_steps=max_steps,
              amp=cfg.amp if cfg.amp is not None else (device.type == "cuda" and cfg.dtype == "float32"))
    try:
        epoch, step, totals = _start_weights(run, state, lr_override)
        if dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            # gradients are averaged over the processes during backward, bucket by bucket
            run.forward = DistributedDataParallel(core, device_ids=[device] if device.type == "cuda" else None)
        run.forward = torch.compile(run.forward) if cfg.compile else run.forward
        if dist.is_main:
            write_metrics(run_dir, run.history)
            if state is None:
                _save_conv1(run, 0)  # the kernels before training, for pictures of how they change
            if cfg.tensorboard:
                from torch.utils.tensorboard import SummaryWriter

                run.writer = SummaryWriter(str(run_dir / "tensorboard"))
        problems.listing({"train": train_set.left_out, "val": val_set.left_out})
        while epoch < cfg.epochs:
            if step == 0:  # dropout's generator: a function of the epoch (mid-epoch: restored from the checkpoint)
                torch.manual_seed(mix_seed(cfg.seed, epoch, -2) if dist.rank == 0 else
                                  mix_seed(cfg.seed, epoch, -2, dist.rank))
                totals = EpochTotals()
            if train_one_epoch(run, epoch, step, totals):
                return {"history": run.history, "run_dir": str(run_dir), "stopped": True, "main": dist.is_main}
            end_epoch(run, epoch, totals, problems)
            epoch, step = epoch + 1, 0
            if run.stop_asked or (max_steps is not None and run.steps >= max_steps):
                break
    finally:
        problems.close()
        run.signals.restore()
        if run.writer is not None:
            run.writer.close()
        prov.finish()
        sessions.save()
    return {"history": run.history, "run_dir": str(run_dir), "stopped": epoch < cfg.epochs, "main": dist.is_main}


def _start_weights(run: Run, state: Optional[dict[str, Any]],
                   lr_override: Optional[float]) -> tuple[int, int, EpochTotals]:
    """Put a checkpoint's weights, optimizer, schedule, history and generators into the session (or a
    checkpoint's weights alone, for ``init_from``); returns where training goes on: epoch, step, totals."""
    cfg = run.cfg
    if state is None and cfg.init_from is not None:
        try:
            run.core.load_state_dict(load_checkpoint(cfg.init_from)["model"])
        except RuntimeError as err:
            raise TrainingError(f"--init-from {cfg.init_from}: its weights do not fit this network "
                                f"({str(err).splitlines()[0]}); give a checkpoint of the same --model with as many "
                                f"classes") from None
    if state is None:
        return 0, 0, EpochTotals()
    run.core.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    run.scheduler.load_state_dict(state["scheduler"])
    run.history, epoch, step = list(state["history"]), int(state["epoch"]), int(state["step"])
    if lr_override is not None:
        for group in run.optimizer.param_groups:
            group["lr"] = lr_override
    restore_random_states(state, run.core, run.dist, mix_seed(cfg.seed, epoch, step, -3, run.dist.rank))
    return epoch, step, EpochTotals(**state["partial"]) if step else EpochTotals()


def _batches_until_stopped(loader: DataLoader, signals: Signals):
    """The loader's batches; ``None`` once if Ctrl-C, which also reaches its worker processes, ended it."""
    batches = iter(loader)
    while True:
        try:
            yield next(batches)
        except StopIteration:
            return
        except RuntimeError:
            if not signals.stop:
                raise
            yield None
            return


def train_one_epoch(run: Run, epoch: int, step: int, totals: EpochTotals) -> bool:
    """Train epoch ``epoch`` from step ``step`` on; checkpoint every ``checkpoint_every`` steps, on
    SIGUSR1, and when asked to stop. Returns whether the session stopped inside the epoch."""
    cfg, dist = run.cfg, run.dist
    run.train_set.epoch = epoch
    order = torch.randperm(len(run.train_set), generator=torch.Generator().manual_seed(
        mix_seed(cfg.seed, epoch, -1))).tolist()
    run.batches = math.ceil(len(order) / cfg.batch_size)
    run.forward.train()
    bar = tqdm(total=run.batches, initial=step, desc=f"epoch {epoch + 1}/{cfg.epochs}", disable=not run.progress,
               dynamic_ncols=True)
    start = time.perf_counter()
    shares = shard_batches(order, cfg.batch_size, dist.rank, dist.world_size, start=step)
    for batch in _batches_until_stopped(run.loader(run.train_set, shares, mix_seed(cfg.seed, epoch, step, -4)),
                                        run.signals):
        save_now, run.stop_asked = _step(run, batch or Batch(None, None, [], [], []), epoch, step, totals)
        if batch is not None or dist.enabled:  # a batch that Ctrl-C took away is no step (but is one for all processes)
            step, run.steps = step + 1, run.steps + 1
        bar.update(1)
        if totals.n:
            bar.set_postfix(loss=f"{totals.loss / totals.n:.3f}", top1=f"{totals.wrong1 / totals.n:.1%}",
                            lr=f"{run.lr():g}")
        done = step == run.batches
        stop = run.stop_asked or (run.max_steps is not None and run.steps >= run.max_steps)
        if not done and (save_now or stop or (cfg.checkpoint_every and step % cfg.checkpoint_every == 0)):
            totals.time += time.perf_counter() - start
            start = time.perf_counter()
            _checkpoint(run, epoch, step, totals)
            run.signals.save = False
        if stop and not done:
            bar.close()
            if dist.is_main:
                print(f"stopped at epoch {epoch + 1}, step {step}; continue with --resume {run.run_dir}", file=sys.stderr)
            return True
    bar.close()
    totals.time += time.perf_counter() - start
    return False


def _step(run: Run, batch: Batch, epoch: int, step: int, totals: EpochTotals) -> tuple[bool, bool]:
    """One optimisation step on the global batch (this process's share of it is ``batch``); returns
    whether any process asked to save (SIGUSR1) and to stop, so that all of them act together."""
    cfg, dist, dtype = run.cfg, run.dist, DTYPES[run.cfg.dtype]
    skipped = [run.train_set.samples[i][0] for i in batch.skipped]
    converted = [run.train_set.samples[i][0] for i in batch.converted]
    loss_sum, wrong1, wrong5, k = None, 0, 0, 0
    if batch.images is not None:
        x, y = batch.images.to(run.device, dtype, non_blocking=True), batch.labels.to(run.device, non_blocking=True)
        if cfg.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.autocast(run.device.type, enabled=run.amp):
            out = run.forward(x)
            loss_sum = F.cross_entropy(out.to(torch.promote_types(out.dtype, torch.float32)), y, reduction="sum")
        k = len(y)
        wrong1 = int((~topk_correct(out, y, 1)).sum())
        wrong5 = int((~topk_correct(out, y, min(TOP_K, out.shape[1]))).sum())
    elif dist.enabled:
        # no readable image of this batch fell to this process; it must still take part in the gradient
        # exchange, with a gradient of zero
        blank = torch.zeros(1, 3, cfg.crop, cfg.crop, device=run.device, dtype=dtype)
        with torch.autocast(run.device.type, enabled=run.amp):
            out = run.forward(blank)
            loss_sum = out.to(torch.promote_types(out.dtype, torch.float32)).sum() * 0.0
    # the whole global batch's numbers, the same in every process (so they all stop together)
    (total_loss, n, wrong1, wrong5, n_skipped, n_converted, save_now, stop_now) = dist.sum(
        [loss_sum.item() if loss_sum is not None else 0.0, k, wrong1, wrong5, len(skipped), len(converted),
         run.signals.save, run.signals.stop], run.device)
    if n_skipped or n_converted:
        for names in dist.gather((skipped, converted)):
            totals.skipped += names[0]
            totals.converted += names[1]
    if n > 0:
        if not math.isfinite(total_loss):
            raise TrainingError(f"the loss became {total_loss / n} at epoch {epoch + 1}, step {step + 1} (lr "
                                f"{run.lr():g}): the run stopped. " + run.diverged(totals))
        run.optimizer.zero_grad(set_to_none=True)
        # the mean over the global batch: DistributedDataParallel averages the processes' gradients, so
        # each process scales its sum by (processes / images in the global batch)
        (loss_sum * (dist.world_size / n)).backward()
        run.optimizer.step()
        totals.loss += total_loss
        totals.wrong1, totals.wrong5, totals.n = totals.wrong1 + int(wrong1), totals.wrong5 + int(wrong5), totals.n + int(n)
        totals.step_losses.append(total_loss / n)
        if run.writer is not None:
            run.writer.add_scalar("train/loss", total_loss / n, epoch * run.batches + step)
    return bool(save_now), bool(stop_now)


def end_epoch(run: Run, epoch: int, totals: EpochTotals, problems: DataProblems) -> dict[str, Any]:
    """After the last step of epoch ``epoch``: the validation error, the epoch's row of the history,
    the schedule's step, a checkpoint, the metrics files and conv1's kernels. Returns the row."""
    cfg, dist = run.cfg, run.dist
    if totals.n == 0:
        raise TrainingError(f"no training image of epoch {epoch + 1} could be read: check the training folder")
    seen: dict[str, list[int]] = {"skipped": [], "converted": []}
    shares = shard_batches(range(len(run.val_set)), cfg.batch_size, dist.rank, dist.world_size)
    try:
        val = evaluate(run.core, readable(run.loader(run.val_set, shares, mix_seed(cfg.seed, -5)), seen),
                       device=run.device, amp=run.amp, dist=dist, progress=False)
    except NothingToEvaluate:
        raise TrainingError("no readable validation image: check the validation folder") from None
    val_skipped, val_converted = ([name for part in dist.gather([run.val_set.samples[i][0] for i in seen[key]])
                                   for name in part] for key in ("skipped", "converted"))
    row = {"epoch": epoch + 1, "lr": run.lr(), "train_loss": totals.loss / totals.n,
           "train_top1": totals.wrong1 / totals.n, "train_top5": totals.wrong5 / totals.n,
           "val_loss": val["loss"], "val_top1": val["top1"], "val_top5": val["top5"],
           "images_per_s": totals.n / max(totals.time, 1e-9), "epoch_time_s": totals.time,
           "skipped": len(totals.skipped), "converted": len(totals.converted),
           "val_skipped": len(val_skipped), "val_converted": len(val_converted),
           "step_losses": [round(v, 5) for v in totals.step_losses]}  # every batch's loss (not in the CSV)
    stall = stall_message(totals.step_losses, run.num_classes, cfg.init) if epoch == 0 else None
    row["stall_warning"] = stall is not None
    run.history.append(row)
    run.scheduler.step(val["top1"])
    problems.epoch(epoch + 1, {"skipped": totals.skipped, "converted": totals.converted,
                               "val_skipped": val_skipped, "val_converted": val_converted})
    if stall and dist.is_main:
        print(f"WARNING: {stall}", file=sys.stderr)
    _checkpoint(run, epoch + 1, 0, None)
    if dist.is_main:
        write_metrics(run.run_dir, run.history)
        _save_conv1(run, epoch + 1)
    if run.writer is not None:
        for key in ("train_loss", "train_top1", "val_loss", "val_top1", "val_top5", "lr"):
            run.writer.add_scalar(key.replace("_", "/", 1), row[key], epoch + 1)
    if run.progress:
        print(f"epoch {epoch + 1}: train loss {row['train_loss']:.3f}, val top-1 {row['val_top1']:.1%}, top-5 "
              f"{row['val_top5']:.1%}, lr {row['lr']:g}, {row['images_per_s']:.1f} images/s", file=sys.stderr)
    return row


def _checkpoint(run: Run, epoch: int, step: int, totals: Optional[EpochTotals]) -> None:
    """A checkpoint after ``epoch`` epochs and ``step`` steps of the next (``totals``: its sums so far)."""
    tensors = list(run.core.parameters()) + [t for state in run.optimizer.state.values() for t in state.values()
                                             if isinstance(t, torch.Tensor)]
    if not all(bool(torch.isfinite(t).all()) for t in tensors):  # never a checkpoint that could not be resumed from
        raise TrainingError(f"the weights or the momentum became inf or NaN before checkpoint "
                            f"{checkpoint_name(epoch, step)}, which was not written. " + run.diverged(totals))
    rngs, cuda_rngs = random_states(run.core, run.dist)
    if run.dist.is_main:
        state = {"model": run.core.state_dict(), "optimizer": run.optimizer.state_dict(),
                 "scheduler": run.scheduler.state_dict(), "epoch": epoch, "step": step, "history": run.history,
                 "rng": rngs[0], "rng_ranks": rngs, "cuda_rng_ranks": cuda_rngs, "world_size": run.dist.world_size,
                 "config": asdict(run.cfg)}
        if totals is not None:
            state["partial"] = asdict(totals)
        save_checkpoint(run.run_dir, state, run.cfg.keep_checkpoints)


def _save_conv1(run: Run, epoch: int) -> None:
    """conv1's kernels after ``epoch`` epochs (:func:`runs.save_conv1`); networks without one are skipped."""
    try:
        weight = conv1_weight(run.core)
    except ValueError:  # the small network and torchvision's have no layer of that name
        return
    save_conv1(run.run_dir, epoch, weight)
