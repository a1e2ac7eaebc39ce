"""Checkers for the preprocessing chapter (12)."""

from __future__ import annotations

import math

import torch

from ._common import report as _report
from .. import paper as _paper


def _rescaled_size(width: int, height: int) -> tuple[int, int]:
    """(width, height) of a ``width``×``height`` photo after the package's rescaling step (the
    shorter side to paper.RESIZE_SIZE), found by running that step on an empty image of that size."""
    from torchvision.transforms import v2

    from ..transforms import rescale_and_center_crop

    resize = next(t for t in rescale_and_center_crop().transforms if isinstance(t, v2.Resize))
    out = resize(torch.zeros(1, height, width, dtype=torch.uint8))
    return int(out.shape[-1]), int(out.shape[-2])


def _photo_size(width, height):
    """The photo's size as two positive integers, or None."""
    try:
        width, height = int(width), int(height)
    except (TypeError, ValueError):
        return None
    return (width, height) if width > 0 and height > 0 else None


def check_rescaled_size(width: int, height: int, answer: tuple[int, int]) -> bool:
    """Preprocessing (§2): the (width, height) of a ``width``×``height`` photo after its shorter
    side is rescaled to 256 pixels, keeping the aspect ratio (whole pixels, as torchvision does)."""
    size = _photo_size(width, height)
    if size is None:
        return _report(False, "The photo's width and height must be positive integers.")
    width, height = size
    try:
        given = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        return _report(False, "Give the new size as a pair (width, height) of integers.")
    if len(given) != 2:
        return _report(False, "Give the new size as a pair (width, height) of integers.")
    truth = _rescaled_size(width, height)
    short, long = min(width, height), max(width, height)
    if given == truth:
        return _report(True, f"A {width}×{height} photo becomes {truth[0]}×{truth[1]}: the shorter side is "
                             f"{_paper.RESIZE_SIZE} and the longer one {_paper.RESIZE_SIZE}·{long}/{short}, cut to whole pixels.")
    exact = _paper.RESIZE_SIZE * long / short
    rounded = tuple(round(exact) if t != _paper.RESIZE_SIZE else t for t in truth)
    if given == truth[::-1]:
        hint = "You swapped the two sides: give (width, height), in the order the photo's size was given."
    elif rounded != truth and given == rounded:
        hint = (f"The longer side is {_paper.RESIZE_SIZE}·{long}/{short} = {exact:.2f}; torchvision (and the package) "
                f"keeps the whole pixels and drops the fraction, it does not round.")
    elif _paper.RESIZE_SIZE in given and min(given) < _paper.RESIZE_SIZE:
        hint = f"The shorter side becomes {_paper.RESIZE_SIZE}, not the longer one: the crop that follows needs both sides ≥ {_paper.RESIZE_SIZE}."
    elif _paper.RESIZE_SIZE not in given:
        hint = f"One side must become exactly {_paper.RESIZE_SIZE}: which one?"
    else:
        hint = "Scale both sides by the same factor, 256 / (shorter side), and keep whole pixels."
    return _report(False, f"{given} is not the size of a {width}×{height} photo after rescaling. {hint}")


def check_crop_fraction(width: int, height: int, answer: float) -> bool:
    """Preprocessing (§2): the fraction (0 to 1) of a ``width``×``height`` photo's area that the
    central 256×256 crop keeps, after the shorter side was rescaled to 256. Answers within 0.005 pass."""
    size = _photo_size(width, height)
    if size is None:
        return _report(False, "The photo's width and height must be positive integers.")
    width, height = size
    try:
        given = float(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the fraction as one number between 0 and 1.")
    new_w, new_h = _rescaled_size(width, height)
    truth = _paper.RESIZE_SIZE * _paper.RESIZE_SIZE / (new_w * new_h)
    if math.isfinite(given) and abs(given - truth) <= 0.005:
        return _report(True, f"The crop keeps {_paper.RESIZE_SIZE}×{_paper.RESIZE_SIZE} of the rescaled {new_w}×{new_h} image, "
                             f"{truth:.1%} of the photo: about the shorter side over the longer one.")
    if math.isfinite(given) and 1 < given <= 100 and abs(given / 100 - truth) <= 0.005:
        hint = "That looks like a percentage: give a fraction between 0 and 1."
    elif math.isfinite(given) and abs((1 - given) - truth) <= 0.005:
        hint = "That is the part the crop cuts away; the question asks for the part it keeps."
    elif math.isfinite(given) and abs(given - truth * truth) <= 0.005 < abs(given - truth):
        hint = ("Only one side is cut: the shorter side is already 256 and stays whole, so the share of the area "
                "equals the share of the longer side, not its square.")
    else:
        hint = "Rescale first (shorter side to 256), then compare the 256×256 crop with the whole rescaled image."
    return _report(False, f"{given:g} is not the fraction of a {width}×{height} photo that the centre crop keeps. {hint}")


def check_mean_image(images, answer, kind: str = "image") -> bool:
    """Preprocessing (§2): the mean image (``kind="image"``: one value per channel and position,
    shape (3, H, W)) or the mean pixel (``kind="pixel"``: one value per channel, shape (3,)) of a
    stack of uint8 images (N, 3, H, W). Answers within 0.01 of the exact mean pass."""
    if kind not in ("image", "pixel"):
        return _report(False, f"kind must be 'image' or 'pixel', not {kind!r}.")
    try:
        stack = torch.as_tensor(images)
    except (TypeError, ValueError, RuntimeError):
        return _report(False, "The images must be a tensor (or nested lists) of shape (N, 3, H, W).")
    if stack.ndim != 4 or stack.shape[1] != 3 or stack.shape[0] < 1:
        return _report(False, f"The images must have shape (N, 3, H, W), not {tuple(stack.shape)}.")
    x = stack.double()
    truth = x.mean(0) if kind == "image" else x.mean((0, 2, 3))
    name = "mean image" if kind == "image" else "mean pixel"
    try:
        given = torch.as_tensor(answer).double()
    except (TypeError, ValueError, RuntimeError):
        return _report(False, f"Give the {name} as a tensor of shape {tuple(truth.shape)}.")
    if given.shape == truth.shape and torch.allclose(given, truth, rtol=0, atol=0.01):
        how = "over the N images, separately at every position and channel" if kind == "image" else \
              "over the N images and all positions, separately for every channel"
        return _report(True, f"The {name} has shape {tuple(truth.shape)}: the average {how}.")
    if given.shape != truth.shape:
        other = x.mean((0, 2, 3)) if kind == "image" else x.mean(0)
        if given.shape == other.shape and torch.allclose(given, other, rtol=0, atol=0.01):
            hint = ("That is the mean pixel (one value per channel); the mean image keeps one value per position too."
                    if kind == "image" else
                    "That is the mean image; the mean pixel also averages over the positions.")
        elif given.shape == x.mean((2, 3)).shape:
            hint = "That is one mean per image; average over the images (dimension 0) instead."
        else:
            hint = f"The {name} has shape {tuple(truth.shape)}."
        return _report(False, f"Your answer has shape {tuple(given.shape)}. {hint}")
    wrapped = stack[0].to(torch.uint8)
    for img in stack[1:]:
        wrapped = wrapped + img.to(torch.uint8)  # what adding uint8 images does: it wraps at 256
    wrapped = wrapped.double() / len(stack)
    if kind == "pixel":
        wrapped = wrapped.mean((1, 2))
    if torch.allclose(given, wrapped, rtol=0, atol=0.01):
        hint = ("The sum wrapped around: uint8 holds 0…255 and 200 + 100 gives 44. Convert to float (or int64) "
                "before adding.")
    elif torch.equal(given, truth.floor()) or torch.equal(given, truth.round()):
        hint = "Keep the fraction: the mean of whole numbers need not be a whole number (use float division)."
    else:
        hint = "Add the images as floats and divide by N."
    return _report(False, f"That is not the {name}. {hint}")
