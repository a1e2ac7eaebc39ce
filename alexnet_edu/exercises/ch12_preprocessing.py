"""Checkers for chapter 12, preprocessing (``book/12_preprocessing.ipynb``)."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import torch

from ._engine import AnswerError, Exercise, array, checker, close, integer, judge, number, report
from .. import paper as _paper

#: Training images behind the chapter's mean image in quick mode (the chapter's ``QUICK_TRAIN``); in
#: full mode it uses every training image.
QUICK_TRAIN_IMAGES = 300


def _rescaled_size(width: int, height: int) -> tuple[int, int]:
    """(width, height) of a ``width``×``height`` photo after the package's rescaling step (the
    shorter side to paper.RESIZE_SIZE), found by running that step on an empty image of that size."""
    from torchvision.transforms import v2

    from ..transforms import rescale_and_center_crop

    resize = next(t for t in rescale_and_center_crop().transforms if isinstance(t, v2.Resize))
    out = resize(torch.zeros(1, height, width, dtype=torch.uint8))
    return int(out.shape[-1]), int(out.shape[-2])


def _photo_size(width: Any, height: Any) -> tuple[int, int]:
    """The photo's size as two positive integers."""
    what = "the photo's width and height as positive integers"
    width, height = integer(width, what), integer(height, what)
    if width <= 0 or height <= 0:
        raise AnswerError("The photo's width and height must be positive integers.")
    return width, height


@checker
def check_rescaled_size(width: int, height: int, answer: tuple[int, int]) -> bool:
    """Preprocessing (§2): the (width, height) of a ``width``×``height`` photo after its shorter
    side is rescaled to 256 pixels, keeping the aspect ratio (whole pixels, as torchvision does)."""
    width, height = _photo_size(width, height)
    pair = "the new size as a pair (width, height) of integers"
    if answer is Ellipsis or isinstance(answer, str):
        raise AnswerError(f"Replace ... with your answer: {pair}." if answer is Ellipsis else f"Give {pair}.")
    given = tuple(array(answer, pair, shape=(2,)).tolist())
    if any(v != round(v) for v in given):
        raise AnswerError(f"Give {pair}: whole pixels.")
    given = tuple(int(v) for v in given)
    truth = _rescaled_size(width, height)
    size = _paper.RESIZE_SIZE
    short, long = min(width, height), max(width, height)
    if given == truth:
        return report(True, f"A {width}×{height} photo becomes {truth[0]}×{truth[1]}: the shorter side is "
                            f"{size} and the longer one {size}·{long}/{short}, cut to whole pixels.")
    # The hints below are tests on the answer, not single wrong values, so judge() does not fit them.
    exact = size * long / short
    rounded = tuple(round(exact) if t != size else t for t in truth)
    if given == truth[::-1]:
        hint = "You swapped the two sides: give (width, height), in the order the photo's size was given."
    elif rounded != truth and given == rounded:
        hint = (f"The longer side {size}·{long}/{short} is not a whole number; torchvision (and the package) "
                f"keeps the whole pixels and drops the fraction, it does not round.")
    elif size in given and min(given) < size:
        hint = f"The shorter side becomes {size}, not the longer one: the crop that follows needs both sides ≥ {size}."
    elif size not in given:
        hint = f"One side must become exactly {size}: which one?"
    else:
        hint = f"Scale both sides by the same factor, {size} / (shorter side), and keep whole pixels."
    return report(False, f"{given} is not the size of a {width}×{height} photo after rescaling. {hint}")


@checker
def check_crop_fraction(width: int, height: int, answer: float) -> bool:
    """Preprocessing (§2): the fraction (0 to 1) of a ``width``×``height`` photo's area that the
    central 256×256 crop keeps, after the shorter side was rescaled to 256. Answers within 0.005 pass."""
    width, height = _photo_size(width, height)
    given = number(answer, "the fraction as one number between 0 and 1")
    new_w, new_h = _rescaled_size(width, height)
    size = _paper.RESIZE_SIZE
    truth = size * size / (new_w * new_h)
    return judge(
        given, truth,
        right=f"The crop keeps {size}×{size} of the rescaled {new_w}×{new_h} image, {truth:.1%} of the photo: "
              f"about the shorter side over the longer one.",
        wrong=f"{given:g} is not the fraction of a {width}×{height} photo that the centre crop keeps.",
        misconceptions=[
            (100 * truth, "That looks like a percentage: give a fraction between 0 and 1."),
            (1 - truth, "That is the part the crop cuts away; the question asks for the part it keeps."),
            (truth * truth, "Only one side is cut: the shorter side is already 256 and stays whole, so the share "
                            "of the area equals the share of the longer side, not its square."),
        ],
        otherwise=f"Rescale first (shorter side to {size}), then compare the {size}×{size} crop with the whole "
                  f"rescaled image.",
        # (shorter side)/(longer side), the shortcut the chapter teaches, is within 0.005 of the exact share
        rel=0, abs_=0.005,
    )


def _stack(images: Any) -> torch.Tensor:
    try:
        stack = torch.as_tensor(images)
    except (TypeError, ValueError, RuntimeError):
        raise AnswerError("The images must be a tensor (or nested lists) of shape (N, 3, H, W).") from None
    if stack.ndim != 4 or stack.shape[1] != 3 or stack.shape[0] < 1:
        raise AnswerError(f"The images must have shape (N, 3, H, W), not {tuple(stack.shape)}.")
    return stack


@checker
def check_mean_image(images, answer, kind: str = "image") -> bool:
    """Preprocessing (§2): the mean image (``kind="image"``: one value per channel and position,
    shape (3, H, W)) or the mean pixel (``kind="pixel"``: one value per channel, shape (3,)) of a
    stack of uint8 images (N, 3, H, W). Answers within 0.01 of the exact mean pass."""
    if kind not in ("image", "pixel"):
        raise AnswerError(f"kind must be 'image' or 'pixel', not {kind!r}.")
    stack = _stack(images)
    x = stack.double()
    truth = x.mean(0) if kind == "image" else x.mean((0, 2, 3))
    name = "mean image" if kind == "image" else "mean pixel"
    given = array(answer, f"the {name} as a tensor of shape {tuple(truth.shape)}")
    atol = 0.01  # grey levels: a mean printed to two decimals passes
    if given.shape == tuple(truth.shape) and close(given, truth.numpy(), rel=0, abs_=atol):
        how = "over the N images, separately at every position and channel" if kind == "image" else \
              "over the N images and all positions, separately for every channel"
        return report(True, f"The {name} has shape {tuple(truth.shape)}: the average {how}.")
    if given.shape != tuple(truth.shape):
        other = x.mean((0, 2, 3)) if kind == "image" else x.mean(0)
        if close(given, other.numpy(), rel=0, abs_=atol):
            hint = ("That is the mean pixel (one value per channel); the mean image keeps one value per position too."
                    if kind == "image" else
                    "That is the mean image; the mean pixel also averages over the positions.")
        elif given.shape == tuple(x.mean((2, 3)).shape):
            hint = "That is one mean per image; average over the images (dimension 0) instead."
        else:
            hint = f"The {name} has shape {tuple(truth.shape)}."
        return report(False, f"Your answer has shape {given.shape}. {hint}")
    wrapped = stack[0].to(torch.uint8)
    for img in stack[1:]:
        wrapped = wrapped + img.to(torch.uint8)  # what adding uint8 images does: it wraps at 256
    wrapped = wrapped.double() / len(stack)
    if kind == "pixel":
        wrapped = wrapped.mean((1, 2))
    return judge(
        given, truth.numpy(),
        right="",  # not reached: the right answer passed above
        wrong=f"That is not the {name}.",
        misconceptions=[
            (wrapped.numpy(), "The sum wrapped around: uint8 holds 0…255 and 200 + 100 gives 44. Convert to float "
                              "(or int64) before adding."),
            (truth.floor().numpy(), "Keep the fraction: the mean of whole numbers need not be a whole number (use "
                                    "float division)."),
            (truth.round().numpy(), "Keep the fraction: the mean of whole numbers need not be a whole number (use "
                                    "float division)."),
        ],
        otherwise="Add the images as floats and divide by N.",
        rel=0, abs_=atol,
    )


def _chapter_mean_image() -> torch.Tensor:
    """The chapter's mean image (3, 256, 256), float64: the package's, over the training images the
    chapter uses in the current mode (quick or full), read from its cache once computed."""
    from ..runtime import quick_mode
    from ..transforms import dataset_stats

    limit = QUICK_TRAIN_IMAGES if quick_mode() else None
    return dataset_stats("imagenette", limit=limit, progress=False).mean_image.double()


def _mean_tensor(mean: Any, what: str, shape: Sequence[int]) -> torch.Tensor:
    value = torch.as_tensor(array(mean, what), dtype=torch.float64)
    if tuple(value.shape) != tuple(shape):
        raise AnswerError(f"{what[0].upper() + what[1:]} must have shape {tuple(shape)}, not {tuple(value.shape)}.")
    return value


def _crop_mean_rms_at(mean_image: torch.Tensor, top: int, left: int) -> torch.Tensor:
    """RMS difference (grey levels) between subtracting the mean image before cropping (its patch at
    (top, left)) and after (its central crop)."""
    crop = _paper.CROP_SIZE
    centre = (mean_image.shape[-1] - crop) // 2
    patch = mean_image[:, top:top + crop, left:left + crop]
    return (patch - mean_image[:, centre:centre + crop, centre:centre + crop]).pow(2).mean().sqrt()


def _crop_mean_rms(mean_image: torch.Tensor) -> torch.Tensor:
    """:func:`_crop_mean_rms_at` for every offset (top, left): (P, P)."""
    positions = range(mean_image.shape[-1] - _paper.CROP_SIZE + 1)
    return torch.stack([torch.stack([_crop_mean_rms_at(mean_image, t, l) for l in positions]) for t in positions])


@checker
def check_crop_mean_difference(mean_image: Any, answer: float, offset: Optional[tuple[int, int]] = (0, 0)) -> bool:
    """Mean subtraction before or after the crop: the RMS, over the 3×224×224 values and in grey levels,
    of the difference between subtracting ``mean_image`` (3, 256, 256) before cutting the 224×224 patch
    at ``offset`` = (top, left) and subtracting the mean image's central crop after cutting it
    (cuda-convnet's order); ``offset=None`` asks for the largest RMS over all 33×33 offsets."""
    size, crop = _paper.RESIZE_SIZE, _paper.CROP_SIZE
    mu = _mean_tensor(mean_image, "the mean image", (3, size, size))
    given = number(answer, "the RMS difference in grey levels, one number")
    centre = (size - crop) // 2
    if offset is None:
        rms = _crop_mean_rms(mu)
        truth = rms.max()
        where = "the worst of all offsets"
        near = [(rms[0, 0].item(), "That is the patch at (0, 0); look at every offset, 0 to "
                                   f"{size - crop} in each direction."),
                (rms.mean().item(), "That is the average over the offsets; the question asks for the largest.")]
        t, l = divmod(int(rms.argmax()), rms.shape[1])
    else:
        t, l = (integer(v, "the offset as (top, left) in pixels") for v in offset)
        if not (0 <= t <= size - crop and 0 <= l <= size - crop):
            raise AnswerError(f"The offset must lie between 0 and {size - crop} in each direction.")
        where, near = f"the patch at ({t}, {l})", []
    diff = mu[:, t:t + crop, l:l + crop] - mu[:, centre:centre + crop, centre:centre + crop]
    patch = mu[:, t:t + crop, l:l + crop]
    if offset is not None:
        truth = _crop_mean_rms_at(mu, t, l)
    return judge(
        given, truth.item(),
        right=f"For {where} the two orders differ by {truth.item():.2f} grey levels (RMS): the mean image "
              f"against itself shifted by ({t - centre}, {l - centre}) pixels.",
        wrong=f"{given:.4g} is not the RMS difference for {where}.",
        misconceptions=[
            *near,
            (diff.abs().max().item(), "That is the largest single difference; the question asks for the RMS over "
                                      "all 3×224×224 values."),
            (diff.mean().abs().item(), "Differences of both signs cancel in a plain mean: square them, average, "
                                       "then take the root."),
            (diff.pow(2).mean().item(), "That is the mean square; take its root."),
            ((patch - mu.mean((1, 2))[:, None, None]).pow(2).mean().sqrt().item(),
             "That compares the patch of the mean image with the mean pixel; compare it with the mean image's "
             "central crop, which cuda-convnet subtracts."),
        ],
        otherwise="Cut the mean image at the patch's offset and at the centre (16, 16), subtract the two, and "
                  "take the root of the mean of the squares.",
        # the chapter's float64 running mean and the package's float32 mean image differ by up to 1e-3
        # levels, and the chapter prints two decimals: 0.5 % lets both pass, and no hint lies that close
        rel=5e-3,
    )


def _torchvision_normalisation() -> tuple[torch.Tensor, torch.Tensor]:
    """torchvision's AlexNet recipe: its mean and std per channel, for pixels in [0, 1]."""
    from torchvision.models import AlexNet_Weights

    recipe = AlexNet_Weights.IMAGENET1K_V1.transforms()
    return torch.tensor(recipe.mean, dtype=torch.float64), torch.tensor(recipe.std, dtype=torch.float64)


@checker
def check_torchvision_to_paper(mean_pixel: Any, a: Any, b: Any) -> bool:
    """From torchvision's inputs to the paper's: the per-channel a_c and b_c (each of shape (3,)) with
    a_c z_c + b_c = x_c − μ̄_c, where z is torchvision's AlexNet input, x the 0–255 image and μ̄ the
    mean pixel ``mean_pixel`` (3,) on the 0–255 scale."""
    mu_bar = _mean_tensor(mean_pixel, "the mean pixel", (3,))
    given_a = array(a, "a as three numbers, one per channel", shape=(3,))
    given_b = array(b, "b as three numbers, one per channel", shape=(3,))
    m, s = _torchvision_normalisation()
    truth_a, truth_b = 255 * s, 255 * m - mu_bar
    fmt = lambda t: "(" + ", ".join(f"{v:.2f}" for v in t.tolist()) + ")"
    ok_a = judge(
        given_a, truth_a.numpy(),
        right=f"a = 255·std = {fmt(truth_a)}: z = (x/255 − mean)/std, so x = 255·std·z + 255·mean.",
        wrong="That is not a.",
        misconceptions=[
            (s.numpy(), "torchvision's std is for pixels in [0, 1]; the paper's x is on the 0–255 scale."),
            ((1 / (255 * s)).numpy(), "That turns x into z; the question asks for the way back, from z to x − μ̄."),
            ((1 / s).numpy(), "Solve z = (x/255 − mean)/std for x: multiply by the std, do not divide."),
        ],
        otherwise="Solve z_c = (x_c/255 − mean_c)/std_c for x_c.",
        rel=1e-6,  # a follows from torchvision's constants exactly
    )
    ok_b = judge(
        given_b, truth_b.numpy(),
        right=f"b = 255·mean − μ̄ = {fmt(truth_b)} grey levels: ImageNet's mean pixel minus this data set's.",
        wrong="That is not b.",
        misconceptions=[
            ((255 * m).numpy(), "That gives x; subtract the mean pixel μ̄ as well to get x − μ̄."),
            ((mu_bar - 255 * m).numpy(), "Check the sign: b = 255·mean − μ̄."),
            ((m - mu_bar / 255).numpy(), "Work on the 0–255 scale throughout: the paper subtracts μ̄ from 0–255 "
                                         "pixels."),
            ((-mu_bar).numpy(), "torchvision's input is centred on ImageNet's mean: add it back (255·mean)."),
        ],
        otherwise="Write x_c from z_c first, then subtract μ̄_c.",
        # μ̄ is the package's float32 mean pixel or the chapter's float64 one: they differ by 1e-3 levels
        rel=0, abs_=0.01,
    )
    return ok_a and ok_b


_CAMERA, _SCAN, _PORTRAIT = (640, 427), (1024, 768), (427, 640)
_TINY = [[[[200, 180], [60, 20]], [[210, 190], [90, 40]], [[250, 230], [70, 30]]],
         [[[220, 170], [80, 40]], [[220, 200], [100, 60]], [[240, 250], [50, 20]]],
         [[[181, 160], [70, 31]], [[201, 170], [110, 50]], [[230, 241], [61, 40]]]]

EXERCISES = [
    Exercise("preprocess-rescale",
             {"camera_size": "the 640×427 photo's (width, height) after rescaling",
              "camera_kept": "the fraction of its area the central crop keeps",
              "scan_size": "the same size for the 1024×768 scan", "scan_kept": "its kept fraction",
              "portrait_size": "the same size for the 427×640 portrait", "portrait_kept": "its kept fraction"},
             lambda camera_size, camera_kept, scan_size, scan_kept, portrait_size, portrait_kept: all([
                 check_rescaled_size(*_CAMERA, camera_size), check_crop_fraction(*_CAMERA, camera_kept),
                 check_rescaled_size(*_SCAN, scan_size), check_crop_fraction(*_SCAN, scan_kept),
                 check_rescaled_size(*_PORTRAIT, portrait_size), check_crop_fraction(*_PORTRAIT, portrait_kept)])),
    Exercise("preprocess-tiny-mean",
             {"tiny_mean_image": "the mean image (3, 2, 2) of the tiny dataset",
              "tiny_mean_pixel": "its mean pixel (3,)"},
             lambda tiny_mean_image, tiny_mean_pixel: all([
                 check_mean_image(torch.tensor(_TINY, dtype=torch.uint8), tiny_mean_image),
                 check_mean_image(torch.tensor(_TINY, dtype=torch.uint8), tiny_mean_pixel, kind="pixel")])),
    Exercise("preprocess-before-crop",
             {"rms_corner": "RMS difference (grey levels) between the two orders, patch at (0, 0)",
              "rms_worst": "the largest RMS difference over all 33×33 patch positions"},
             lambda rms_corner, rms_worst: all([
                 check_crop_mean_difference(_chapter_mean_image(), rms_corner, offset=(0, 0)),
                 check_crop_mean_difference(_chapter_mean_image(), rms_worst, offset=None)])),
    Exercise("preprocess-torchvision",
             {"tv_to_paper_a": "a_c for the three channels", "tv_to_paper_b": "b_c for the three channels"},
             lambda tv_to_paper_a, tv_to_paper_b: all([
                 check_torchvision_to_paper(_chapter_mean_image().mean((1, 2)), tv_to_paper_a, tv_to_paper_b)])),
]
