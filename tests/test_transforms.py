"""The paper's data pipeline, checked against direct computations and against torchvision."""

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import tv_tensors
from torchvision.transforms import v2

from alexnet_edu import data, transforms
from alexnet_edu.paper import AUGMENTATION_FACTOR_STATED, PCA_ALPHA_STD


def _random_eigen(seed=0):
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=g, dtype=torch.float64))
    return torch.rand(3, generator=g, dtype=torch.float64), q


# --- PCA lighting ---------------------------------------------------------------------------------

def test_pca_lighting_adds_the_papers_vector_to_every_pixel():
    eigval, eigvec = _random_eigen()
    image = torch.rand(3, 4, 5, dtype=torch.float64)
    alphas = torch.tensor([0.3, -1.2, 0.7], dtype=torch.float64)
    out = transforms.pca_lighting(image, alphas, eigval, eigvec)
    for y, x in itertools.product(range(4), range(5)):
        added = sum(alphas[i] * eigval[i] * eigvec[:, i] for i in range(3))  # Σ_i α_i λ_i p_i
        torch.testing.assert_close(out[:, y, x], image[:, y, x] + added)


def test_pca_lighting_gives_each_image_of_a_batch_its_own_alphas():
    eigval, eigvec = _random_eigen(1)
    images = torch.zeros(2, 3, 2, 2, dtype=torch.float64)
    alphas = torch.tensor([[1.0, 0, 0], [0, 0, 1.0]], dtype=torch.float64)
    out = transforms.pca_lighting(images, alphas, eigval, eigvec)
    torch.testing.assert_close(out[0, :, 1, 1], eigval[0] * eigvec[:, 0])
    torch.testing.assert_close(out[1, :, 0, 0], eigval[2] * eigvec[:, 2])


def test_pca_lighting_refuses_what_it_would_get_wrong():
    eigval, eigvec = _random_eigen()
    with pytest.raises(TypeError, match="float"):
        transforms.pca_lighting(torch.zeros(3, 2, 2, dtype=torch.uint8), torch.zeros(3), eigval, eigvec)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3, H, W\)"):
        transforms.pca_lighting(torch.zeros(2, 2, 3), torch.zeros(3), eigval, eigvec)  # channels last


def _alphas_drawn(n, **kwargs):
    """With p_i the unit vectors and λ_i = 1, the shift added to a zero image is α itself."""
    lighting = transforms.PCALighting(eigval=(1.0, 1.0, 1.0), eigvec=torch.eye(3), value_range=1.0, **kwargs)
    out = lighting(torch.zeros(n, 3, 2, 2))
    assert torch.equal(out, out[:, :, :1, :1].expand_as(out))  # one α per image, for all its pixels
    return out[:, :, 0, 0]


def test_random_alphas_have_mean_zero_and_the_papers_standard_deviation():
    torch.manual_seed(0)
    n = 40_000
    alphas = _alphas_drawn(n).double()  # n images, three α each
    # 5 standard errors: mean's is 0.1/√n, a Gaussian std's is about 0.1/√(2n)
    assert alphas.mean(0).abs().max() < 5 * PCA_ALPHA_STD / math.sqrt(n)
    assert (alphas.std(0) - PCA_ALPHA_STD).abs().max() < 5 * PCA_ALPHA_STD / math.sqrt(2 * n)
    assert torch.corrcoef(alphas.T).fill_diagonal_(0).abs().max() < 0.03  # the three α are independent


def test_every_call_draws_new_alphas():
    lighting = transforms.PCALighting()
    image = torch.zeros(3, 4, 4)
    assert not torch.equal(lighting(image), lighting(image))


def test_the_two_conventions_scale_by_eigenvalue_and_by_its_square_root():
    eigval = (0.25, 0.04, 0.01)
    image = torch.zeros(3, 1, 1)
    torch.manual_seed(3)
    paper = transforms.PCALighting(eigval=eigval, eigvec=torch.eye(3), value_range=255)(image)
    torch.manual_seed(3)
    code = transforms.PCALighting(eigval=eigval, eigvec=torch.eye(3), value_range=255, scale="stddev")(image)
    ratio = (code / paper).flatten()
    torch.testing.assert_close(ratio, torch.tensor([2.0, 5.0, 10.0]))  # √λ / λ = 1/√λ
    with pytest.raises(ValueError, match="scale"):
        transforms.PCALighting(scale="variance")


def test_lighting_keeps_tv_tensor_images_and_refuses_pil():
    out = transforms.PCALighting()(tv_tensors.Image(torch.zeros(3, 4, 4)))
    assert isinstance(out, tv_tensors.Image)
    with pytest.raises(TypeError, match="float tensor"):
        transforms.PCALighting()(Image.new("RGB", (4, 4)))


def test_imagenet_eigenvectors_are_orthonormal_columns():
    vec = torch.tensor(transforms.IMAGENET_EIGVEC, dtype=torch.float64)
    torch.testing.assert_close(vec.T @ vec, torch.eye(3, dtype=torch.float64), atol=2e-3, rtol=0)


# --- crops -------------------------------------------------------------------------------------

@pytest.mark.parametrize("h,w,size", [(256, 256, 224), (256, 256, 227), (255, 257, 224), (9, 8, 4), (10, 7, 5), (5, 5, 5)])
def test_ten_crop_equals_torchvision(h, w, size):
    image = torch.randint(0, 256, (3, h, w), dtype=torch.uint8)
    ours = transforms.ten_crop(image, size)
    theirs = torch.stack(v2.functional.ten_crop(image, [size, size]))
    assert ours.shape == (10, 3, size, size) and torch.equal(ours, theirs)


def test_ten_crop_of_a_batch_crops_every_image():
    images = torch.rand(4, 3, 12, 12)
    out = transforms.ten_crop(images, 8)
    assert out.shape == (4, 10, 3, 8, 8)
    assert torch.equal(out[2], transforms.ten_crop(images[2], 8))
    with pytest.raises(ValueError, match="does not fit"):
        transforms.ten_crop(images, 13)


def test_distinct_patches_counts_what_crops_and_flips_make():
    g = torch.Generator().manual_seed(0)
    image = torch.randint(0, 256, (3, 11, 11), dtype=torch.uint8, generator=g)
    seen = set()
    for y, x, flip in itertools.product(range(11 - 7 + 1), range(11 - 7 + 1), (False, True)):
        patch = image[:, y:y + 7, x:x + 7]
        seen.add((patch.flip(-1) if flip else patch).numpy().tobytes())
    assert transforms.distinct_patches(11, 7) == len(seen) == 5 * 5 * 2
    assert transforms.distinct_patches(256, 224) == 33 * 33 * 2 != AUGMENTATION_FACTOR_STATED
    assert transforms.distinct_patches(256, 224, flips=False) == 33 * 33
    with pytest.raises(ValueError):
        transforms.distinct_patches(224, 227)


def test_rescale_keeps_aspect_then_crops_the_centre():
    wide = Image.fromarray(np.tile((np.arange(512) // 2).astype(np.uint8)[None, :, None], (256, 1, 3)))  # 256 high
    out = transforms.rescale_and_center_crop()(wide)
    assert out.shape == (3, 256, 256) and out.dtype == torch.uint8
    assert abs(int(out[0, 0, 0]) - 64) <= 1 and abs(int(out[0, 0, 255]) - 191) <= 1  # the middle half of the ramp


# --- mean subtraction and the whole pipeline -------------------------------------------------

def test_subtract_mean_takes_a_mean_image_or_a_mean_pixel():
    image = torch.randint(0, 256, (3, 6, 6), dtype=torch.uint8)
    mean = torch.rand(3, 6, 6) * 255
    torch.testing.assert_close(transforms.SubtractMean(mean)(image), image.float() - mean)
    pixel = torch.tensor([100.0, 110.0, 120.0])
    torch.testing.assert_close(transforms.SubtractMean(pixel)(image), image.float() - pixel[:, None, None])
    with pytest.raises(ValueError, match="before cropping"):
        transforms.SubtractMean(mean)(image[:, :4, :4])
    with pytest.raises(ValueError, match="mean image"):
        transforms.SubtractMean(torch.zeros(6, 6))


class _Photos(Dataset):
    def __init__(self, n=8, seed=0):
        rng = np.random.default_rng(seed)
        self.images = [Image.fromarray(rng.integers(0, 256, (300, 280, 3), dtype=np.uint8)) for _ in range(n)]

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], i


class _Transformed(Dataset):
    def __init__(self, base, transform):
        self.base, self.transform = base, transform

    def __len__(self):
        return len(self.base)

    def __getitem__(self, i):
        image, label = self.base[i]
        return self.transform(image), label


def test_the_training_pipeline_runs_in_dataloader_workers():
    base = _Photos(n=1)
    base.images = base.images * 8  # one photo eight times: only the randomness differs
    pipeline = transforms.train_transform(torch.full((3, 256, 256), 128.0), pca=transforms.PCALighting())
    loader = DataLoader(_Transformed(base, pipeline), batch_size=4, num_workers=2)
    batches = list(loader)
    images = torch.cat([b[0] for b in batches])
    assert images.shape == (8, 3, 224, 224) and images.dtype == torch.float32
    assert len({img.numpy().tobytes() for img in images}) == 8  # every worker and every call draws anew
    assert images.abs().max() <= 255


def test_eval_transform_gives_the_centre_or_ten_patches():
    photo = _Photos(n=1)[0][0]
    mean = torch.zeros(3, 256, 256)
    centre = transforms.eval_transform(mean)(photo)
    ten = transforms.eval_transform(mean, ten=True)(photo)
    assert centre.shape == (3, 224, 224) and ten.shape == (10, 3, 224, 224)
    assert torch.equal(ten[4], centre.as_subclass(torch.Tensor))  # the fifth patch is the centre


# --- dataset statistics and their cache ----------------------------------------------------------

class _Tensors(Dataset):
    def __init__(self, images):
        self.images = images

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.images[i], 0


def test_compute_stats_equals_a_direct_computation():
    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (10, 3, 5, 5), dtype=torch.uint8, generator=g)
    stats = transforms.compute_stats(_Tensors(images), batch_size=3, progress=False)
    torch.testing.assert_close(stats.mean_image, images.double().mean(0).float())
    pixels = images.double().div(255).permute(1, 0, 2, 3).reshape(3, -1)
    torch.testing.assert_close(stats.rgb_covariance, torch.cov(pixels).float())
    torch.testing.assert_close(stats.mean_pixel, images.double().mean((0, 2, 3)).float())
    eigval, eigvec = stats.pca()
    torch.testing.assert_close(eigvec @ torch.diag(eigval) @ eigvec.T, stats.rgb_covariance, atol=1e-6, rtol=1e-4)
    assert eigval[0] >= eigval[1] >= eigval[2] >= 0
    with pytest.raises(ValueError, match="rescale_and_center_crop"):
        transforms.compute_stats(_Tensors(images.float()), progress=False)


def _imagenette(root: Path, per_class=2):
    for c, cls in enumerate(data.IMAGENETTE_CLASSES):
        for i in range(per_class):
            path = root / "imagenette2-224" / "train" / cls.wnid / f"{i}.JPEG"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (30, 20), (c * 20, i * 100, 50)).save(path)


def test_dataset_stats_are_computed_once_then_read_from_the_cache(tmp_path, monkeypatch):
    _imagenette(tmp_path / "data")
    calls = []
    real = transforms.compute_stats
    monkeypatch.setattr(transforms, "compute_stats", lambda *a, **k: calls.append(1) or real(*a, **k))
    kwargs = dict(root=tmp_path / "data", size=16, limit=20, cache=tmp_path / "cache", progress=False)
    first = transforms.dataset_stats("imagenette", **kwargs)
    second = transforms.dataset_stats("imagenette", **kwargs)
    assert len(calls) == 1 and first.images == 20 and first.mean_image.shape == (3, 16, 16)
    assert torch.equal(first.mean_image, second.mean_image)
    assert torch.equal(first.rgb_covariance, second.rgb_covariance)
    (cache_file,) = (tmp_path / "cache").iterdir()
    cache_file.write_bytes(b"damaged")  # a damaged cache is recomputed, not trusted
    third = transforms.dataset_stats("imagenette", **kwargs)
    assert len(calls) == 2 and torch.equal(third.mean_image, first.mean_image)
    Image.new("RGB", (30, 20), (255, 255, 255)).save(
        tmp_path / "data" / "imagenette2-224" / "train" / data.IMAGENETTE_CLASSES[0].wnid / "0.JPEG")
    changed = transforms.dataset_stats("imagenette", **kwargs)  # a changed file: a new key
    assert len(calls) == 3 and not torch.equal(changed.mean_image, first.mean_image)
    assert len(list((tmp_path / "cache").iterdir())) == 2 and not any(
        p.name.endswith(".tmp") for p in (tmp_path / "cache").iterdir())


def test_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "c"))
    assert data.cache_dir() == tmp_path / "c"
    monkeypatch.delenv(data.CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.cache_dir() == tmp_path / "xdg" / "alexnet_edu"
