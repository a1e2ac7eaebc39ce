"""The paper's data pipeline: rescaling, the mean image, crops and reflections, PCA colour
augmentation and ten-crop testing (§2 and §4.1).

§2: "we down-sampled the images to a fixed resolution of 256 × 256. Given a rectangular image, we
first rescaled the image such that the shorter side was of length 256, and then cropped out the
central 256×256 patch from the resulting image. We did not pre-process the images in any other way,
except for subtracting the mean activity over the training set from each pixel. So we trained our
network on the (centered) raw RGB values of the pixels."

§4.1: "extracting random 224 × 224 patches (and their horizontal reflections) from the 256×256
images" and "perform PCA on the set of RGB pixel values throughout the ImageNet training set. To
each training image, we add multiples of the found principal components, with magnitudes
proportional to the corresponding eigenvalues times a random variable drawn from a Gaussian with
mean zero and standard deviation 0.1. [...] Each α_i is drawn only once for all the pixels of a
particular training image until that image is used for training again".

Pixels stay on the paper's scale, 0–255, minus the mean image. Every transform here is a
``torchvision.transforms.v2`` transform (or a composition of them), works on one image per call and
keeps no state between calls, so it runs in DataLoader worker processes — the paper's split, where
the CPU prepares the next batch while the GPU trains on the current one.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import PIL.Image
import torch
from torch.utils.data import DataLoader, Dataset, Subset, default_collate
from torchvision import tv_tensors
from torchvision.transforms import v2
from tqdm.auto import tqdm

from . import data
from .paper import CROP_SIZE, PCA_ALPHA_STD, RESIZE_SIZE
from .runs import write_atomic

# The ImageNet colour PCA everyone copies: fb.resnet.torch (datasets/imagenet.lua), "computed from
# a random subset of ImageNet training images", for pixels scaled to [0, 1]. Columns of the
# eigenvector matrix are the eigenvectors p_1, p_2, p_3 (p_1 is close to grey, (1, 1, 1)/√3).
IMAGENET_EIGVAL = (0.2175, 0.0188, 0.0045)
IMAGENET_EIGVEC = (
    (-0.5675, 0.7192, 0.4009),
    (-0.5808, -0.0045, -0.8140),
    (-0.5836, -0.6948, 0.4203),
)

# The two readings of "magnitudes proportional to the corresponding eigenvalues": the paper's
# formula multiplies α_i by λ_i; Krizhevsky's released cuda-convnet2 data provider multiplies by
# the standard deviation √λ_i (its batch meta-data calls them "color_stdevs").
PCA_SCALES = ("eigval", "stddev")


def rescale_and_center_crop(size: int = RESIZE_SIZE) -> v2.Compose:
    """§2: rescale the shorter side to ``size`` (256), then crop the central ``size``×``size`` patch.

    Takes a PIL image or a uint8 tensor (C, H, W) and returns a ``tv_tensors.Image`` of uint8.
    """
    return v2.Compose([v2.ToImage(), v2.Resize(size, antialias=True), v2.CenterCrop(size)])


def distinct_patches(image_size: int = RESIZE_SIZE, crop_size: int = CROP_SIZE, flips: bool = True) -> int:
    """How many different training inputs random crops (and reflections) make of one image.

    A ``crop_size`` window fits at ``image_size - crop_size + 1`` offsets along each axis: 33 for 224
    in 256, so 33·33·2 = 2178 patches. The paper's "factor of 2048" is 32·32·2: it counts the 32
    one-pixel translations, not the 33 positions.
    """
    if not 0 < crop_size <= image_size:
        raise ValueError(f"crop_size must be between 1 and image_size ({image_size}), got {crop_size}")
    positions = image_size - crop_size + 1
    return positions * positions * (2 if flips else 1)


class SubtractMean(v2.Transform):
    """Subtract the training set's mean image (3, 256, 256), or its mean pixel (3, 1, 1).

    "subtracting the mean activity over the training set from each pixel" (§2). The paper's mean is
    a mean *image*: one value per position and channel. The mean pixel (one RGB value, as VGG and
    most later code use) is the variant to compare with. Give it the 256×256 image, before cropping,
    so a crop sees the mean of the pixels it was cut from. (Krizhevsky's released cuda-convnet2 does
    it the other way round: its ImageNet data provider subtracts the *central* crop of the mean
    image, ``data_mean_crop``, from every patch, wherever the patch was cut; the two differ by the
    mean image's small spatial pattern.) Returns float32 on the 0–255 scale.
    """

    def __init__(self, mean: torch.Tensor) -> None:
        super().__init__()
        mean = torch.as_tensor(mean, dtype=torch.float32)
        if mean.ndim == 1:
            mean = mean[:, None, None]
        if mean.ndim != 3 or mean.shape[0] != 3:
            raise ValueError(f"mean must be a mean image (3, H, W) or a mean pixel (3,), got shape {tuple(mean.shape)}")
        self.register_buffer("mean", mean)

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if isinstance(inpt, PIL.Image.Image):
            raise TypeError("SubtractMean needs a tensor image: put v2.ToImage() (or rescale_and_center_crop()) before it")
        if not isinstance(inpt, torch.Tensor):
            return inpt
        h, w = self.mean.shape[-2:]
        if (h, w) != (1, 1) and tuple(inpt.shape[-2:]) != (h, w):
            raise ValueError(
                f"the mean image is {h}×{w} but the image is {inpt.shape[-2]}×{inpt.shape[-1]}: subtract the mean "
                f"after rescale_and_center_crop({h}) and before cropping"
            )
        if inpt.is_floating_point():
            raise TypeError("SubtractMean expects uint8 pixels (0–255) as decoded; the image is already float")
        out = inpt.to(torch.float32) - self.mean
        return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) else out


def pca_lighting(
    image: torch.Tensor, alphas: torch.Tensor, eigval: torch.Tensor, eigvec: torch.Tensor
) -> torch.Tensor:
    """The paper's colour augmentation with given α: to every pixel I_xy = [R, G, B]ᵀ add

        [p1, p2, p3] [α1 λ1, α2 λ2, α3 λ3]ᵀ,

    where the columns p_i of ``eigvec`` are the eigenvectors of the RGB covariance and ``eigval``
    the eigenvalues λ_i (pass √λ_i for the standard-deviation convention). ``image`` is
    (..., 3, H, W) float; ``alphas`` is (3,) or (..., 3), one triple per image. The shift is in the
    units of ``eigval``; scale it to the image's units before calling (see :class:`PCALighting`).
    """
    if not image.is_floating_point():
        raise TypeError("pca_lighting needs float pixels; convert with image.float() (or subtract the mean first)")
    if image.ndim < 3 or image.shape[-3] != 3:
        raise ValueError(f"image must be (..., 3, H, W), got shape {tuple(image.shape)}")
    eigval = torch.as_tensor(eigval, dtype=image.dtype, device=image.device)
    eigvec = torch.as_tensor(eigvec, dtype=image.dtype, device=image.device)
    alphas = torch.as_tensor(alphas, dtype=image.dtype, device=image.device)
    if eigval.shape != (3,) or eigvec.shape != (3, 3) or alphas.shape[-1:] != (3,):
        raise ValueError(
            f"need eigval (3,), eigvec (3, 3) and alphas (..., 3); got {tuple(eigval.shape)}, "
            f"{tuple(eigvec.shape)}, {tuple(alphas.shape)}"
        )
    shift = (alphas * eigval) @ eigvec.T  # (..., 3): Σ_i α_i λ_i p_i
    return image + shift[..., :, None, None]


class PCALighting(v2.Transform):
    """PCA colour augmentation with fresh α_i ~ N(0, ``alpha_std``²) at every call, one triple per image.

    Args:
        alpha_std: the standard deviation of α (the paper: 0.1).
        eigval, eigvec: the colour PCA of pixels scaled to [0, 1] (default: the ImageNet constants;
            :func:`dataset_stats` computes them for another dataset).
        scale: ``"eigval"`` multiplies α_i by λ_i (the paper's formula); ``"stddev"`` by √λ_i
            (Krizhevsky's code). The second is about 2–15 times larger for the ImageNet constants.
        value_range: the image's value for a [0, 1] pixel of 1: 255 (the default) for the paper's
            0–255 pixels minus the mean image, 1 for images scaled to [0, 1].

    A batch (N, 3, H, W) gets N independent triples.
    """

    def __init__(
        self,
        alpha_std: float = PCA_ALPHA_STD,
        eigval: Sequence[float] = IMAGENET_EIGVAL,
        eigvec: Sequence[Sequence[float]] = IMAGENET_EIGVEC,
        *,
        scale: str = "eigval",
        value_range: float = 255.0,
    ) -> None:
        super().__init__()
        if scale not in PCA_SCALES:
            raise ValueError(f"scale must be one of {PCA_SCALES}, got {scale!r}")
        if alpha_std < 0:
            raise ValueError(f"alpha_std must be ≥ 0, got {alpha_std}")
        eigval = torch.as_tensor(eigval, dtype=torch.float32)
        if (eigval < 0).any():
            raise ValueError(f"eigenvalues of a covariance are ≥ 0, got {eigval.tolist()}")
        self.alpha_std, self.scale, self.value_range = alpha_std, scale, value_range
        magnitude = eigval if scale == "eigval" else eigval.sqrt()
        self.register_buffer("magnitude", magnitude * value_range)
        self.register_buffer("eigvec", torch.as_tensor(eigvec, dtype=torch.float32))

    def make_params(self, flat_inputs: list[Any]) -> dict[str, Any]:
        images = [x for x in flat_inputs if isinstance(x, torch.Tensor) and x.ndim >= 3]
        batch = images[0].shape[:-3] if images else ()
        return {"alphas": torch.randn(*batch, 3) * self.alpha_std}

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if isinstance(inpt, PIL.Image.Image):
            raise TypeError("PCALighting needs a float tensor image: put it after SubtractMean (or v2.ToImage and "
                            "v2.ToDtype(torch.float32, scale=True) with value_range=1)")
        if not isinstance(inpt, torch.Tensor) or inpt.ndim < 3:
            return inpt
        out = pca_lighting(inpt.as_subclass(torch.Tensor), params["alphas"], self.magnitude, self.eigvec)
        return tv_tensors.wrap(out, like=inpt) if isinstance(inpt, tv_tensors.TVTensor) else out

    def extra_repr(self) -> str:
        return f"alpha_std={self.alpha_std}, scale={self.scale!r}, value_range={self.value_range}"


def ten_crop(image: torch.Tensor, size: int = CROP_SIZE) -> torch.Tensor:
    """The paper's ten test patches: the four corner patches and the centre patch, then the same
    five of the horizontally reflected image — torchvision's ``ten_crop`` order (so the sixth patch
    is the top-left patch of the reflection, i.e. the reflected top-right patch).

    ``image`` is (..., C, H, W); the result is (..., 10, C, size, size). The centre patch starts at
    round((H - size)/2) as in torchvision (Python's round: halves go to the even number).
    """
    h, w = image.shape[-2:]
    if not (0 < size <= h and size <= w):
        raise ValueError(f"crop size {size} does not fit in a {h}×{w} image")
    top, left = int(round((h - size) / 2)), int(round((w - size) / 2))
    corners = [(0, 0), (0, w - size), (h - size, 0), (h - size, w - size), (top, left)]

    def five(img: torch.Tensor) -> list[torch.Tensor]:
        return [img[..., y:y + size, x:x + size] for y, x in corners]

    return torch.stack(five(image) + five(image.flip(-1)), dim=-4)


class TenCrop(v2.Transform):
    """:func:`ten_crop` as a transform: an image (3, H, W) becomes a plain tensor (10, 3, size, size)."""

    def __init__(self, size: int = CROP_SIZE) -> None:
        super().__init__()
        self.size = size

    def transform(self, inpt: Any, params: dict[str, Any]) -> Any:
        if isinstance(inpt, PIL.Image.Image):
            raise TypeError("TenCrop needs a tensor image: put v2.ToImage() (or rescale_and_center_crop()) before it")
        if not isinstance(inpt, torch.Tensor) or inpt.ndim < 3:
            return inpt
        return ten_crop(inpt.as_subclass(torch.Tensor), self.size)


def train_transform(
    mean: torch.Tensor,
    *,
    crop_size: int = CROP_SIZE,
    pca: Optional[PCALighting] = None,
    size: int = RESIZE_SIZE,
) -> v2.Compose:
    """The paper's training input: rescale and centre-crop to 256, subtract the mean, a random
    ``crop_size`` patch, a horizontal reflection half of the time, then the colour augmentation
    (pass ``pca=PCALighting()``; ``None`` leaves it out). Returns float32, 0–255 minus the mean."""
    steps = [rescale_and_center_crop(size), SubtractMean(mean), v2.RandomCrop(crop_size), v2.RandomHorizontalFlip()]
    if pca is not None:
        steps.append(pca)
    return v2.Compose(steps)


def eval_transform(mean: torch.Tensor, *, crop_size: int = CROP_SIZE, ten: bool = False,
                   size: int = RESIZE_SIZE) -> v2.Compose:
    """The test input: the centre ``crop_size`` patch (3, s, s), or with ``ten=True`` the paper's
    ten patches (10, 3, s, s) — feed those to :func:`alexnet_edu.metrics.ten_crop_predict`."""
    last = TenCrop(crop_size) if ten else v2.CenterCrop(crop_size)
    return v2.Compose([rescale_and_center_crop(size), SubtractMean(mean), last])


@dataclass
class DatasetStats:
    """What the pipeline needs from the training set, computed in one pass over its images.

    ``mean_image``: (3, S, S) on the 0–255 scale (the paper's mean); ``rgb_covariance``: (3, 3), the
    covariance of all pixels' RGB values scaled to [0, 1] (the scale of the ImageNet constants);
    ``images``: how many images went in.
    """

    mean_image: torch.Tensor
    rgb_covariance: torch.Tensor
    images: int

    @property
    def mean_pixel(self) -> torch.Tensor:
        """The mean RGB value (3,), 0–255: the mean image averaged over positions."""
        return self.mean_image.mean(dim=(1, 2))

    def pca(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Eigenvalues (3,), largest first, and eigenvectors (columns of a 3×3) of the RGB
        covariance. An eigenvector's sign is arbitrary (α is symmetric); each is signed to point
        the way of the matching ImageNet eigenvector, so the two can be compared."""
        eigval, eigvec = torch.linalg.eigh(self.rgb_covariance.double())
        eigval, eigvec = eigval.flip(0), eigvec.flip(1)
        reference = torch.tensor(IMAGENET_EIGVEC, dtype=torch.float64)
        signs = torch.sign((eigvec * reference).sum(0))
        signs[signs == 0] = 1
        return eigval.clamp_min(0).float(), (eigvec * signs).float()


def compute_stats(dataset: Dataset, *, batch_size: int = 64, num_workers: int = 0,
                  progress: bool = True) -> DatasetStats:
    """The mean image and the RGB covariance of a dataset of equal-sized uint8 images (3, S, S),
    for example ``load_dataset(..., transform=rescale_and_center_crop())``. Sums are kept in
    float64, so the result does not depend on the batch size."""
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=_stack_readable)
    total = first = second = None
    n = pixels = 0
    for images, _ in tqdm(loader, desc="mean image and colour covariance", disable=not progress, leave=False):
        if images is None:  # a batch of unreadable files only
            continue
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"expected uint8 images (N, 3, S, S) from the dataset, got {images.dtype} "
                             f"{tuple(images.shape)}: load it with transform=rescale_and_center_crop()")
        x = images.double()
        total = x.sum(0) if total is None else total + x.sum(0)
        rgb = x.div(255).permute(1, 0, 2, 3).reshape(3, -1)  # every pixel as a column
        first = rgb.sum(1) if first is None else first + rgb.sum(1)
        second = rgb @ rgb.T if second is None else second + rgb @ rgb.T
        n, pixels = n + len(images), pixels + rgb.shape[1]
    if n == 0:
        raise ValueError("the dataset is empty")
    mu = first / pixels
    covariance = (second - pixels * torch.outer(mu, mu)) / (pixels - 1)
    return DatasetStats(mean_image=(total / n).float(), rgb_covariance=covariance.float(), images=n)


def _stack_readable(batch):
    """Collate ``(image, label)`` pairs, leaving out images that could not be read (``None``)."""
    good = [item for item in batch if item[0] is not None]
    return default_collate(good) if good else (None, None)


class _Readable(Dataset):
    """The images of a folder dataset after ``transform``; an unreadable file gives ``None`` (left out)."""

    def __init__(self, samples: Sequence[tuple[str, int]], transform) -> None:
        self.samples, self.transform = list(samples), transform

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        path, label = self.samples[index]
        image, _, _ = data.read_rgb(path)
        return (None if image is None else self.transform(image)), label


def _fingerprint(files: Sequence[str]) -> str:
    """A short hash of the image files (names, sizes, modification times): a changed dataset is a new key."""
    digest = hashlib.sha1()
    for path in files:
        st = os.stat(path)
        # the name as the file system's bytes: a name that is not UTF-8 hashes as well as any other
        digest.update(os.fsencode(path) + f"\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def dataset_stats(
    name: str,
    split: str = "train",
    root: Optional[data.PathLike] = None,
    *,
    size: int = RESIZE_SIZE,
    limit: Optional[int] = None,
    seed: int = 0,
    cache: Optional[os.PathLike | str] = None,
    num_workers: int = 0,
    progress: bool = True,
    verify: Optional[bool] = None,
) -> DatasetStats:
    """:func:`compute_stats` of a dataset's split after :func:`rescale_and_center_crop`, computed
    once and then read from a cache file.

    ``limit`` uses a fixed random subset of that many images (``seed``), for quick runs; ``verify``
    (default: only without a limit) checks that the split has its official number of images. The cache
    is a folder (default: :func:`alexnet_edu.data.cache_dir`); its file is named after the dataset,
    the size, the subset and a fingerprint of the image files, so a changed dataset is recomputed.
    """
    if verify is None:  # a subset is not the official split; the whole split should be
        verify = limit is None
    dataset = data.load_dataset(name, split, root, transform=rescale_and_center_crop(size), verify=verify)
    indices = data.random_subset(len(dataset), limit, seed)
    files = [dataset.samples[i][0] for i in indices] if hasattr(dataset, "samples") else []
    tag = f"{name}-{split}-{size}-" + (f"{len(indices)}of{len(dataset)}-seed{seed}" if limit else "all")
    path = Path(cache or data.cache_dir()) / f"stats-{tag}-{_fingerprint(files)}.pt"
    if path.is_file():
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
            return DatasetStats(saved["mean_image"], saved["rgb_covariance"], int(saved["images"]))
        except Exception:  # a damaged cache file is recomputed, never trusted
            pass
    if hasattr(dataset, "samples"):  # image files: damaged ones are left out of the statistics
        subset = _Readable([dataset.samples[i] for i in indices], rescale_and_center_crop(size))
    else:
        subset = Subset(dataset, indices) if limit is not None else dataset
    stats = compute_stats(subset, num_workers=num_workers, progress=progress)
    saved = {"mean_image": stats.mean_image, "rgb_covariance": stats.rgb_covariance, "images": stats.images}
    write_atomic(path, lambda f: torch.save(saved, f))  # another process reading the cache never sees half a file
    return stats
