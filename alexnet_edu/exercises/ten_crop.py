"""Checkers for the ten-crop evaluation chapter (41)."""



import torch

from ._common import report as _report
from ..paper import CROP_SIZE, RESIZE_SIZE, TEST_PATCHES


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
    image_size, crop_size = int(image_size), int(crop_size)
    if not 0 < crop_size <= image_size:
        raise ValueError(f"a {crop_size}×{crop_size} patch does not fit in a {image_size}×{image_size} image")
    return image_size, crop_size


def check_ten_crop_origin(
    k: int, answer: tuple[int, int], image_size: int = RESIZE_SIZE, crop_size: int = CROP_SIZE
) -> bool:
    """Ten-crop testing: the (top, left) corner, in the original ``image_size``×``image_size``
    image, of the region that patch ``k`` (0 … 9, torchvision's order) holds. For the reflected
    patches (k ≥ 5) it is the region the patch was cut from, before the reflection."""
    try:
        image_size, crop_size = _ten_crop_sizes(image_size, crop_size)
        k = int(k)
    except (TypeError, ValueError) as err:
        return _report(False, f"These sizes do not work: {err}.")
    if not 0 <= k < TEST_PATCHES:
        return _report(False, f"The ten patches are numbered 0 … 9, not {k}.")
    try:
        given = tuple(int(v) for v in answer)
    except (TypeError, ValueError):
        given = ()
    if len(given) != 2:
        return _report(False, "Give the corner as a pair (top, left): the row first, then the column.")
    regions = _ten_crop_regions(image_size, crop_size)
    truth = regions[k]
    name = _ten_crop_name(k)
    if given == truth:
        return _report(True, f"Patch {k} ({name}) holds rows {truth[0]} … {truth[0] + crop_size - 1} and columns "
                             f"{truth[1]} … {truth[1] + crop_size - 1} of the {image_size}×{image_size} image.")
    margin = image_size - crop_size
    centre = round(margin / 2)
    in_reflection = [(0, 0), (0, margin), (margin, 0), (margin, margin), (centre, centre)][k % 5]
    if k >= 5 and given == in_reflection:
        hint = ("That is where the patch starts in the reflected image. Its pixels come from mirrored columns: "
                f"column x of the reflection is column {image_size - 1} − x of the original.")
    elif given in regions:
        other = regions.index(given)
        hint = (f"That is the region of patch {other} ({_ten_crop_name(other)}). The order is top-left, top-right, "
                "bottom-left, bottom-right, centre, then the same five cut from the reflected image.")
    elif given[::-1] == truth:
        hint = "Row and column are swapped: give (top, left)."
    elif k % 5 == 4 and max(abs(a - b) for a, b in zip(given, truth)) == 1:
        hint = ("Off by one pixel: the centre patch starts at round((H − s) / 2), and Python's round sends a half to "
                "the even integer (round(2.5) = 2, round(3.5) = 4).")
    else:
        hint = (f"The corners start at 0 or at H − s = {margin}; the centre at round((H − s) / 2); a reflected "
                "patch's columns are mirrored back with x ↦ W − 1 − x.")
    return _report(False, f"{given} is not the corner of patch {k} ({name}). {hint}")


def check_ten_crop_coverage(
    count: int, answer: int, image_size: int = RESIZE_SIZE, crop_size: int = CROP_SIZE
) -> bool:
    """Ten-crop testing: how many pixels of an ``image_size``×``image_size`` image lie in exactly
    ``count`` of the ten patches (a reflected patch counts for the pixels it was cut from)."""
    try:
        image_size, crop_size = _ten_crop_sizes(image_size, crop_size)
        count = int(count)
    except (TypeError, ValueError) as err:
        return _report(False, f"These sizes do not work: {err}.")
    if not 0 <= count <= TEST_PATCHES:
        return _report(False, f"A pixel lies in 0 to 10 of the ten patches, not {count}.")
    try:
        given = int(answer)
    except (TypeError, ValueError):
        return _report(False, "Give the number of pixels as one integer.")
    coverage = _ten_crop_coverage(image_size, crop_size)
    truth = int((coverage == count).sum())
    if given == truth:
        share = truth / image_size ** 2
        return _report(True, f"{truth:,} of the {image_size ** 2:,} pixels ({share:.1%}) lie in exactly {count} of "
                             f"the ten {crop_size}×{crop_size} patches.")
    five = int((_ten_crop_coverage(image_size, crop_size, patches=5) == count).sum())
    if given == five:
        hint = ("That counts the five patches of the original image only; the five reflected patches hold pixels "
                "too (each the region of its mirror-image patch).")
    elif given == image_size ** 2 - truth:
        hint = f"That is the number of pixels that do NOT lie in exactly {count} patches."
    else:
        hint = ("Work along one axis first: which rows do the top patches hold, which the bottom ones, which the "
                "centre? A patch contains a pixel when it holds both its row and its column; then add the reflected "
                "patches.")
    return _report(False, f"{given:,} is not the number of pixels in exactly {count} of the ten patches. {hint}")
