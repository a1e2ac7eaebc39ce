"""What a run directory is, and the one way the package writes a file.

A training run (:func:`alexnet_edu.train.train`) lives in a folder:

- ``config.json``: the resolved configuration; ``provenance.json``: one entry per session (command,
  commit, libraries, hardware, start and end) (:class:`Sessions`);
- ``metrics.jsonl`` and ``metrics.csv``: one row per epoch, rewritten from the checkpoint's history
  (:func:`write_metrics`);
- ``checkpoints/``: ``ckpt-eEEEE-sSSSSSSS.pt`` (epochs finished, steps into the next), each with its
  SHA-256 beside it; the newest ``keep`` are kept (:func:`save_checkpoint`). A damaged one is renamed
  ``*.pt.damaged`` and one written while the run diverged ``*.pt.diverged``: both kept, neither
  resumed from (:func:`newest_intact_checkpoint`, :func:`set_diverged_aside`);
- ``conv1/epoch-NNNN.npy``: the first layer's kernels after every epoch, for pictures of how they
  change (:func:`save_conv1`; checkpoints are deleted as a run goes on, these are not);
- ``data_problems.jsonl``: what the folder listing left out, then per epoch the files that were
  skipped or converted (:class:`DataProblems`);
- ``.lock``: held by the process that trains in the folder (:class:`RunDirectory`).

Every file the package writes, here and elsewhere (records, pages, notebooks, caches), goes through
:func:`write_atomic`: a temporary file beside the target, flushed to disk, then renamed over it, so
that a reader or a crash never sees half a file.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import IO, Any, Callable, Optional, Sequence, Union

import numpy as np
import torch

from .provenance import file_digest

Content = Union[bytes, str, Callable[[IO[bytes]], None]]
# A run diverges when its loss climbs far above where it started: ten times its first step's loss.
DIVERGED = 10.0
# A first epoch shorter than this many steps is too short to call anything a stall.
STALL_MIN_STEPS = 40
_CHECKPOINT = re.compile(r"ckpt-e(\d+)-s(\d+)\.pt")


class TrainingError(RuntimeError):
    """A run that cannot go on; the message says why and what to do."""


class CheckpointError(TrainingError):
    """A checkpoint that cannot be read."""


def write_atomic(path: os.PathLike | str, content: Content,
                 before_rename: Optional[Callable[[Path], None]] = None) -> Path:
    """Write ``content`` (bytes, text as UTF-8, or a function that writes into a binary file) to
    ``path`` through a temporary file beside it and a rename: a reader, or a crash, never sees half a
    file, and a failed write leaves what was there. ``before_rename(tmp)`` runs on the complete
    temporary file before it takes the name (a checkpoint's checksum is read from it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; what the package writes is for everyone
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content.encode() if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())
        if before_rename is not None:
            before_rename(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: os.PathLike | str, obj: Any) -> Path:
    """Write ``obj`` as JSON to ``path`` atomically (:func:`write_atomic`)."""
    return write_atomic(path, json.dumps(obj, indent=1, sort_keys=False) + "\n")


# --- the folder and its lock ----------------------------------------------------------------------


class RunDirectory:
    """The run directory, held by one process while it trains (the first process under ``torchrun``).

    Entering takes an exclusive lock on ``RUN_DIR/.lock`` (a second process gets an error naming the
    first one's PID), refuses a new run in a folder that already holds one, and removes the temporary
    files that a killed write left (``.*.tmp``). Leaving a *new* run with an error before its first
    checkpoint removes what the run wrote, so that the corrected command can use the same folder.
    """

    LOCK = ".lock"

    def __init__(self, run_dir: os.PathLike | str, new: bool) -> None:
        self.run_dir, self.new = Path(run_dir), new
        self.existed = self.run_dir.exists()
        self._lock: Optional[IO[str]] = None

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


def read_config(run_dir: os.PathLike | str) -> dict[str, Any]:
    """The configuration a run started with (its ``config.json``)."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise TrainingError(f"{run_dir} is not a run directory (no config.json): train into it first "
                            "(python -m alexnet_edu train --out RUN_DIR)")
    return json.loads(path.read_text())


class Sessions:
    """``provenance.json``: one entry per session of a run, this one's written at its start (so a run
    that dies still says who started it) and again, with its end time, by :meth:`finish`."""

    def __init__(self, run_dir: Path, record: dict[str, Any], write: bool = True) -> None:
        self.path, self.write = Path(run_dir) / "provenance.json", write
        self.sessions = json.loads(self.path.read_text())["sessions"] if write and self.path.is_file() else []
        self.sessions.append(record)
        self.save()

    def save(self) -> None:
        if self.write:
            write_json_atomic(self.path, {"sessions": self.sessions})


def read_sessions(run_dir: os.PathLike | str) -> list[dict[str, Any]]:
    """The sessions :class:`Sessions` recorded for a run."""
    return json.loads((Path(run_dir) / "provenance.json").read_text())["sessions"]


# --- checkpoints ----------------------------------------------------------------------------------


def checkpoint_name(epoch: int, step: int) -> str:
    """The file name of the checkpoint after ``epoch`` epochs and ``step`` batches of the next one."""
    return f"ckpt-e{epoch:04d}-s{step:07d}.pt"


def checkpoint_position(path: os.PathLike | str) -> tuple[int, int]:
    """``(epoch, step)`` of a checkpoint, from its name (:func:`checkpoint_name`)."""
    found = _CHECKPOINT.fullmatch(Path(path).name)
    if found is None:
        raise ValueError(f"{path} is not named like a checkpoint (ckpt-eEEEE-sSSSSSSS.pt)")
    return int(found.group(1)), int(found.group(2))


def list_checkpoints(run_dir: os.PathLike | str) -> list[Path]:
    """The run's checkpoints, oldest first."""
    return sorted((Path(run_dir) / "checkpoints").glob("ckpt-e*-s*.pt"))


def newest_epoch_end(run_dir: os.PathLike | str) -> Path:
    """The newest checkpoint taken at the end of an epoch, whose weights match the history's last row."""
    ends = [p for p in list_checkpoints(run_dir) if checkpoint_position(p)[1] == 0]
    if not ends:
        raise TrainingError(f"{run_dir} has no end-of-epoch checkpoint: train at least one epoch first")
    return ends[-1]


def _checksum_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def save_checkpoint(run_dir: os.PathLike | str, state: dict[str, Any], keep: int) -> Path:
    """Write a checkpoint atomically, with its SHA-256 beside it (``NAME.pt.sha256``), then delete all
    but the newest ``keep``."""
    path = Path(run_dir) / "checkpoints" / checkpoint_name(state["epoch"], state["step"])
    # the checksum of the bytes on disk, read back, lands first: a checkpoint never lacks its own
    write_atomic(path, lambda f: torch.save(state, f),
                 before_rename=lambda tmp: write_atomic(_checksum_file(path), file_digest(tmp) + "\n"))
    for old in list_checkpoints(run_dir)[:-keep]:
        old.unlink()
        _checksum_file(old).unlink(missing_ok=True)
    return path


def load_checkpoint(path: os.PathLike | str) -> dict[str, Any]:
    """Read a checkpoint (tensors and plain values only: ``weights_only=True``), after checking it
    against the SHA-256 stored beside it, and bring one written by an older version of the package
    up to date (the one place that knows their differences)."""
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
    # older checkpoints: no checksum (above), the first batches' losses only, one process's generator
    if "partial" in state:
        state["partial"].setdefault("step_losses", state["partial"].pop("first_losses", []))
    if "rng_ranks" not in state and "rng" in state:
        state["rng_ranks"] = [state["rng"]]
    state.setdefault("cuda_rng_ranks", [[] for _ in state.get("rng_ranks", [])])
    state.setdefault("world_size", 1)
    return state


def newest_intact_checkpoint(run_dir: os.PathLike | str) -> Optional[tuple[Path, dict[str, Any]]]:
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


def set_diverged_aside(run_dir: Path, losses: Sequence[float], batches: int, lr_now: float, main: bool,
                       new: bool) -> str:
    """Advice after a run diverged, from the checkpoints it can go on from: the newest one whose weights
    gave a sound loss at the next step. Newer checkpoints, written while the run diverged (their weights
    and momentum can be finite and already exploded), are set aside as ``NAME.pt.diverged`` (kept, no
    longer resumed from), so that ``--resume`` starts from the sound one. ``losses``: every step's
    training loss so far; ``batches``: steps per epoch."""
    limit = DIVERGED * losses[0] if losses else float("inf")
    sound = None
    for path in reversed(list_checkpoints(run_dir)):
        epoch, step = checkpoint_position(path)
        done = epoch * batches + step  # steps behind this checkpoint; losses[done] was computed with its weights
        if done < len(losses) and np.isfinite(losses[done]) and losses[done] <= limit:
            sound = path
            break
        if main:
            os.replace(path, path.with_name(path.name + ".diverged"))
            if _checksum_file(path).is_file():
                os.replace(_checksum_file(path), path.with_name(path.name + ".diverged.sha256"))
    smaller = f"--lr {lr_now / 10:g}"
    if sound is None and new:  # the run's folder is removed: nothing in it could be resumed
        return (f"No checkpoint was written before the loss climbed beyond {DIVERGED:g} times its first value, so "
                f"nothing of this run is kept: run the same command with a smaller learning rate, for example {smaller}")
    if sound is None:
        return (f"No checkpoint is left from before the loss climbed beyond {DIVERGED:g} times its first value (those "
                f"written after are kept as *.pt.diverged): start a new run with a smaller learning rate, for example "
                f"{smaller}")
    sound_lr = load_checkpoint(sound)["optimizer"]["param_groups"][0]["lr"]
    advice_lr = min(lr_now / 10, sound_lr)  # no larger than a rate this run trained well with
    return (f"The newest checkpoint from before the divergence is {sound.name} (its weights gave a loss of "
            f"{losses[done]:.4g} at the next step); any written after it are kept as *.pt.diverged. "
            f"Go on from it with a smaller learning rate: python -m alexnet_edu train --resume {run_dir} "
            f"--lr {advice_lr:g}")


# --- what a run writes as it goes -----------------------------------------------------------------


def write_metrics(run_dir: Path, history: list[dict[str, Any]]) -> None:
    """``metrics.jsonl`` (every row whole) and ``metrics.csv`` (the columns that are single numbers)."""
    write_atomic(Path(run_dir) / "metrics.jsonl", "".join(json.dumps(row) + "\n" for row in history))
    if history:
        table = io.StringIO()
        columns = [k for k in history[0] if not isinstance(history[0][k], list)]
        writer = csv.DictWriter(table, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(history)
        write_atomic(Path(run_dir) / "metrics.csv", table.getvalue())


def save_conv1(run_dir: Path, epoch: int, weight: torch.Tensor) -> Path:
    """Keep conv1's kernels after ``epoch`` epochs in ``RUN_DIR/conv1/epoch-NNNN.npy`` (float32, 139 KB
    for the paper's 96 kernels)."""
    return write_atomic(Path(run_dir) / "conv1" / f"epoch-{epoch:04d}.npy",
                        lambda f: np.save(f, weight.detach().float().cpu().numpy()))


def conv1_snapshots(run_dir: os.PathLike | str) -> dict[int, Path]:
    """The conv1 kernels :func:`save_conv1` kept, by epoch."""
    return {int(p.stem.split("-")[1]): p for p in sorted((Path(run_dir) / "conv1").glob("epoch-*.npy"))}


class DataProblems:
    """``data_problems.jsonl``, appended to (``None`` in processes that do not write): the entries the
    folder listing left out, then per epoch the files that were skipped or converted, each also said
    once on stderr."""

    def __init__(self, run_dir: Path, write: bool) -> None:
        self.path = Path(run_dir) / "data_problems.jsonl"
        self.file = open(self.path, "a") if write else None

    def _add(self, entry: dict[str, Any], message: str) -> None:
        if self.file is not None:
            self.file.write(json.dumps(entry) + "\n")
            self.file.flush()
            print(f"{message} (listed in {self.path})", file=sys.stderr)

    def listing(self, left_out: dict[str, list[tuple[str, str]]]) -> None:
        """What the listing of each split's folder left out: (file, reason) pairs."""
        if any(left_out.values()):
            self._add({"listing": {split: [{"file": f, "reason": r} for f, r in entries]
                                   for split, entries in left_out.items()}},
                      f"{len(left_out['train'])} entries of the training folder and {len(left_out['val'])} of the "
                      f"validation folder are not images that can be read (links that lead nowhere or in a loop, "
                      f"FIFOs, devices): left out")

    def epoch(self, epoch: int, files: dict[str, list[str]]) -> None:
        """The files of one epoch (``skipped``, ``converted``, ``val_skipped``, ``val_converted``)."""
        if any(files.values()):
            self._add({"epoch": epoch, **files},
                      f"epoch {epoch}: {len(files['skipped'])} unreadable image(s) skipped, {len(files['converted'])} "
                      f"converted to RGB; validation: {len(files['val_skipped'])} skipped, "
                      f"{len(files['val_converted'])} converted")

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


# --- what went wrong, and what to do ----------------------------------------------------------------


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
    return (f"{stuck} Users of Caffe reported this stall for the paper's initialisation (weights N(0, 0.01), "
            f"biases of 1); it can last for many iterations and then end by itself. Remedies: start again with "
            f"--init caffe (fc6 and fc7 weights N(0, 0.005), biases 0.1, as Caffe's reference model) or --init "
            f"default (PyTorch's), or a smaller learning rate for the first epoch.")


# --- one session: signals, generators, resuming ------------------------------------------------------


class Signals:
    """Set by signal handlers: save a checkpoint after this batch (SIGUSR1), or save and stop (Ctrl-C,
    and SIGTERM, which torchrun and cluster schedulers send before they kill a job)."""

    def __init__(self) -> None:
        self.save = self.stop = False
        self._old: dict = {}
        wanted = [(signal.SIGINT, "stop"), (signal.SIGTERM, "stop")]
        if hasattr(signal, "SIGUSR1"):  # not on Windows
            wanted.append((signal.SIGUSR1, "save"))
        for sig, flag in wanted:
            try:
                self._old[sig] = signal.signal(sig, lambda *_, flag=flag: setattr(self, flag, True))
            except ValueError:  # not the main thread: no handlers, checkpoints at epoch ends still work
                pass

    def restore(self) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def cuda_devices(model: torch.nn.Module) -> list[int]:
    """The GPUs that hold ``model``'s weights (none on a CPU), in order: dropout there draws from theirs."""
    return sorted({p.device.index or 0 for p in model.parameters() if p.device.type == "cuda"})


def random_states(model: torch.nn.Module, dist: Any) -> tuple[list, list]:
    """Every process's dropout generators, for a checkpoint: the CPU's, and those of the GPUs that hold
    ``model`` (``dist``: an :class:`alexnet_edu.parallel.Distributed`)."""
    return dist.gather(torch.get_rng_state()), dist.gather([torch.cuda.get_rng_state(d) for d in cuda_devices(model)])


def restore_random_states(state: dict[str, Any], model: torch.nn.Module, dist: Any, fresh_seed: int) -> None:
    """Put back this process's dropout generators from a checkpoint; a run resumed with another number
    of processes or GPUs goes on from ``fresh_seed`` (correct, but no longer bit for bit what an
    uninterrupted run does)."""
    ranks, cuda_ranks, devices = state.get("rng_ranks", []), state["cuda_rng_ranks"], cuda_devices(model)
    if len(ranks) == dist.world_size and len(cuda_ranks[dist.rank]) == len(devices):
        torch.set_rng_state(ranks[dist.rank])
        for d, cuda_state in zip(devices, cuda_ranks[dist.rank]):
            torch.cuda.set_rng_state(cuda_state, d)
        return
    if dist.is_main:
        print(f"note: this run was checkpointed by {state['world_size']} process(es) and resumes with "
              f"{dist.world_size}, or on another number of GPUs: the dropout masks from here on differ from an "
              f"uninterrupted run's", file=sys.stderr)
    torch.manual_seed(fresh_seed)


def checkpoint_to_resume(run_dir: Path, config: dict[str, Any], defaults: dict[str, Any],
                         dist: Any) -> Optional[dict[str, Any]]:
    """The newest intact checkpoint of a run, the same for every process (``None`` for a run killed
    before its first checkpoint: it starts again), after checking that ``config`` (its config.json)
    is the configuration the checkpoint was written with; settings that a checkpoint predates count
    as their ``defaults``."""
    intact = newest_intact_checkpoint(run_dir) if dist.is_main else None
    found = dist.broadcast(intact[0].name if intact else None)  # every process resumes from the same one
    if found is None and list(run_dir.glob("checkpoints/*.damaged")):
        raise TrainingError(f"{run_dir} has no intact checkpoint left (the damaged ones are kept as *.damaged): "
                            "start a new run")
    if found is None:
        return None
    state = intact[1] if intact else load_checkpoint(run_dir / "checkpoints" / found)
    stored = {**defaults, **state.get("config", config)}
    changed = {k: (stored.get(k), v) for k, v in config.items() if stored.get(k) != v}
    if changed:
        raise TrainingError(
            f"{run_dir / 'config.json'} was changed after its checkpoint was written "
            f"({', '.join(f'{k}: {a!r} -> {b!r}' for k, (a, b) in changed.items())}): a resumed run keeps the "
            f"configuration it started with. Put config.json back, or start a new run from this checkpoint with "
            f"the settings you want: python -m alexnet_edu train --out NEW_RUN --init-from "
            f"{run_dir / 'checkpoints' / found} ...")
    return state
