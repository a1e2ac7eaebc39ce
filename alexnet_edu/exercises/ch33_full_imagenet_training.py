"""Checkers for chapter 33, the full two-GPU ImageNet run (``book/33_full_imagenet_training.ipynb``)."""

from __future__ import annotations

import dataclasses
import math
import statistics
from typing import Sequence

from ._engine import AnswerError, Exercise, array, checker, integer, judge, number, report, shape
from ..paper import ARCHITECTURE, CROSS_GPU_LAYERS, EPOCHS, NUM_CLASSES, Conv
from ..parallel import HARDWARE_2012, ILSVRC2012_TRAIN_IMAGES, days_for, exchange_bytes, shard_batches
from ..shapes import layer_shapes

#: The layers whose kernels the paper splits into two groups (§3.5: conv2, conv4, conv5).
_GROUPED = tuple(layer.name for layer in ARCHITECTURE if isinstance(layer, Conv) and layer.groups == 2)
_BYTES = 4  # float32, as in 2012


def median_epoch_rate(record: str = "train_imagenette") -> float:
    """The median of the images per second of the epochs of a shipped training record (chapter 32's
    Imagenette run by default): the rate the exercises on training time start from."""
    from .. import records

    return float(statistics.median(r["images_per_s"] for r in records.load(record)["history"]))


@checker
def check_transfer_ms(batch: int, answer: float) -> bool:
    """Milliseconds one training step of ``batch`` images spends sending activations (forward) and
    their gradients (backward) between the two columns over PCI Express 2.0 ×16 (8 GB/s each way),
    if nothing else used the link and the two directions ran at the same time. ±1 %."""
    batch = integer(batch, "the batch size as a whole number")
    if batch < 1:
        raise AnswerError("The batch holds at least one image.")
    traffic = exchange_bytes(batch=batch)
    forward, logits = sum(traffic.values()), traffic["logits"]
    # each layer's exchange is half one way, half the other, at the same time; the logits go one way
    # only (second GPU to first), and their gradients come back the other: so each pass lasts as long
    # as (forward - logits) / 2 + logits bytes take in one direction
    truth = 2 * ((forward - logits) / 2 + logits) / HARDWARE_2012["link_bandwidth"] * 1e3
    given = number(answer, "the time in milliseconds, as one number")
    return judge(
        given, truth,
        right=f"{truth:.2f} ms: {forward:,} bytes forward and as many backward, about half in "
              f"each direction, at {HARDWARE_2012['link_bandwidth'] / 1e9:g} GB/s each way.",
        wrong=f"{given:g} ms is not it.",
        misconceptions=[
            (2 * truth, "The link carries both directions at once: each direction moves only half of the bytes."),
            (truth / 2, "The gradients go back over the link in the backward pass: as many bytes again."),
            (truth * 1e3, "Check the unit: milliseconds."),
            (truth / 1e3, "Check the unit: milliseconds."),
        ],
        otherwise="Count the bytes with exchange_bytes(batch=...), then divide by the bandwidth.",
        rel=0.01,  # ±1 %: the answer is worked out from rounded layer sizes on a calculator
    )


@checker
def check_training_days(images_per_s: float, answer: float, epochs: int = EPOCHS,
                        images: int = ILSVRC2012_TRAIN_IMAGES) -> bool:
    """Days that ``epochs`` passes over ``images`` training images (by default ILSVRC-2012's
    1,281,167) take at ``images_per_s``. ±1 %."""
    rate = number(images_per_s, "the rate in images per second, as one number")
    epochs = integer(epochs, "the number of epochs as a whole number")
    images = integer(images, "the number of training images as a whole number")
    if rate <= 0 or epochs < 1 or images < 1:
        raise AnswerError("The rate must be positive, and there is at least one epoch of at least one image.")
    given = number(answer, "the number of days, as one number")
    truth = days_for(rate, epochs=epochs, images=images)
    return judge(
        given, truth,
        right=f"{truth:,.2f} days: {epochs} × {images:,} images ÷ {rate:g} images/s ÷ 86,400 s/day.",
        wrong=f"{given:g} days is not it.",
        misconceptions=[
            (truth * 24, "That is hours: divide by 24."),
            (truth * 86_400, "That is seconds: divide by the 86,400 seconds of a day."),
            (days_for(rate, epochs=epochs, images=1_200_000) if images == ILSVRC2012_TRAIN_IMAGES else None,
             f"ILSVRC-2012 has {ILSVRC2012_TRAIN_IMAGES:,} training images, not the paper's rounded 1.2 million."),
            (truth / epochs if epochs > 1 else None, f"That is one epoch; the question asks for {epochs}."),
        ],
        otherwise="Multiply epochs by images, divide by the rate, then by the seconds in a day.",
        rel=0.01,  # ±1 %: the rate is read off a printed record
    )


@checker
def check_process_share(batch: list[int], rank: int, world_size: int, answer: list[int]) -> bool:
    """Which images of one global batch process ``rank`` of ``world_size`` trains on (in order)."""
    batch = list(shape(batch, "the batch as a list of image indices"))
    rank = integer(rank, "the rank as a whole number")
    world_size = integer(world_size, "the number of processes as a whole number")
    if not 0 <= rank < world_size:
        raise AnswerError(f"The rank is between 0 and {world_size - 1}.")
    given = list(shape(answer, "a list of image indices"))
    truth = shard_batches(batch, len(batch), rank, world_size)[0]
    if given == truth:
        return report(True, f"process {rank} of {world_size} trains on {truth}: every {world_size}-th image from "
                            f"position {rank} on.")
    size = len(batch) // world_size
    if given == batch[rank * size:(rank + 1) * size]:
        hint = "That is a contiguous slice; the package deals the batch out like cards: every W-th image."
    elif sorted(given) == sorted(truth):
        hint = "The right images, in the wrong order."
    else:
        hint = "Process r takes positions r, r + W, r + 2W, … of the global batch."
    return report(False, f"{given} is not process {rank}'s share. {hint}")


def _crossing_bytes(columns: int) -> int:
    """Bytes per image that cross between ``columns`` columns in one forward pass, in the paper's
    style: each layer of ``CROSS_GPU_LAYERS`` needs, on every GPU, the (W − 1)/W of its input that the
    other GPUs computed (W − 1 whole inputs in all), and W − 1 columns send their share of the logits
    to the first GPU."""
    rows = {row.name: row for row in layer_shapes()}
    inputs = sum(math.prod(rows[name].in_shape) for name in CROSS_GPU_LAYERS)
    return (columns - 1) * (inputs + NUM_CLASSES // columns) * _BYTES


@checker
def check_columns_exchange_bytes(columns: int, answer: float) -> bool:
    """Bytes that cross between the GPUs per image in the forward pass when the network is split
    into ``columns`` columns in the paper's style (a 1/W share of every layer's kernels on each GPU,
    the columns meeting only where the paper's two meet: conv3, fc6, fc7 and fc8), float32."""
    columns = integer(columns, "the number of columns as a whole number")
    if columns < 2:
        raise AnswerError("Split the network over at least two columns.")
    given = number(answer, "the bytes per image, as one number")
    truth = _crossing_bytes(columns)
    inputs_bytes = truth - (columns - 1) * (NUM_CLASSES // columns) * _BYTES
    return judge(
        given, truth,
        right=f"{truth:,} bytes per image: every GPU needs the {columns - 1}/{columns} of each exchanged input "
              f"that the others computed, {columns - 1} whole inputs in all, plus {columns - 1} columns' "
              f"share of the logits; {truth / _crossing_bytes(2):.2f} times the two columns' bytes.",
        wrong=f"{given:,.0f} bytes is not it.",
        misconceptions=[
            (truth / _BYTES, "That is a number of floats: each is 4 bytes (float32)."),
            (_crossing_bytes(2) if columns != 2 else None,
             "That is the two columns' count: with more columns each GPU needs more of every exchanged input."),
            (inputs_bytes / columns, "That is what one GPU receives of the exchanged inputs; add up the GPUs."),
            (inputs_bytes, f"The logits of the other {columns - 1} columns go to the first GPU too."),
            (inputs_bytes / (columns - 1) + truth - inputs_bytes,
             "With W columns every GPU receives (W − 1)/W of each exchanged input: over the W GPUs, W − 1 "
             "whole inputs, not one."),
        ],
        otherwise="Count, for each of conv3, fc6, fc7 and fc8, what every GPU needs from the others; add the "
                  "logits that go to the first GPU; 4 bytes a float.",
    )


def _kernel_depths(groups: int) -> tuple[int, ...]:
    """The depths (input maps per kernel) of conv2, conv4 and conv5 when the paper's two groups
    become ``groups``."""
    architecture = tuple(dataclasses.replace(layer, groups=groups) if layer.name in _GROUPED else layer
                         for layer in ARCHITECTURE)
    rows = {row.name: row for row in layer_shapes(architecture=architecture)}
    for name in _GROUPED:
        if rows[name].in_shape[0] % groups or rows[name].out_shape[0] % groups:
            raise ValueError(f"{name}'s {rows[name].in_shape[0]} input and {rows[name].out_shape[0]} output maps "
                             f"do not split into {groups} equal groups")
    return tuple(rows[name].in_shape[0] // groups for name in _GROUPED)


@checker
def check_grouped_kernel_depths(groups: int, answer: Sequence[int]) -> bool:
    """The depths of the kernels of conv2, conv4 and conv5 (how many maps of the layer below each
    kernel reads) when their two groups become ``groups``, one per GPU."""
    groups = integer(groups, "the number of groups as a whole number")
    if groups < 1:
        raise AnswerError("Give at least one group.")
    try:
        truth = _kernel_depths(groups)
    except ValueError as err:
        raise AnswerError(f"The network cannot be split into {groups} groups: {err}") from None
    given = array(answer, "the three depths, for conv2, conv4 and conv5", shape=(len(_GROUPED),))
    kernels = tuple(layer.out_channels // groups for layer in ARCHITECTURE if layer.name in _GROUPED)
    return judge(
        given, truth,
        right=f"With {groups} groups each kernel of conv2, conv4 and conv5 reads 1/{groups} of the maps below: "
              f"depths {', '.join(map(str, truth))}.",
        wrong=f"{tuple(int(v) if v == round(v) else v for v in given)} are not the kernel depths with {groups} groups.",
        misconceptions=[
            (_kernel_depths(2) if groups != 2 else None, "Those are the depths of the paper's two columns."),
            (_kernel_depths(1) if groups != 1 else None,
             "Those are the depths of a network with every layer connected: the groups split the input maps."),
            (kernels, "Those are the numbers of kernels per column; the depth is how many maps each kernel reads."),
        ],
        otherwise="A kernel in a group reads only the maps of the layer below that its own column computed.",
    )


EXERCISES = [
    Exercise("fullrun-transfer-ms",
             {"exchange_ms_256": "milliseconds on the link per training step of 256 images, forward and backward"},
             lambda exchange_ms_256: check_transfer_ms(256, exchange_ms_256)),
    Exercise("fullrun-days",
             {"days_median": "days for 90 ILSVRC-2012 epochs at the median epoch rate of record train_imagenette"},
             lambda days_median: check_training_days(median_epoch_rate(), days_median)),
    Exercise("fullrun-process-share",
             {"share_process_2": "the images process 2 of 4 trains on, in order, from the batch 10 … 19"},
             lambda share_process_2: check_process_share(list(range(10, 20)), 2, 4, share_process_2)),
    Exercise("fullrun-four-gpus",
             {"bytes_four_columns": "bytes crossing per image, forward, with four columns",
              "depths_four_columns": "the kernel depths of conv2, conv4 and conv5 with four columns"},
             lambda bytes_four_columns, depths_four_columns: all([
                 check_columns_exchange_bytes(4, bytes_four_columns),
                 check_grouped_kernel_depths(4, depths_four_columns)])),
]
