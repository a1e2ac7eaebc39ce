"""Run every chapter as Colab runs it: alone in an empty folder, with the package installed from its wheel.

    python tests/chapters_as_colab.py                       # every chapter, outputs compared (nbval)
    python tests/chapters_as_colab.py --official-layouts    # also: the data chapters on official layouts
    python tests/chapters_as_colab.py --chapters 23_lrn     # some chapters only

What it does, in order:

1. builds the package's wheel from this checkout and installs it, without dependencies, into a new
   virtual environment; the pinned dependencies are borrowed from the environment running this
   script (a ``.pth`` file adds its site-packages), but ``alexnet_edu`` comes from the wheel alone:
   the script checks where it is imported from, and that it finds its stored records;
2. copies each chapter into an empty folder of its own under a temporary directory, with no
   repository around it, and executes them all in quick mode with nbval, which compares every
   output not marked ``nbval-ignore-output`` with the committed one (the data root is
   ``$ALEXNET_EDU_DATA``, the offline copies on CI);
3. with ``--official-layouts``: builds, from the offline copies, a data root in the layouts of the
   official downloads (``imagenette2-320/`` with photos whose shorter side is 320 and whose aspect
   ratios vary, ``cifar-10-batches-py/`` with pickled batches), and runs every chapter that reads
   data against it in quick mode, with a fresh statistics cache. Every assertion of the chapters
   must hold there, and the outputs are compared too: a cell whose output depends on the data must
   be marked ``nbval-ignore-output`` (and assert its claim), so that ``make test`` passes on a
   machine that downloaded the official archives as well.

Exit status 0 when everything passed. Run by ``make test`` (and so by CI).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
OFFLINE_COPIES = ("imagenette2-224", "cifar10-jpeg")


def build_environment(work: Path) -> Path:
    """A virtual environment with the wheel of this checkout; returns its Python."""
    # from a copy of what the wheel is made of, so that no build/ folder of an earlier build leaks in
    source, dist = work / "source", work / "dist"
    shutil.copytree(ROOT / "alexnet_edu", source / "alexnet_edu", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(dist), str(source)], check=True, cwd=work)
    wheel = next(dist.glob("alexnet_edu-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # the pinned dependencies of the running environment, after the new environment's own packages;
    # a plain path in a .pth file: the editable install of alexnet_edu there is not activated
    (site / "zz_borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)], check=True)
    where = subprocess.run(
        [str(python), "-c", "import alexnet_edu, alexnet_edu.records as r; "
                            "print(alexnet_edu.__file__); print(len(r.available(r.SHIPPED)))"],
        check=True, capture_output=True, text=True, cwd=work).stdout.split()
    shipped = len(list((ROOT / "alexnet_edu" / "records").glob("*.json")))
    if not where[0].startswith(str(site)) or int(where[1]) != shipped:
        raise SystemExit(f"alexnet_edu was not imported from the wheel with its {shipped} records: {where}")
    print(f"installed {wheel.name} into {venv} (with its {shipped} stored records)")
    return python


def lay_out(chapters: list[Path], folder: Path) -> list[Path]:
    """Each chapter alone in a folder of its own; the timing hook beside them all."""
    folder.mkdir(parents=True)
    shutil.copy(BOOK / "conftest.py", folder / "conftest.py")  # the quick-mode time budget
    copies = []
    for chapter in chapters:
        (folder / chapter.stem).mkdir()
        copies.append(Path(shutil.copy(chapter, folder / chapter.stem / chapter.name)))
    return copies


def run_nbval(python: Path, folder: Path, copies: list[Path], env: dict) -> int:
    args = [str(python), "-m", "pytest", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
            "--nbval-cell-timeout=300", f"--nbval-sanitize-with={BOOK / 'nbval_sanitize.cfg'}",
            *[str(c.relative_to(folder)) for c in copies]]
    return subprocess.run(args, cwd=folder, env=env).returncode


# --- data in the official layouts, made from the offline copies -----------------------------------

def _imagenette_photo(job: tuple[str, str]) -> None:
    """One photo at the size of imagenette2-320: shorter side 320, an aspect ratio of its own."""
    from PIL import Image

    src, dst = job
    ratio = (1.0, 4 / 3, 3 / 4, 1.5, 2 / 3)[int(hashlib.md5(Path(src).name.encode()).hexdigest(), 16) % 5]
    size = (round(320 * ratio), 320) if ratio >= 1 else (320, round(320 / ratio))
    with Image.open(src) as im:
        im.convert("RGB").resize(size, Image.BICUBIC).save(dst, quality=90)


def official_layouts(offline: Path, target: Path) -> None:
    """imagenette2-320/ and cifar-10-batches-py/ in ``target``, from the offline copies in ``offline``."""
    import numpy as np
    from PIL import Image

    jobs = []
    for src in sorted((offline / "imagenette2-224").glob("*/*/*.JPEG")):
        dst = target / "imagenette2-320" / src.relative_to(offline / "imagenette2-224")
        dst.parent.mkdir(parents=True, exist_ok=True)
        jobs.append((str(src), str(dst)))
    with ProcessPoolExecutor() as pool:
        list(pool.map(_imagenette_photo, jobs, chunksize=64))
    folder = target / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    classes = sorted(p.name for p in (offline / "cifar10-jpeg" / "train").iterdir())
    for split, names in (("train", [f"data_batch_{i}" for i in range(1, 6)]), ("test", ["test_batch"])):
        files = [(p, c) for c, name in enumerate(classes) for p in sorted((offline / "cifar10-jpeg" / split / name).iterdir())]
        order = np.random.default_rng(0).permutation(len(files))  # the official batches mix the classes
        for b, name in enumerate(names):
            chosen = [files[i] for i in order[b * 10_000:(b + 1) * 10_000]]
            rows = np.stack([np.asarray(Image.open(p).convert("RGB")).transpose(2, 0, 1).reshape(-1) for p, _ in chosen])
            batch = {"batch_label": f"{name} (made from the JPEG copy)", "labels": [c for _, c in chosen],
                     "data": rows.astype(np.uint8), "filenames": [p.name for p, _ in chosen]}
            (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": classes, "num_vis": 3072,
                                                        "num_cases_per_batch": 10_000}, protocol=2))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", nargs="*", help="chapter names (default: all)")
    parser.add_argument("--official-layouts", action="store_true",
                        help="also run the data chapters on official-layout copies of the data")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from alexnet_edu.data import DATA_ENV, resolve_root
    from alexnet_edu.runtime import CHAPTER_DATA

    chapters = sorted(BOOK.glob("*.ipynb"))
    if args.chapters:
        chapters = [BOOK / f"{name}.ipynb" for name in args.chapters]
    offline, _ = resolve_root()
    env = {**os.environ, "ALEXNET_EDU_QUICK": "1", "MPLBACKEND": "Agg", DATA_ENV: str(offline)}
    env.pop("PYTHONPATH", None)
    work = Path(tempfile.mkdtemp(prefix="alexnet-edu-colab-"))
    status = 0
    try:
        python = build_environment(work)
        started = time.perf_counter()
        print(f"\n== every chapter alone in an empty folder, from the wheel, data root {offline}")
        status |= run_nbval(python, work / "door", lay_out(chapters, work / "door"), env)
        print(f"   ({time.perf_counter() - started:.0f} s)")
        if args.official_layouts and not all((offline / name).is_dir() for name in OFFLINE_COPIES):
            print(f"\n== no offline copies ({', '.join(OFFLINE_COPIES)}) in {offline} to make official layouts "
                  "from: the chapters above ran on this data root's own layouts")
        elif args.official_layouts:
            started = time.perf_counter()
            official = work / "official-data"
            official_layouts(offline, official)
            print(f"\n== the data chapters on official layouts made from the offline copies "
                  f"(built in {time.perf_counter() - started:.0f} s): {', '.join(sorted(p.name for p in official.iterdir()))}")
            readers = [c for c in chapters if CHAPTER_DATA.get(c.stem)]
            env_official = {**env, DATA_ENV: str(official), "ALEXNET_EDU_CACHE": str(work / "cache-official")}
            status |= run_nbval(python, work / "official", lay_out(readers, work / "official"), env_official)
            print(f"   ({time.perf_counter() - started:.0f} s with the build)")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
