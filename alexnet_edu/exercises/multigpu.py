"""Checkers for the chapter on the full two-GPU ImageNet run (33)."""

from __future__ import annotations

from ..paper import EPOCHS
from ..parallel import HARDWARE_2012, ILSVRC2012_TRAIN_IMAGES, days_for, exchange_bytes, shard_batches
from ._common import close as _close
from ._common import report as _report


def check_transfer_ms(batch: int, answer: float) -> bool:
    """Milliseconds one training step of ``batch`` images spends sending activations (forward) and
    their gradients (backward) between the two columns over PCI Express 2.0 ×16 (8 GB/s each way),
    if nothing else used the link and the two directions ran at the same time. ±1 %."""
    traffic = exchange_bytes(batch=batch)
    forward, logits = sum(traffic.values()), traffic["logits"]
    # each layer's exchange is half one way, half the other, at the same time; the logits go one way
    # only (second GPU to first), and their gradients come back the other: so each pass lasts as long
    # as (forward - logits) / 2 + logits bytes take in one direction
    truth = 2 * ((forward - logits) / 2 + logits) / HARDWARE_2012["link_bandwidth"] * 1e3
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the time in milliseconds, as one number.")
    if _close(given, truth, rel=0.01):
        return _report(True, f"{truth:.2f} ms: {forward:,} bytes forward and as many backward, about half in "
                             f"each direction, at {HARDWARE_2012['link_bandwidth'] / 1e9:g} GB/s each way.")
    if _close(given, 2 * truth, rel=0.01):
        hint = "The link carries both directions at once: each direction moves only half of the bytes."
    elif _close(given, truth / 2, rel=0.01):
        hint = "The gradients go back over the link in the backward pass: as many bytes again."
    elif _close(given, truth * 1e3, rel=0.01) or _close(given, truth / 1e3, rel=0.01):
        hint = "Check the unit: milliseconds."
    else:
        hint = "Count the bytes with exchange_bytes(batch=...), then divide by the bandwidth."
    return _report(False, f"{given:g} ms is not it. {hint}")


def check_training_days(images_per_s: float, answer: float, epochs: int = EPOCHS) -> bool:
    """Days that ``epochs`` passes over ILSVRC-2012's 1,281,167 training images take at
    ``images_per_s``. ±1 %."""
    truth = days_for(images_per_s, epochs=epochs)
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of days, as one number.")
    if _close(given, truth, rel=0.01):
        return _report(True, f"{truth:,.2f} days: {epochs} × {ILSVRC2012_TRAIN_IMAGES:,} images ÷ "
                             f"{images_per_s:g} images/s ÷ 86,400 s/day.")
    if _close(given, truth * 24, rel=0.01):
        hint = "That is hours: divide by 24."
    elif _close(given, days_for(images_per_s, epochs=epochs, images=1_200_000), rel=0.01):
        hint = f"ILSVRC-2012 has {ILSVRC2012_TRAIN_IMAGES:,} training images, not the paper's rounded 1.2 million."
    else:
        hint = "Multiply epochs by images, divide by the rate, then by the seconds in a day."
    return _report(False, f"{given:g} days is not it. {hint}")


def check_process_share(batch: list[int], rank: int, world_size: int, answer: list[int]) -> bool:
    """Which images of one global batch process ``rank`` of ``world_size`` trains on (in order)."""
    truth = shard_batches(list(batch), len(batch), rank, world_size)[0]
    try:
        given = [int(i) for i in answer]
    except (TypeError, ValueError):
        return _report(False, "Give a list of image indices.")
    if given == truth:
        return _report(True, f"process {rank} of {world_size} trains on {truth}: every {world_size}-th image from "
                             f"position {rank} on.")
    size = len(batch) // world_size
    if given == list(batch[rank * size:(rank + 1) * size]):
        hint = "That is a contiguous slice; the package deals the batch out like cards: every W-th image."
    elif sorted(given) == sorted(truth):
        hint = "The right images, in the wrong order."
    else:
        hint = "Process r takes positions r, r + W, r + 2W, … of the global batch."
    return _report(False, f"{given} is not process {rank}'s share. {hint}")
