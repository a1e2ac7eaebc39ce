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
import stat
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, NamedTuple, Optional, Union

import torch
from torch.utils.data import Dataset
from torchvision.datasets import ImageFolder
from torchvision.datasets.folder import IMG_EXTENSIONS, has_file_allowed_extension

from .provenance import file_digest

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


def imagenet_instructions(root: Optional[PathLike] = None) -> str:
    """How to obtain ILSVRC-2012 by hand and where to put it in the data root."""
    return IMAGENET_INSTRUCTIONS.format(folder=resolve_root(root)[0] / "imagenet", **ILSVRC_ARCHIVES)


def _fix_hint(name: str, root: Path) -> str:
    if name == "imagenet":
        return imagenet_instructions(root)
    archive = archive_for(name)
    return f"To download it ({archive.filename}, {archive.size_text}), run:\n    {download_command(name, root)}"


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
    else:  # a folder changed after its download: downloading again replaces it
        remedy = f"Run the download again; it replaces the incomplete folder:\n    {download_command(name, root)}"
    return DataNotFoundError(f"{name} ({split}) in {where} is incomplete: {problem}.\n{remedy}")


class ImageFiles(ImageFolder):
    """torchvision's ``ImageFolder``, listing only entries that can be read as files, in its order.

    A real folder can hold what a dataset should not: a FIFO or a device named ``.JPEG`` (reading it
    would wait forever), a link that leads nowhere or to itself, a link to a folder that is listed
    already (a loop would list its images again and again). These are left out of ``samples`` and
    named, with the reason, in ``problems``.
    """

    def make_dataset(self, directory, class_to_idx, extensions=None, is_valid_file=None, allow_empty=False):
        self.problems: list[tuple[str, str]] = []
        instances = []
        for target_class in sorted(class_to_idx):
            top = os.path.join(directory, target_class)
            seen, found = {_identity(top)}, []
            for folder, subfolders, files in os.walk(top, followlinks=True):
                for sub in sorted(subfolders):  # prune a folder reached twice: a loop of links
                    key = _identity(os.path.join(folder, sub))
                    if key in seen:
                        subfolders.remove(sub)
                        self.problems.append((os.path.join(folder, sub), "a link to a folder listed already"))
                    seen.add(key)
                found.append((folder, files))
            for folder, files in sorted(found):  # torchvision's order: folders, then names, sorted
                for name in sorted(files):
                    path = os.path.join(folder, name)
                    try:
                        mode = os.stat(path).st_mode
                    except FileNotFoundError:
                        self.problems.append((path, "a link that leads nowhere"))
                        continue
                    except OSError as err:  # ELOOP: a link to itself
                        self.problems.append((path, f"cannot be opened ({err.strerror})"))
                        continue
                    if not has_file_allowed_extension(name, IMG_EXTENSIONS):
                        continue
                    if not stat.S_ISREG(mode):
                        self.problems.append((path, "not a regular file (a FIFO, a socket or a device)"))
                        continue
                    instances.append((path, class_to_idx[target_class]))
            if not any(label == class_to_idx[target_class] for _, label in instances) and not allow_empty:
                raise FileNotFoundError(f"Found no valid file for the classes {target_class}")
        return instances


def _identity(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _image_folder(name: str, split: str, folder: Path, transform, verify: bool, root: Path) -> Dataset:
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
        dataset = ImageFiles(str(split_dir), transform=transform)
    except FileNotFoundError as err:  # a class folder without a single image
        raise _incomplete(name, split, folder, str(err).rstrip("."), root) from None
    expected_count = EXPECTED_IMAGES[(name, split)]
    if verify and len(dataset) != expected_count:
        raise _incomplete(
            name, split, folder, f"{len(dataset):,} images instead of {expected_count:,}", root
        )
    return dataset


class CIFAR10Batches(Dataset):
    """CIFAR-10 in its official layout, ``cifar-10-batches-py/``: pickled batches of 10,000 images
    (``data_batch_1`` … ``data_batch_5`` for training, ``test_batch``) and ``batches.meta`` with the
    class names. ``.data`` holds the images as one uint8 array (N, 32, 32, 3), ``.targets`` the labels;
    an item is a PIL RGB image (or ``transform(image)``) and its label, as with an image folder.

    The archive was checked against its MD5 when it was downloaded; here every file must unpickle to
    the documented structure, which a truncated or damaged file does not.
    """

    TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
    TEST = ("test_batch",)

    def __init__(self, folder: PathLike, split: str, transform: Optional[Callable] = None) -> None:
        import pickle

        import numpy as np

        folder = Path(folder)
        images, labels = [], []
        for name in (self.TRAIN if split == "train" else self.TEST):
            with open(folder / name, "rb") as f:
                batch = pickle.load(f, encoding="latin1")  # Python 2 pickles holding NumPy arrays
            pixels = np.asarray(batch["data"], dtype=np.uint8)
            if pixels.ndim != 2 or pixels.shape[1] != 3 * 32 * 32 or len(batch["labels"]) != len(pixels):
                raise ValueError(f"{name}: not a CIFAR-10 batch of 32×32 colour images")
            images.append(pixels.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))  # rows are R, G, B planes
            labels.extend(int(v) for v in batch["labels"])
        with open(folder / "batches.meta", "rb") as f:
            self.classes = [str(c) for c in pickle.load(f, encoding="latin1")["label_names"]]
        self.data, self.targets, self.transform = np.ascontiguousarray(np.concatenate(images)), labels, transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        from PIL import Image

        image = Image.fromarray(self.data[index])
        return (self.transform(image) if self.transform is not None else image), self.targets[index]


def _cifar_batches(split: str, folder: Path, transform, verify: bool, root: Path) -> Dataset:
    import pickle

    try:
        dataset = CIFAR10Batches(folder, split, transform)
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, ValueError, TypeError, IndexError) as err:
        raise _incomplete("cifar10", split, folder, f"a batch file is missing or damaged ({type(err).__name__}: "
                          f"{err})", root) from None
    if dataset.classes != list(CIFAR10_CLASSES):
        raise _incomplete("cifar10", split, folder, f"batches.meta names other classes: {dataset.classes}", root)
    expected = EXPECTED_IMAGES[("cifar10", split)]
    if verify and len(dataset) != expected:
        raise _incomplete("cifar10", split, folder, f"{len(dataset):,} images instead of {expected:,}", root)
    return dataset


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
    ``.classes`` the folder names, which are WordNet ids for ImageNet and Imagenette; ``.problems`` the
    entries left out, such as links that lead nowhere, see :class:`ImageFiles`), except for
    CIFAR-10's official pickled batches, read by :class:`CIFAR10Batches` (``.data``, ``.targets``).
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
        return _cifar_batches(split, folder, transform, verify, base)
    if layout.kind == "ilsvrc":
        return _ilsvrc(split, folder, transform, verify, base)
    return _image_folder(name, split, folder, transform, verify, base)


@dataclass(frozen=True)
class Archive:
    """An official archive: where it is, its published MD5, its size, and the folder it unpacks to."""

    url: str
    md5: str
    bytes: int
    folder: str

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def size_text(self) -> str:
        """The size as a reader would say it: "342 MB", "1.6 GB"."""
        return f"{self.bytes / 1e9:.1f} GB" if self.bytes >= 1e9 else f"{self.bytes / 1e6:.0f} MB"


# The official archives. URLs and MD5s are torchvision's (datasets.Imagenette._ARCHIVES, datasets.CIFAR10).
# The byte counts are those listed for these files elsewhere (Imagenette: Hugging Face's frgfm/imagenette
# dataset card; CIFAR-10: the size torchvision's download reports), not measured here: they only tell a
# user what a download costs before it starts; the progress bar shows the server's own size.
ARCHIVES: dict[tuple[str, Optional[str]], Archive] = {
    ("imagenette", "full"): Archive("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2.tgz",
                                    "fe2fc210e6bb7c5664d602c3cd71e612", 1_557_161_267, "imagenette2"),
    ("imagenette", "320"): Archive("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-320.tgz",
                                   "3df6f0d01a2c9592104656642f5e78a3", 341_663_724, "imagenette2-320"),
    ("imagenette", "160"): Archive("https://s3.amazonaws.com/fast-ai-imageclas/imagenette2-160.tgz",
                                   "e793b78cc4c9e9a4ccc0c1155377a412", 99_003_388, "imagenette2-160"),
    ("cifar10", None): Archive("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                               "c58f30108f718f92721af3b95e74349a", 170_498_071, "cifar-10-batches-py"),
}
# Imagenette sizes that `python -m alexnet_edu download imagenette --size` accepts; 320 keeps enough
# pixels for the paper's 256-pixel rescaling without downloading the full-size photos.
IMAGENETTE_DOWNLOAD_SIZES = ("full", "320", "160")
DEFAULT_IMAGENETTE_SIZE = "320"


class DownloadError(OSError):
    """A download that could not be completed; the message says why and what to do. Nothing
    half-downloaded or half-unpacked is left behind."""


def archive_for(name: str, size: Optional[str] = None) -> Archive:
    """The official archive of dataset ``name`` (Imagenette: of ``size``, default 320)."""
    _check_name(name)
    if name == "imagenet":
        raise DataNotFoundError(_fix_hint("imagenet", resolve_root()[0]))
    if name == "imagenette":
        size = DEFAULT_IMAGENETTE_SIZE if size is None else str(size)
        if size not in IMAGENETTE_DOWNLOAD_SIZES:
            raise ValueError(f"unknown Imagenette size {size!r}: choose one of {', '.join(IMAGENETTE_DOWNLOAD_SIZES)}")
        return ARCHIVES[("imagenette", size)]
    if size is not None:
        raise ValueError(f"--size applies to Imagenette only, not to {name}")
    return ARCHIVES[(name, None)]


def find_complete(name: str, root: Optional[PathLike] = None) -> Optional[tuple[Path, Layout]]:
    """The folder and layout of ``name`` in the data root when every split of it loads (any layout:
    an official download or an offline copy), else ``None``."""
    try:
        folder, layout = find_dataset(name, SPLITS[name][0], root)
        for split in SPLITS[name]:
            load_dataset(name, split, root)
    except DataNotFoundError:
        return None
    return folder, layout


def download(name: str, root: Optional[PathLike] = None, size: Optional[str] = None, *,
             progress: bool = True) -> Path:
    """Download and unpack a dataset's official archive into the data root; return its folder.

    The archive is fetched (with a progress bar) into a hidden temporary file and checked against its
    published MD5 before anything is unpacked; it is unpacked into a hidden temporary folder, checked
    (every class, the official number of images), and only then renamed into place, so an
    interruption or a damaged archive never leaves a half-unpacked dataset. The archive is deleted
    after unpacking. An archive you put in the data root yourself (no internet on this machine) is
    used instead of a download, and kept. A folder that is already complete is left as it is; an
    incomplete one is replaced. ImageNet cannot be downloaded automatically (see
    :data:`IMAGENET_INSTRUCTIONS`). ``size`` is Imagenette's: ``"full"``, ``"320"`` (default) or ``"160"``.
    """
    archive = archive_for(name, size)
    base, _ = resolve_root(root)
    if base.exists() and not base.is_dir():
        raise NotADirectoryError(f"{base} is a file: the data root must be a folder (pass another --root)")
    folder = base / archive.folder
    layout = next(layout for layout in LAYOUTS[name] if layout.folder == archive.folder)

    def check(where: Path) -> None:  # fail now, not in the middle of a chapter, if anything is missing
        for split in SPLITS[name]:
            _read(name, split, where, layout, transform=None, verify=True)

    if folder.is_dir():
        try:
            check(folder)
            return folder
        except DataNotFoundError:
            pass  # incomplete: replaced below
    base.mkdir(parents=True, exist_ok=True)
    mine = base / archive.filename  # put there by the user
    if mine.is_file():
        if file_digest(mine, "md5") != archive.md5:
            raise DownloadError(
                f"{mine} does not match the published MD5 of {archive.filename} ({archive.md5}): it is damaged, "
                f"cut off, or another file. Delete it and run the command again to download it ({archive.url}, "
                f"{archive.size_text})."
            )
        _unpack(mine, base, archive.folder, check)
        return folder
    fd, part = tempfile.mkstemp(prefix=f".{archive.filename}.", suffix=".part", dir=base)
    os.close(fd)
    part = Path(part)
    try:
        _fetch(archive, part, progress)
        got = file_digest(part, "md5")
        if got != archive.md5:
            raise DownloadError(
                f"the download of {archive.url} does not match its published MD5 checksum ({got} instead of "
                f"{archive.md5}): a damaged or cut-off transfer, or a changed file on the server. Nothing was "
                f"unpacked. Run the same command again to download it anew."
            )
        _unpack(part, base, archive.folder, check)
    finally:
        part.unlink(missing_ok=True)
    return folder


def ensure(name: str, root: Optional[PathLike] = None, size: Optional[str] = None, *,
           progress: bool = True) -> tuple[Path, Layout]:
    """Make sure ``name`` is in the data root: a complete copy in any layout is used as it is,
    otherwise the official archive is downloaded (:func:`download`). Returns its folder and layout."""
    found = find_complete(name, root)
    if found is not None:
        return found
    download(name, root, size, progress=progress)
    found = find_complete(name, root)
    if found is None:  # another, incomplete layout comes first in the search order
        folder, layout = find_dataset(name, SPLITS[name][0], root)
        raise DataNotFoundError(f"{name} was downloaded, but {folder} ({layout.description}) comes first in "
                                f"the search and is incomplete: move it away")
    return found


def _fetch(archive: Archive, dest: Path, progress: bool) -> None:
    """``archive.url`` into ``dest``, with a progress bar; a clear :class:`DownloadError` when it fails."""
    import shutil
    import urllib.error
    import urllib.request

    from tqdm.auto import tqdm

    request = urllib.request.Request(archive.url, headers={"User-Agent": "alexnet-edu"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response, open(dest, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=archive.filename, disable=not progress) as bar:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", None) or err
        free = shutil.disk_usage(dest.parent).free
        raise DownloadError(
            f"could not download {archive.url} ({archive.filename}, {archive.size_text}): {reason}.\n"
            f"Check the internet connection and the free space in {dest.parent} ({free / 1e9:.1f} GB free; the "
            f"archive and its unpacked copy need about {2 * archive.bytes / 1e9:.1f} GB at once), then run the same "
            f"command again. Without internet here: download {archive.filename} on another machine, copy it into "
            f"{dest.parent}, and run the command again; it is checked against its MD5 and unpacked."
        ) from None


def _unpack(archive: Path, base: Path, folder_name: str, check: Callable[[Path], None]) -> None:
    """Unpack ``archive`` into a temporary folder in ``base``, check its ``folder_name``, then move it
    into place (replacing an incomplete folder of that name). On any failure nothing is left behind."""
    import shutil
    import tarfile

    work = Path(tempfile.mkdtemp(prefix=f".unpacking-{folder_name}-", dir=base))
    try:
        try:
            with tarfile.open(archive) as tar:
                # every member inside the dataset's folder: no absolute path, no .., nothing beside it
                outside = [m.name for m in tar.getmembers()
                           if m.name.startswith(("/", "\\")) or ".." in PurePosixPath(m.name).parts
                           or PurePosixPath(m.name).parts[:1] != (folder_name,)]
                if outside:
                    raise DownloadError(f"{archive.name} holds files outside {folder_name}/ ({', '.join(outside[:3])}"
                                        f"{', ...' if len(outside) > 3 else ''}): refused, nothing was unpacked. It "
                                        f"is not the official archive; delete it.")
                if hasattr(tarfile, "data_filter"):  # and no link that points out of the folder
                    tar.extractall(work, filter="data")
                else:  # Python < 3.11.4
                    if any(m.issym() or m.islnk() for m in tar.getmembers()):
                        raise DownloadError(f"{archive.name} holds links, which the official archive does not")
                    tar.extractall(work)
        except (tarfile.TarError, EOFError, OSError) as err:
            if isinstance(err, DownloadError):
                raise
            raise DownloadError(f"{archive.name} cannot be unpacked ({type(err).__name__}: {err}); nothing was "
                                f"unpacked. Delete it if you put it there, and run the command again.") from None
        unpacked = work / folder_name
        if not unpacked.is_dir():
            raise DownloadError(f"{archive.name} does not hold the folder {folder_name}/: not the expected archive")
        try:
            check(unpacked)
        except DataNotFoundError as err:  # said of the temporary folder: say it of the archive instead
            problem = str(err).splitlines()[0].split(" is incomplete: ", 1)[-1]
            raise DownloadError(f"{archive.name} unpacked to an incomplete {folder_name}/ ({problem.rstrip('.')}); "
                                f"nothing was kept. The archive itself is not the complete dataset: report it, or "
                                f"try another --size.") from None
        target = base / folder_name
        if target.exists():  # an incomplete copy: out of the way first, then removed
            old = work / ".incomplete"
            os.replace(target, old)
        os.replace(unpacked, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- reading images that may be damaged ------------------------------------------------------

READ_OK, READ_CONVERTED, READ_SKIPPED = "ok", "converted", "skipped"
# Images read before any rescaling must be of a sane size: Pillow's own limit on pixels (its
# decompression-bomb warning), and an aspect ratio at which a shorter side of 256 keeps the longer
# one under 5,120 pixels (a 20000×1 JPEG of 6 KB would otherwise become 1.3 billion pixels).
MAX_PIXELS = 89_478_485
MAX_ASPECT = 20


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
            width, height = im.size  # from the header: nothing is decoded yet
            if width * height > MAX_PIXELS or max(width, height) > MAX_ASPECT * min(width, height):
                return None, READ_SKIPPED, (f"{width}×{height} pixels: more than {MAX_PIXELS:,} pixels or an aspect "
                                            f"ratio beyond {MAX_ASPECT}:1, too costly to rescale")
            image = im.convert("RGB")  # decodes the whole file: a truncated one fails here
    except (OSError, SyntaxError, ValueError, PIL.Image.DecompressionBombError) as err:
        return None, READ_SKIPPED, f"{type(err).__name__}: {err}"
    suffix = Path(path).suffix.lower()
    named = {".jpeg": "JPEG", ".jpg": "JPEG", ".png": "PNG"}.get(suffix)
    if mode != "RGB" or (named is not None and fmt != named):
        return image, READ_CONVERTED, f"{fmt} {mode}"
    return image, READ_OK, ""


# --- images for training: seeded per image, robust to bad files ----------------------------------


def mix_seed(*numbers: int) -> int:
    """A seed from several integers (seed, epoch, image): different tuples give unrelated seeds."""
    h = 0x9E3779B97F4A7C15
    for n in numbers:
        h = (h ^ (n + 0x9E3779B97F4A7C15 + (h << 6) + (h >> 2))) & 0xFFFFFFFFFFFFFFFF
    return h & 0x7FFFFFFFFFFFFFFF


def random_subset(count: int, limit: Optional[int], seed: int, shuffled: bool = False) -> list[int]:
    """The indices of a fixed random subset of ``limit`` of ``count`` items (all of them when ``limit``
    is ``None`` or not smaller), in ascending order, or with ``shuffled`` in the random order drawn.
    The same ``seed`` gives the same subset: every part of the package that trains or measures on a
    subset draws it here."""
    if limit is not None and limit <= 0:
        raise ValueError(f"a limit must be a positive number of images, got {limit}")
    if not shuffled and (limit is None or limit >= count):
        return list(range(count))
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed)).tolist()[:limit]
    return order if shuffled else sorted(order)


class Batch(NamedTuple):
    """A batch of :class:`TrainImages`: the readable images stacked (``None`` when there are none),
    their labels, the dataset indices of the files that were skipped or converted, and of the images
    in ``images``, in order."""

    images: Optional[torch.Tensor]
    labels: Optional[torch.Tensor]
    skipped: list[int]
    converted: list[int]
    indices: list[int]


class TrainImages(Dataset):
    """``(input, label, index, status)`` for every image of a list of files, robust to bad files.

    Each image's random augmentation is drawn from a generator seeded by (seed, epoch, index), so
    it is the same whichever worker process reads the image and whenever: that is what makes a
    resumed run identical to an uninterrupted one. Bad files come back with ``input=None`` and a
    status (:func:`read_rgb`), and :func:`collate` leaves them out of the batch.
    """

    def __init__(self, samples: list[tuple[str, int]], transform: Callable, seed: int) -> None:
        self.samples, self.transform, self.seed, self.epoch = list(samples), transform, seed, 0

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        image, status, _ = read_rgb(path)
        if image is None:
            return None, label, index, status
        with torch.random.fork_rng(devices=[]):  # leave the caller's generator (dropout's) alone
            torch.manual_seed(mix_seed(self.seed, self.epoch, index))
            x = self.transform(image)
        return x, label, index, status


def collate(items: list) -> Batch:
    """Stack the readable images of :class:`TrainImages` items; report the skipped and converted ones."""
    good = [item for item in items if item[0] is not None]
    return Batch(torch.stack([item[0] for item in good]) if good else None,
                 torch.tensor([item[1] for item in good], dtype=torch.int64) if good else None,
                 [item[2] for item in items if item[3] == READ_SKIPPED],
                 [item[2] for item in items if item[3] == READ_CONVERTED],
                 [item[2] for item in good])


def readable(loader: Iterable[Batch], seen: Optional[dict[str, list[int]]] = None):
    """The ``(images, labels)`` of a loader of :func:`collate` batches, leaving out batches without a
    readable image; the dataset indices of the skipped, converted and used images are appended to
    ``seen["skipped"]``, ``seen["converted"]`` and ``seen["indices"]`` when those lists are given."""
    seen = seen if seen is not None else {}
    for batch in loader:
        for key in ("skipped", "converted", "indices"):
            if key in seen:
                seen[key] += getattr(batch, key)
        if batch.images is not None:
            yield batch.images, batch.labels
