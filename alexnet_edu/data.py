"""The one place that knows where the datasets live.

The paper trains on ILSVRC-2012: "ImageNet is a dataset of over 15 million labeled high-resolution
images belonging to roughly 22,000 categories. [...] ILSVRC uses a subset of ImageNet with roughly
1000 images in each of 1000 categories. In all, there are roughly 1.2 million training images,
50,000 validation images, and 150,000 testing images." (§2). The book works mostly on two small
stand-ins: Imagenette (10 easy ImageNet classes) and CIFAR-10 (the paper's Figure 1).

Where data is looked for, in this order (the first one set wins):

1. the ``root`` argument;
2. the ``ALEXNET_EDU_DATA`` environment variable;
3. ``./data`` (relative to the working directory).

Inside that root each dataset may be in any of the folders of :data:`LAYOUTS` — the official
archives as they unpack, or the ImageFolder copies made for offline machines. Labels are the same
whichever layout is used: classes are sorted by folder name (WordNet id or CIFAR-10 class name).
For ImageNet that is torchvision's (and Caffe's) class order, the sorted WordNet ids, not the
ILSVRC2012_ID order of the devkit; for CIFAR-10 it is the official label order.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Union

from torch.utils.data import Dataset

DATA_ENV = "ALEXNET_EDU_DATA"
DEFAULT_ROOT = "data"
CACHE_ENV = "ALEXNET_EDU_CACHE"
PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class ImagenetteClass:
    """One Imagenette class: its WordNet id, its index among ImageNet-1k's classes, a name."""

    wnid: str
    imagenet_index: int
    name: str


# Imagenette's ten classes (fastai), sorted by WordNet id: the position in this tuple is the
# label that load_dataset("imagenette", ...) gives; imagenet_index is the label in ImageNet-1k.
IMAGENETTE_CLASSES: tuple[ImagenetteClass, ...] = (
    ImagenetteClass("n01440764", 0, "tench"),
    ImagenetteClass("n02102040", 217, "English springer"),
    ImagenetteClass("n02979186", 482, "cassette player"),
    ImagenetteClass("n03000684", 491, "chain saw"),
    ImagenetteClass("n03028079", 497, "church"),
    ImagenetteClass("n03394916", 566, "French horn"),
    ImagenetteClass("n03417042", 569, "garbage truck"),
    ImagenetteClass("n03425413", 571, "gas pump"),
    ImagenetteClass("n03445777", 574, "golf ball"),
    ImagenetteClass("n03888257", 701, "parachute"),
)

# CIFAR-10's classes in the official label order (which is also alphabetical).
CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)

SPLITS: dict[str, tuple[str, ...]] = {
    "imagenette": ("train", "val"),
    "cifar10": ("train", "test"),
    "imagenet": ("train", "val"),
}

# Images per split in the official releases; a layout with fewer (or more) is incomplete.
EXPECTED_IMAGES: dict[tuple[str, str], int] = {
    ("imagenette", "train"): 9_469,
    ("imagenette", "val"): 3_925,
    ("cifar10", "train"): 50_000,
    ("cifar10", "test"): 10_000,
    ("imagenet", "train"): 1_281_167,
    ("imagenet", "val"): 50_000,
}
IMAGENET_NUM_CLASSES = 1000


@dataclass(frozen=True)
class Layout:
    """A folder inside the data root where a dataset may be, and what is in it."""

    folder: str
    kind: str  # "imagefolder", "cifar-batches" or "ilsvrc"
    description: str


# Searched in this order; the first folder that exists is used.
LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "imagenette": (
        Layout("imagenette2", "imagefolder", "official archive imagenette2.tgz (full size)"),
        Layout("imagenette2-320", "imagefolder", "official archive imagenette2-320.tgz (shorter side 320)"),
        Layout("imagenette2-160", "imagefolder", "official archive imagenette2-160.tgz (shorter side 160)"),
        Layout("imagenette2-224", "imagefolder", "offline ImageFolder copy, 224×224 squashed"),
    ),
    "cifar10": (
        Layout("cifar-10-batches-py", "cifar-batches", "official archive cifar-10-python.tar.gz"),
        Layout("cifar10-jpeg", "imagefolder", "offline ImageFolder copy, re-encoded as JPEG"),
    ),
    "imagenet": (
        Layout("imagenet", "ilsvrc", "ILSVRC-2012: train/<wnid>/ and val/<wnid>/, or torchvision's archives"),
        Layout("ILSVRC2012", "ilsvrc", "ILSVRC-2012: train/<wnid>/ and val/<wnid>/, or torchvision's archives"),
    ),
}

# Imagenette sizes that `python -m alexnet_edu download imagenette --size` accepts, mapped to
# torchvision's names for them (torchvision.datasets.Imagenette holds the URLs and checksums).
IMAGENETTE_DOWNLOAD_SIZES = {"full": "full", "320": "320px", "160": "160px"}

ILSVRC_ARCHIVES = {
    "devkit": "ILSVRC2012_devkit_t12.tar.gz",
    "train": "ILSVRC2012_img_train.tar",
    "val": "ILSVRC2012_img_val.tar",
}

IMAGENET_INSTRUCTIONS = """\
ImageNet (ILSVRC-2012) cannot be downloaded automatically: its licence requires each user to
register and accept the terms of access.

1. Create an account at https://image-net.org, accept the terms, and download from the
   ILSVRC-2012 page: {train}, {val} and {devkit}.
2. Put the three files in {folder}
   (or in a folder ILSVRC2012/ beside it).
3. The first load_dataset("imagenet", ...) unpacks them with torchvision.datasets.ImageNet into
   {folder}/train/<wnid>/ and {folder}/val/<wnid>/ (once; it takes a long time,
   and reading the devkit needs SciPy: pip install scipy).

Already have ILSVRC-2012 unpacked as train/<wnid>/*.JPEG and val/<wnid>/*.JPEG folders? Put (or
link) those two folders in {folder}."""


class DataNotFoundError(FileNotFoundError):
    """A dataset is missing or incomplete; the message says where we looked and how to fix it."""


def resolve_root(root: Optional[PathLike] = None) -> tuple[Path, str]:
    """The data root and how it was chosen: the argument, else $ALEXNET_EDU_DATA, else ./data.

    The default is ``./data`` in the working directory. A notebook's kernel runs in the folder of
    the notebook (``book/``), so when ``./data`` does not exist, the ``data/`` folder of the
    enclosing checkout (the nearest parent folder with ``_config.yml``) is used if it exists.
    """
    if root is not None:
        return Path(root).expanduser().resolve(), "the root argument"
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        return Path(env).expanduser().resolve(), f"the {DATA_ENV} environment variable"
    here = Path(DEFAULT_ROOT).resolve()
    if not here.is_dir():
        for parent in here.parent.parents:
            if (parent / "_config.yml").is_file() and (parent / DEFAULT_ROOT).is_dir():
                return parent / DEFAULT_ROOT, f"the default: the checkout's {DEFAULT_ROOT}/ ({DATA_ENV} is not set)"
    return here, f"the default ./{DEFAULT_ROOT} ({DATA_ENV} is not set)"


def cache_dir() -> Path:
    """Where computed dataset statistics (mean images, colour PCA) are cached: $ALEXNET_EDU_CACHE,
    else $XDG_CACHE_HOME/alexnet_edu, else ~/.cache/alexnet_edu. Never inside the data root, which
    may be read-only."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return Path(env).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".cache").expanduser().resolve() / "alexnet_edu"


def imagenette_class_names() -> list[str]:
    """Readable names of Imagenette's classes, indexed by the labels load_dataset gives."""
    return [c.name for c in IMAGENETTE_CLASSES]


def imagenette_to_imagenet(label: int) -> int:
    """The ImageNet-1k class index of an Imagenette label (0 → 0 tench, 1 → 217 English springer…)."""
    if not 0 <= label < len(IMAGENETTE_CLASSES):
        raise ValueError(f"Imagenette labels are 0..{len(IMAGENETTE_CLASSES) - 1}, got {label}")
    return IMAGENETTE_CLASSES[label].imagenet_index


def download_command(name: str, root: Path) -> str:
    """The shell command that downloads a dataset into ``root``."""
    return f"python -m alexnet_edu download {name} --root {root}"


def _check_name(name: str) -> None:
    if not isinstance(name, str) or name not in SPLITS:
        raise ValueError(f"unknown dataset {name!r}: choose one of {', '.join(map(repr, SPLITS))}")


def _check_name_split(name: str, split: str) -> None:
    _check_name(name)
    if split not in SPLITS[name]:
        hint = " (CIFAR-10 has no validation split: use 'test')" if name == "cifar10" and split == "val" else ""
        raise ValueError(
            f"{name} has no split {split!r}: choose one of {', '.join(map(repr, SPLITS[name]))}{hint}"
        )


def _expected_classes(name: str) -> Optional[list[str]]:
    if name == "imagenette":
        return [c.wnid for c in IMAGENETTE_CLASSES]
    if name == "cifar10":
        return list(CIFAR10_CLASSES)
    return None  # ImageNet: 1000 WordNet ids, checked by count and form


def _fix_hint(name: str, root: Path) -> str:
    if name == "imagenet":
        return IMAGENET_INSTRUCTIONS.format(folder=root / "imagenet", **ILSVRC_ARCHIVES)
    return f"To download it, run:\n    {download_command(name, root)}"


def _incomplete(name: str, split: str, where: Path, problem: str, root: Path, extra: bool = False) -> DataNotFoundError:
    """The error for a folder that exists but is not complete, with the remedy that fits it."""
    layout = next(layout for layout in LAYOUTS[name] if layout.folder == where.name)
    if extra:  # folders that are not classes, e.g. .ipynb_checkpoints
        remedy = f"Move the unexpected folders out of {where / split}."
    elif name == "imagenet":
        remedy = (f"Delete {where / split} (keep the ILSVRC2012_*.tar archives) and load again to unpack "
                  f"it anew.\n{_fix_hint(name, root)}")
    elif layout.folder in ("imagenette2-224", "cifar10-jpeg"):  # copies we did not make
        remedy = (f"This copy is not an official download: restore it from its source, or download the "
                  f"official archive instead:\n    {download_command(name, root)}")
    else:  # an interrupted download or unpacking: torchvision unpacks the kept archive again
        remedy = f"Run the download again; it unpacks the archive over the incomplete folder:\n    {download_command(name, root)}"
    return DataNotFoundError(f"{name} ({split}) in {where} is incomplete: {problem}.\n{remedy}")


def _image_folder(name: str, split: str, folder: Path, transform, verify: bool, root: Path) -> Dataset:
    from torchvision.datasets import ImageFolder

    split_dir = folder / split
    if not split_dir.is_dir():
        raise _incomplete(name, split, folder, f"there is no {split}/ folder", root)
    found = sorted(d.name for d in split_dir.iterdir() if d.is_dir())
    expected = _expected_classes(name)
    if expected is not None and found != expected:
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        if missing:
            raise _incomplete(name, split, folder, f"class folders missing: {', '.join(missing)}", root)
        raise _incomplete(name, split, folder, f"unexpected folders: {', '.join(extra)}", root, extra=True)
    if name == "imagenet":
        if not found and any(split_dir.glob("*.JPEG")):
            raise _incomplete(
                name, split, folder,
                f"{split}/ holds images but no <wnid>/ class folders (the raw validation archive is "
                f"flat; torchvision.datasets.ImageNet sorts it using the devkit)", root,
            )
        not_wnid = [d for d in found if not re.fullmatch(r"n\d{8}", d)]
        if not_wnid:
            raise _incomplete(name, split, folder, f"folders that are not WordNet ids: {not_wnid[:5]}", root, extra=True)
        if len(found) != IMAGENET_NUM_CLASSES:
            if verify:
                raise _incomplete(
                    name, split, folder, f"{len(found)} class folders instead of {IMAGENET_NUM_CLASSES}", root
                )
            warnings.warn(
                f"{split_dir} has {len(found)} of ImageNet's {IMAGENET_NUM_CLASSES} classes: labels are "
                f"positions among these folders, not ImageNet-1k class indices", stacklevel=4,
            )
    try:
        dataset = ImageFolder(str(split_dir), transform=transform)
    except FileNotFoundError as err:  # a class folder without a single image
        raise _incomplete(name, split, folder, str(err).rstrip("."), root) from None
    expected_count = EXPECTED_IMAGES[(name, split)]
    if verify and len(dataset) != expected_count:
        raise _incomplete(
            name, split, folder, f"{len(dataset):,} images instead of {expected_count:,}", root
        )
    return dataset


def _cifar_batches(split: str, folder: Path, transform, root: Path) -> Dataset:
    from torchvision.datasets import CIFAR10

    try:
        # torchvision reads the official pickled batches and checks each file's MD5.
        return CIFAR10(str(folder.parent), train=(split == "train"), transform=transform, download=False)
    except RuntimeError:
        raise _incomplete(
            "cifar10", split, folder, "a batch file is missing or fails its MD5 checksum", root
        ) from None


def _ilsvrc(split: str, folder: Path, transform, verify: bool, root: Path) -> Dataset:
    has_folder = (folder / split).is_dir()
    has_archives = (folder / ILSVRC_ARCHIVES["devkit"]).is_file() and (folder / ILSVRC_ARCHIVES[split]).is_file()
    if not has_folder and has_archives:
        from torchvision.datasets import ImageNet

        print(
            f"Unpacking {ILSVRC_ARCHIVES[split]} in {folder} with torchvision (once; this takes a long time)...",
            file=sys.stderr,
        )
        ImageNet(str(folder), split=split)  # parses the devkit and sorts images into <wnid>/ folders
    return _image_folder("imagenet", split, folder, transform, verify, root)


def find_dataset(name: str, split: str, root: Optional[PathLike] = None) -> tuple[Path, Layout]:
    """Where ``load_dataset`` would read ``name``: the folder and its layout.

    Raises :class:`DataNotFoundError` naming the data root and every folder searched, and the
    command that fixes it, when none of the known folders exists.
    """
    _check_name_split(name, split)
    base, how = resolve_root(root)
    for layout in LAYOUTS[name]:
        folder = base / layout.folder
        if folder.is_dir():
            return folder, layout
    searched = "\n".join(f"    {base / layout.folder}/  ({layout.description})" for layout in LAYOUTS[name])
    if base.name in {layout.folder for layouts in LAYOUTS.values() for layout in layouts} or (base / split).is_dir():
        hint = f"{base} looks like a dataset folder itself: pass its parent folder, {base.parent}, as the root."
    elif base.exists() and not base.is_dir():
        hint = f"{base} is a file, not a folder: the root must be the folder that contains the datasets."
    else:
        hint = f"If the data is elsewhere, pass root=... or set {DATA_ENV} to the folder that contains it."
    raise DataNotFoundError(
        f"{name} ({split}) was not found.\n"
        f"Data root: {base}  (from {how})\n"
        f"Searched:\n{searched}\n"
        f"{_fix_hint(name, base)}\n{hint}"
    )


def load_dataset(
    name: str,
    split: str,
    root: Optional[PathLike] = None,
    transform: Optional[Callable] = None,
    *,
    verify: bool = True,
) -> Dataset:
    """A dataset of ``(image, label)`` pairs: a PIL RGB image (or ``transform(image)``) and an int.

    Args:
        name: ``"imagenette"``, ``"cifar10"`` or ``"imagenet"``.
        split: ``"train"`` or ``"val"`` (``"train"`` or ``"test"`` for CIFAR-10).
        root: the data root; defaults to ``$ALEXNET_EDU_DATA``, then ``./data``.
        transform: applied to every image (for example a ``torchvision.transforms.v2`` pipeline).
        verify: check that the split has every class and exactly the official number of images.
            Turn it off only for a subset you made on purpose.

    The returned dataset is a ``torchvision.datasets.ImageFolder`` (``.samples`` lists the files,
    ``.classes`` the folder names, which are WordNet ids for ImageNet and Imagenette), except for
    CIFAR-10's official pickled batches, read with ``torchvision.datasets.CIFAR10``.
    """
    folder, layout = find_dataset(name, split, root)
    try:
        return _read(name, split, folder, layout, transform, verify)
    except DataNotFoundError as err:
        others = [folder.parent / other.folder for other in LAYOUTS[name]
                  if other.folder != layout.folder and (folder.parent / other.folder).is_dir()]
        if not others:
            raise
        # the first folder found wins; say which others were passed over, so none hides silently
        raise DataNotFoundError(
            f"{err}\nOther copies in the same root were not used: {', '.join(map(str, others))}. "
            f"Fix or remove {folder} to use them."
        ) from None


def _read(name: str, split: str, folder: Path, layout: Layout, transform, verify: bool) -> Dataset:
    base = folder.parent
    if layout.kind == "cifar-batches":
        return _cifar_batches(split, folder, transform, base)  # fixed files, checked by MD5
    if layout.kind == "ilsvrc":
        return _ilsvrc(split, folder, transform, verify, base)
    return _image_folder(name, split, folder, transform, verify, base)


def download(name: str, root: Optional[PathLike] = None, size: Optional[str] = None) -> Path:
    """Download and unpack a dataset's official archive into the data root; return its folder.

    torchvision's download code fetches the archive (with a progress bar) and checks its MD5
    before unpacking; an archive already present and intact is not fetched again, and a folder
    that is already complete is left as it is. An incomplete folder (an interrupted unpacking) is
    unpacked again from the archive. ImageNet cannot be downloaded automatically (see
    :data:`IMAGENET_INSTRUCTIONS`). ``size`` is Imagenette's: ``"full"``, ``"320"`` (default) or
    ``"160"``.
    """
    from torchvision.datasets.utils import download_and_extract_archive

    _check_name(name)
    base, _ = resolve_root(root)
    if name == "imagenet":
        raise DataNotFoundError(_fix_hint("imagenet", base))
    if base.exists() and not base.is_dir():
        raise NotADirectoryError(f"{base} is a file: the data root must be a folder (pass another --root)")
    if name == "imagenette":
        size = "320" if size is None else size
        if size not in IMAGENETTE_DOWNLOAD_SIZES:
            raise ValueError(f"unknown Imagenette size {size!r}: choose one of {', '.join(IMAGENETTE_DOWNLOAD_SIZES)}")
        from torchvision.datasets import Imagenette

        url, md5 = Imagenette._ARCHIVES[IMAGENETTE_DOWNLOAD_SIZES[size]]  # torchvision's URLs and MD5s
        folder_name = Path(url).name.split(".")[0]
    else:
        if size is not None:
            raise ValueError(f"--size applies to Imagenette only, not to {name}")
        from torchvision.datasets import CIFAR10

        url, md5, folder_name = CIFAR10.url, CIFAR10.tgz_md5, CIFAR10.base_folder
    folder = base / folder_name
    layout = next(layout for layout in LAYOUTS[name] if layout.folder == folder_name)

    def check() -> None:  # fail now, not in the middle of a chapter, if anything is missing
        for split in SPLITS[name]:
            _read(name, split, folder, layout, transform=None, verify=True)

    if folder.is_dir():
        try:
            check()
            return folder
        except DataNotFoundError:
            pass  # incomplete: unpack again below
    base.mkdir(parents=True, exist_ok=True)
    download_and_extract_archive(url, str(base), md5=md5)
    check()
    return folder


# --- reading images that may be damaged ------------------------------------------------------

READ_OK, READ_CONVERTED, READ_SKIPPED = "ok", "converted", "skipped"


def read_rgb(path: PathLike):
    """Open an image file as an 8-bit RGB PIL image, whatever it holds.

    Returns ``(image, status, reason)``: status :data:`READ_OK` for an RGB JPEG;
    :data:`READ_CONVERTED` for a file that was converted to RGB (grayscale, CMYK, palette, or another
    format than its name says, such as ImageNet's PNG saved as ``.JPEG``); :data:`READ_SKIPPED`, with
    ``image=None``, for a file that cannot be decoded (empty, truncated, corrupt). Never raises for a
    bad file, so one bad image cannot stop a training run in the middle of an epoch.
    """
    import PIL.Image

    try:
        with PIL.Image.open(path) as im:
            mode, fmt = im.mode, im.format
            image = im.convert("RGB")  # decodes the whole file: a truncated one fails here
    except (OSError, SyntaxError, ValueError, PIL.Image.DecompressionBombError) as err:
        return None, READ_SKIPPED, f"{type(err).__name__}: {err}"
    suffix = Path(path).suffix.lower()
    named = {".jpeg": "JPEG", ".jpg": "JPEG", ".png": "PNG"}.get(suffix)
    if mode != "RGB" or (named is not None and fmt != named):
        return image, READ_CONVERTED, f"{fmt} {mode}"
    return image, READ_OK, ""
