"""Images per second per CPU core of the paper's training pipeline, step by step, on Imagenette.

    python benchmarks/augment_speed.py --out alexnet_edu/records/augment_speed.json [--images 500] [--root DIR]

Each step is timed as the whole pipeline up to it, in one process with one PyTorch thread, over
the same ``--images`` training photos (a fixed random subset), after one warm-up pass:

1. decode — read the JPEG and decode it to RGB (PIL);
2. + rescale — shorter side to 256, central 256×256 crop;
3. + crop and flip — subtract the mean image, a random 224×224 patch, a random reflection
   (the paper's pipeline without colour augmentation);
4. + PCA — the colour augmentation as well (the whole pipeline).

It then runs the whole pipeline in a DataLoader with two worker processes, as training would. The
record (with provenance) is what the augmentation chapter quotes. This is a benchmark, not a test:
the numbers depend on the machine, and on the photos (the offline Imagenette copy is 224×224 JPEGs,
smaller than ImageNet's average photo, so decoding is cheaper here than on ImageNet).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2

from alexnet_edu import data, transforms
from alexnet_edu.provenance import Provenance
from alexnet_edu.runs import write_json_atomic


def _decode(path: str) -> Image.Image:
    with Image.open(path) as img:
        return img.convert("RGB")  # convert() forces the decode


class Files(Dataset):
    """Decoded and transformed photos, for a DataLoader."""

    def __init__(self, files: list[str], transform) -> None:
        self.files, self.transform = files, transform

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.transform(_decode(self.files[i]))


def time_steps(files: list[str], steps: dict[str, list]) -> dict[str, float]:
    """Images per second for each pipeline (a list of callables applied after decoding)."""
    speeds = {}
    for name, pipeline in steps.items():
        for warm in (True, False):
            start = time.perf_counter()
            for path in files:
                x = _decode(path)
                for step in pipeline:
                    x = step(x)
            if not warm:
                speeds[name] = len(files) / (time.perf_counter() - start)
    return speeds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="JSON record to write")
    parser.add_argument("--images", type=int, default=500, help="how many training photos to time")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes for the last run")
    parser.add_argument("--root", help="data root (default: $ALEXNET_EDU_DATA, else ./data)")
    args = parser.parse_args(argv)

    torch.set_num_threads(1)  # per core: one process, one thread (set first, so the provenance records it)
    prov = Provenance(["python", "benchmarks/augment_speed.py", *(sys.argv[1:] if argv is None else argv)])
    dataset = data.load_dataset("imagenette", "train", args.root)
    g = torch.Generator().manual_seed(0)
    files = [dataset.samples[i][0] for i in torch.randperm(len(dataset), generator=g)[:args.images].tolist()]
    mean = transforms.dataset_stats("imagenette", "train", args.root, limit=args.images).mean_image

    rescale = transforms.rescale_and_center_crop()
    crop_flip = [transforms.SubtractMean(mean), v2.RandomCrop(224), v2.RandomHorizontalFlip()]
    lighting = transforms.PCALighting()
    steps = {
        "decode": [],
        "decode + rescale": [rescale],
        "decode + rescale + crop and flip": [rescale, *crop_flip],
        "decode + rescale + crop and flip + PCA": [rescale, *crop_flip, lighting],
    }
    speeds = time_steps(files, steps)
    names = list(steps)
    without, with_pca = speeds[names[2]], speeds[names[3]]

    loader = DataLoader(Files(files, transforms.train_transform(mean, pca=lighting)), batch_size=64,
                        num_workers=args.workers)
    for warm in (True, False):
        start = time.perf_counter()
        count = sum(len(batch) for batch in loader)
        if not warm:
            loader_speed = count / (time.perf_counter() - start)

    folder, layout = data.find_dataset("imagenette", "train", args.root)
    record = {
        "benchmark": "augment_speed",
        "data": {"dataset": "imagenette", "folder": folder.name, "layout": layout.description, "images": len(files)},
        "images_per_s_per_core": {k: round(v, 1) for k, v in speeds.items()},
        "pca_ms_per_image": round(1000 * (1 / with_pca - 1 / without), 3),
        "pca_share_of_pipeline": round(1 - with_pca / without, 4),
        "dataloader": {"workers": args.workers, "batch_size": 64, "images_per_s": round(loader_speed, 1)},
        "provenance": prov.finish(),
    }
    write_json_atomic(Path(args.out), record)
    for name, speed in speeds.items():
        print(f"{name:<42} {speed:8.1f} images/s per core")
    print(f"PCA lighting: {record['pca_ms_per_image']:.3f} ms per image "
          f"({100 * record['pca_share_of_pipeline']:.1f}% of the pipeline)")
    print(f"DataLoader, {args.workers} workers: {loader_speed:.1f} images/s; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
