"""Training on more than one device: the paper's two-GPU split (§3.2) and today's data parallelism.

"A single GTX 580 GPU has only 3GB of memory, which limits the maximum size of the networks that
can be trained on it. [...] Therefore we spread the net across two GPUs. [...] The parallelization
scheme that we employ essentially puts half of the kernels (or neurons) on each GPU, with one
additional trick: the GPUs communicate only in certain layers. [...] Choosing the pattern of
connectivity is a problem for cross-validation, but this allows us to precisely tune the amount of
communication until it is an acceptable fraction of the amount of computation." (§3.2)

Model parallelism is :class:`alexnet_edu.model.TwoTowerAlexNet` (its ``traffic`` counts what crosses
between the columns); this module computes the same traffic from the layer shapes
(:func:`exchange_bytes`), measures the activation memory a batch needs (:func:`saved_activation_bytes`),
and holds the small pieces that data-parallel training with ``torchrun`` and
:class:`~torch.nn.parallel.DistributedDataParallel` needs: reading torchrun's environment
(:func:`init_distributed`), summing numbers over processes (:class:`Distributed`), and giving every
process its share of each global batch (:func:`shard_batches`). PyTorch launches the processes and
exchanges the gradients; nothing here does either.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional, Sequence

import torch
from torch import nn

from .data import EXPECTED_IMAGES
from .paper import CROSS_GPU_LAYERS, EPOCHS, INPUT_SIZE, NUM_CLASSES, NUM_COLUMNS
from .shapes import layer_shapes

# Every layer after conv1 reading both columns: the network the paper chose not to build.
EVERY_LAYER_CROSSES = ("conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8")

# The 2012 hardware, from its makers' specifications (not from the paper): a GeForce GTX 580 has
# 512 CUDA cores at 1544 MHz, each doing one fused multiply-add (2 flops) per cycle, and 192.4 GB/s
# of memory bandwidth; PCI Express 2.0 moves 500 MB/s per lane and direction, 8 GB/s over 16 lanes.
HARDWARE_2012 = {
    "gpu": "NVIDIA GeForce GTX 580 (3 GB)",
    "gpu_flops": 512 * 1544e6 * 2,  # 1.58 TFLOP/s, single precision, peak
    "gpu_memory_bandwidth": 192.4e9,  # bytes/s
    "link": "PCI Express 2.0 ×16",
    "link_bandwidth": 16 * 500e6,  # bytes/s in each direction
}
# ILSVRC-2012's training set (the paper rounds it to "1.2 million images")
ILSVRC2012_TRAIN_IMAGES = EXPECTED_IMAGES[("imagenet", "train")]


def exchange_bytes(
    into: Sequence[str] = CROSS_GPU_LAYERS,
    *,
    batch: int = 1,
    bytes_per_value: int = 4,
    num_classes: int = NUM_CLASSES,
    input_size: int = INPUT_SIZE,
) -> dict[str, int]:
    """Bytes that cross between the two columns in one forward pass, by the layer they enter.

    A layer that reads both columns needs, on each GPU, the other GPU's half of its input: the two
    halves cross in opposite directions, so together the whole input crosses once. ``"logits"`` is
    the second column's share of fc8's outputs, gathered on the first GPU for the softmax. The
    backward pass sends the gradients of the same activations back: as many bytes again.
    ``bytes_per_value=4`` is float32, as in 2012.
    """
    rows = {row.name: row for row in layer_shapes(input_size, num_classes=num_classes)}
    unknown = [name for name in into if name not in rows or name == "conv1" or rows[name].kind not in ("conv", "fc")]
    if unknown:
        raise ValueError(f"{unknown} cannot read the other column: choose among {', '.join(EVERY_LAYER_CROSSES)}")
    traffic = {name: math.prod(rows[name].in_shape) * batch * bytes_per_value for name in into}
    # the second column holds num_classes // 2 of fc8's outputs (the first one gets an odd one out)
    traffic["logits"] = num_classes // NUM_COLUMNS * batch * bytes_per_value
    return traffic


def saved_activation_bytes(model: nn.Module, images: torch.Tensor) -> int:
    """Bytes of the tensors one training forward pass keeps for the backward pass (activations,
    dropout masks, pooling indices), each storage counted once and the parameters not at all: the
    memory a batch needs besides the weights, their gradients and the momentum."""
    params = {p.data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    was_training = model.training
    model.train()
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            model(images)
    finally:
        model.train(was_training)
    return sum(seen.values())


def days_for(images_per_s: float, *, epochs: int = EPOCHS, images: int = ILSVRC2012_TRAIN_IMAGES) -> float:
    """Days that ``epochs`` passes over ``images`` take at ``images_per_s``."""
    if images_per_s <= 0:
        raise ValueError(f"images_per_s must be positive, got {images_per_s}")
    return epochs * images / images_per_s / 86_400


# --- data parallelism ---------------------------------------------------------------------------


@dataclass
class Distributed:
    """This process's place among the training processes (rank 0 of 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: Optional[str] = None
    patient_group: Any = None  # a gloo group with a long timeout, for :meth:`broadcast`


    @property
    def enabled(self) -> bool:
        return self.backend is not None

    @property
    def is_main(self) -> bool:
        """Only the main process writes checkpoints, logs and progress bars."""
        return self.rank == 0

    def sum(self, values: Sequence[float], device: torch.device) -> list[float]:
        """``values`` summed over every process (every process must call this, with as many values)."""
        if not self.enabled or self.world_size == 1:
            return [float(v) for v in values]
        t = torch.tensor([float(v) for v in values], dtype=torch.float64, device=device)
        torch.distributed.all_reduce(t)
        return t.tolist()

    def gather(self, obj: Any) -> list[Any]:
        """Every process's ``obj``, in rank order, on every process."""
        if not self.enabled or self.world_size == 1:
            return [obj]
        out: list[Any] = [None] * self.world_size
        torch.distributed.all_gather_object(out, obj)
        return out

    def broadcast(self, obj: Any) -> Any:
        """The first process's ``obj``, on every process. The others wait up to a day (the process
        group's own timeout is minutes): the first process may still be computing ``obj``, as it
        does ILSVRC-2012's mean image on the first start."""
        if not self.enabled or self.world_size == 1:
            return obj
        box = [obj]
        torch.distributed.broadcast_object_list(box, src=0, group=self.patient_group)
        return box[0]

    def barrier(self) -> None:
        if self.enabled and self.world_size > 1:
            torch.distributed.barrier()

    def close(self) -> None:
        if self.enabled and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


class DistributedSetupError(RuntimeError):
    """The process cannot join a process group; the message says how to start it."""


TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def init_distributed(device_type: str) -> Distributed:
    """Join the process group that ``torchrun`` set up: NCCL between GPUs, gloo on CPUs.

    Reads torchrun's environment (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``,
    ``MASTER_PORT``) and fails with the command to use when the process was not started by it.
    """
    missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
    if missing:
        raise DistributedSetupError(
            f"--distributed needs the environment that torchrun sets ({', '.join(missing)} missing): start "
            "the command as `torchrun --nproc-per-node N -m alexnet_edu train ... --distributed`, or leave out "
            "--distributed to train in this one process")
    backend = "nccl" if device_type == "cuda" else "gloo"
    if not torch.distributed.is_available():
        raise DistributedSetupError("this PyTorch was built without torch.distributed: train without --distributed")
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend)
    patient = torch.distributed.new_group(backend="gloo", timeout=timedelta(days=1))
    return Distributed(torch.distributed.get_rank(), torch.distributed.get_world_size(),
                       int(os.environ["LOCAL_RANK"]), backend, patient)


def shard_batches(order: Sequence[int], batch_size: int, rank: int = 0, world_size: int = 1,
                  start: int = 0) -> list[list[int]]:
    """This process's share of every global batch of an epoch, from batch ``start`` on.

    Global batch ``b`` is ``order[b·B:(b+1)·B]``, the batch one process would train on; process
    ``r`` of ``W`` takes every W-th of its images from the r-th on. The shares of all processes
    together are the global batch, whatever ``W`` is, so W processes and one process see the same
    images in the same steps (a share may be one image shorter than another, or empty, in the last
    batch of an epoch).
    """
    if batch_size < 1 or world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"need batch_size ≥ 1 and 0 ≤ rank < world_size, got {batch_size}, {rank}, {world_size}")
    batches = math.ceil(len(order) / batch_size)
    return [list(order[b * batch_size:(b + 1) * batch_size][rank::world_size]) for b in range(start, batches)]
