"""Checkers for chapter 41, evaluation with ten patches (``book/41_ten_crop.ipynb``)."""

from __future__ import annotations

import itertools

import torch

from ._engine import AnswerError, Exercise, checker, integer, judge, number, shape
from ..paper import CROP_SIZE, ILSVRC_TRAIN_IMAGES, ILSVRC_VAL_IMAGES, RESIZE_SIZE, TEST_PATCHES
from ..parallel import ILSVRC2012_TRAIN_IMAGES
from ..shapes import layer_shapes

_TEN_CROP_NAMES = ("top-left", "top-right", "bottom-left", "bottom-right", "centre")


def _ten_crop_name(k: int) -> str:
    five = _TEN_CROP_NAMES[k % 5]
    return five if k < 5 else f"the {five} patch of the reflected image"


def _ten_crop_regions(image_size: int, crop_size: int) -> list[tuple[int, int]]:
    """(top, left) of the region of the original image that each of the ten patches holds, in
    torchvision's order, found by cutting the patches out of an image of pixel coordinates with
    :func:`alexnet_edu.transforms.ten_crop`. A reflected patch holds a mirrored region."""
    from ..transforms import ten_crop

    rows = torch.arange(image_size)[:, None].expand(image_size, image_size)
    cols = torch.arange(image_size)[None, :].expand(image_size, image_size)
    patches = ten_crop(torch.stack([rows, cols]), crop_size)  # (10, 2, s, s): each pixel's (row, column)
    return [(int(p[0].min()), int(p[1].min())) for p in patches]


def _ten_crop_coverage(image_size: int, crop_size: int, patches: int = 10) -> torch.Tensor:
    """How many of the first ``patches`` of the ten contain each pixel of the image."""
    count = torch.zeros(image_size, image_size, dtype=torch.long)
    for top, left in _ten_crop_regions(image_size, crop_size)[:patches]:
        count[top:top + crop_size, left:left + crop_size] += 1
    return count


def _ten_crop_sizes(image_size, crop_size) -> tuple[int, int]:
    image_size = integer(image_size, "the image size as a whole number of pixels")
    crop_size = integer(crop_size, "the patch size as a whole number of pixels")
    if not 0 < crop_size <= image_size:
        raise AnswerError(f"These sizes do not work: a {crop_size}×{crop_size} patch does not fit in a "
                          f"{image_size}×{image_size} image.")
    return image_size, crop_size


@checker
def check_ten_crop_origin(
    k: int, answer: tuple[int, int], image_size: int = RESIZE_SIZE, crop_size: int = CROP_SIZE
) -> bool:
    """Ten-crop testing: the (top, left) corner, in the original ``image_size``×``image_size``
    image, of the region that patch ``k`` (0 … 9, torchvision's order) holds. For the reflected
    patches (k ≥ 5) it is the region the patch was cut from, before the reflection."""
    image_size, crop_size = _ten_crop_sizes(image_size, crop_size)
    k = integer(k, "the patch number as a whole number")
    if not 0 <= k < TEST_PATCHES:
        raise AnswerError(f"The ten patches are numbered 0 … 9, not {k}.")
    pair = "the corner as a pair (top, left): the row first, then the column"
    given = shape(answer, pair)
    if len(given) != 2:
        raise AnswerError(f"Give {pair}.")
    regions = _ten_crop_regions(image_size, crop_size)
    truth = regions[k]
    name = _ten_crop_name(k)
    margin = image_size - crop_size
    centre = round(margin / 2)
    in_reflection = [(0, 0), (0, margin), (margin, 0), (margin, margin), (centre, centre)][k % 5]
    off_by_one = ("Off by one pixel: the centre patch starts at round((H − s) / 2), and Python's round sends a half "
                  "to the even integer (round(2.5) = 2, round(3.5) = 4).")
    return judge(
        given, truth,
        right=f"Patch {k} ({name}) holds rows {truth[0]} … {truth[0] + crop_size - 1} and columns "
              f"{truth[1]} … {truth[1] + crop_size - 1} of the {image_size}×{image_size} image.",
        wrong=f"{given} is not the corner of patch {k} ({name}).",
        misconceptions=[
            (in_reflection if k >= 5 else None,
             "That is where the patch starts in the reflected image. Its pixels come from mirrored columns: "
             f"column x of the reflection is column {image_size - 1} − x of the original."),
            *[(region, f"That is the region of patch {other} ({_ten_crop_name(other)}). The order is top-left, "
                       "top-right, bottom-left, bottom-right, centre, then the same five cut from the reflected image.")
              for other, region in enumerate(regions)],
            (truth[::-1], "Row and column are swapped: give (top, left)."),
            *[((truth[0] + a, truth[1] + b), off_by_one)
              for a, b in itertools.product((-1, 0, 1), repeat=2) if k % 5 == 4 and (a, b) != (0, 0)],
        ],
        otherwise=f"The corners start at 0 or at H − s = {margin}; the centre at round((H − s) / 2); a reflected "
                  "patch's columns are mirrored back with x ↦ W − 1 − x.",
        rel=0.0, abs_=0.5,  # whole pixels: one pixel off is a different corner
    )


@checker
def check_ten_crop_coverage(
    count: int, answer: int, image_size: int = RESIZE_SIZE, crop_size: int = CROP_SIZE
) -> bool:
    """Ten-crop testing: how many pixels of an ``image_size``×``image_size`` image lie in exactly
    ``count`` of the ten patches (a reflected patch counts for the pixels it was cut from)."""
    image_size, crop_size = _ten_crop_sizes(image_size, crop_size)
    count = integer(count, "the number of patches as a whole number")
    if not 0 <= count <= TEST_PATCHES:
        raise AnswerError(f"A pixel lies in 0 to 10 of the ten patches, not {count}.")
    given = integer(answer, "the number of pixels as one integer")
    truth = int((_ten_crop_coverage(image_size, crop_size) == count).sum())
    share = truth / image_size ** 2
    return judge(
        given, truth,
        right=f"{truth:,} of the {image_size ** 2:,} pixels ({share:.1%}) lie in exactly {count} of "
              f"the ten {crop_size}×{crop_size} patches.",
        wrong=f"{given:,} is not the number of pixels in exactly {count} of the ten patches.",
        misconceptions=[
            (int((_ten_crop_coverage(image_size, crop_size, patches=5) == count).sum()),
             "That counts the five patches of the original image only; the five reflected patches hold pixels "
             "too (each the region of its mirror-image patch)."),
            (image_size ** 2 - truth, f"That is the number of pixels that do NOT lie in exactly {count} patches."),
        ],
        otherwise="Work along one axis first: which rows do the top patches hold, which the bottom ones, which the "
                  "centre? A patch contains a pixel when it holds both its row and its column; then add the "
                  "reflected patches.",
        rel=0.0, abs_=0.5,  # a count of pixels: one pixel off is a different answer
    )


def _network_macs() -> int:
    """Multiply-accumulates of one forward pass of the paper's network on one 227×227 patch."""
    return sum(row.macs for row in layer_shapes())


@checker
def check_ten_crop_macs(answer: float, patches: int = TEST_PATCHES) -> bool:
    """Ten-crop testing: the multiply-accumulates one test image costs when the network runs on each
    of ``patches`` patches (``alexnet_edu.shapes.layer_shapes()`` counts one patch's)."""
    patches = integer(patches, "the number of patches as a whole number")
    if patches < 1:
        raise AnswerError("Give at least one patch.")
    given = number(answer, "the multiply-accumulates per test image, as one number")
    one = _network_macs()
    truth = patches * one
    return judge(
        given, truth,
        right=f"{patches} full forward passes of {one:,} multiply-accumulates each: {truth:,} per test image, "
              f"{patches} times the centre patch alone; the overlapping patches share no work.",
        wrong=f"{given:,.0f} multiply-accumulates is not it.",
        misconceptions=[
            (one, f"That is one patch; ten-patch testing runs the whole network on each of the {patches}."),
            (patches // 2 * one if patches == TEST_PATCHES else None,
             "That counts the five patches of the image; the five reflected patches are forward passes too."),
            (2 * truth, "That counts two operations per multiply-accumulate (FLOPs); give multiply-accumulates."),
        ],
        otherwise="Add up the macs of the rows of layer_shapes() for one patch, then count the patches.",
    )


@checker
def check_ten_crop_evaluation_share(answer: float, step_cost: float = 3.0) -> bool:
    """The cost of a ten-patch evaluation of the ILSVRC-2012 validation set (50,000 images) as a
    fraction of one training epoch over 1.2 million images, taking a training step on one image as
    ``step_cost`` forward passes."""
    step_cost = number(step_cost, "the cost of a training step in forward passes, as one number")
    if step_cost <= 0:
        raise AnswerError("A training step costs a positive number of forward passes.")
    given = number(answer, "the fraction as one number")
    evaluation = TEST_PATCHES * ILSVRC_VAL_IMAGES
    epoch = step_cost * ILSVRC_TRAIN_IMAGES
    truth = evaluation / epoch
    return judge(
        given, truth,
        right=f"{TEST_PATCHES} × {ILSVRC_VAL_IMAGES:,} forward passes against {step_cost:g} × "
              f"{ILSVRC_TRAIN_IMAGES:,} for an epoch: {truth:.1%} of an epoch, cheap next to the 90 epochs of "
              f"training but {TEST_PATCHES} times the centre patch alone.",
        wrong=f"{given:g} is not the fraction of an epoch.",
        misconceptions=[
            (100 * truth, "That looks like a percentage: give a fraction."),
            (epoch / evaluation, "That is epochs per evaluation; the question asks for the evaluation's cost as a "
                                 "fraction of one epoch."),
            (evaluation / ILSVRC_TRAIN_IMAGES, "A training step costs about three forward passes (forward and a "
                                               "backward pass of twice the work), not one."),
            (ILSVRC_VAL_IMAGES / epoch, "Each validation image costs ten forward passes, one per patch."),
            (evaluation / (step_cost * ILSVRC2012_TRAIN_IMAGES),
             f"The question counts an epoch as the paper's 1.2 million images, not ILSVRC-2012's "
             f"{ILSVRC2012_TRAIN_IMAGES:,}."),
        ],
        otherwise="Count forward passes: ten per validation image, three per training image.",
        rel=0.02,  # an estimate: 0.14, the answer to two decimals, passes
    )


EXERCISES = [
    Exercise("ten-crop-origin",
             {"corner_patch6": "(top, left) of the region patch 6 holds, 256×256 image, 224 patches",
              "corner_patch9_227": "(top, left) of the region patch 9 holds, 227 patches"},
             lambda corner_patch6, corner_patch9_227: all([
                 check_ten_crop_origin(6, corner_patch6),
                 check_ten_crop_origin(9, corner_patch9_227, 256, 227)])),
    Exercise("ten-crop-coverage",
             {"pixels_in_none": "pixels of a 256×256 image in none of the ten 224 patches",
              "pixels_in_two": "pixels in exactly two", "pixels_in_all_ten": "pixels in all ten",
              "pixels_in_three_227": "pixels in exactly three of the ten 227 patches"},
             lambda pixels_in_none, pixels_in_two, pixels_in_all_ten, pixels_in_three_227: all([
                 check_ten_crop_coverage(0, pixels_in_none),
                 check_ten_crop_coverage(2, pixels_in_two),
                 check_ten_crop_coverage(10, pixels_in_all_ten),
                 check_ten_crop_coverage(3, pixels_in_three_227, 256, 227)])),
    Exercise("ten-crop-cost",
             {"ten_macs": "multiply-accumulates of one test image with ten patches",
              "eval_epoch_fraction": "a ten-patch evaluation of the validation set, as a fraction of one epoch"},
             lambda ten_macs, eval_epoch_fraction: all([
                 check_ten_crop_macs(ten_macs),
                 check_ten_crop_evaluation_share(eval_epoch_fraction)])),
    Exercise("ten-crop-which-views"),
]
