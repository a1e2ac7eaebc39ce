"""How long each chapter takes, executed top to bottom in a fresh kernel, in quick and in full mode.

    python benchmarks/chapter_times.py --out alexnet_edu/records/chapter_times.json
    python benchmarks/chapter_times.py --out alexnet_edu/records/chapter_times.json --modes full --inplace

Each chapter runs from a copy in an empty temporary folder with an empty statistics cache, as in a
fresh Colab runtime, with the installed package and the data root of ``$ALEXNET_EDU_DATA`` (the data
is there already: a download is not timed). The seconds go into the record under ``quick_cpu_s`` and
``full_cpu_s`` (``..._gpu_s`` on a machine with a CUDA GPU), merged into the record already at
``--out``, so that one chapter or one mode can be timed again; every chapter's setup cell prints its
times from this record. ``--inplace`` writes the full-mode execution back into ``book/``: that is how
chapters are committed (executed, in full mode, top to bottom).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"


def cpu_name() -> str:
    """'2 CPU cores (AMD EPYC 7B13)': the count and, where Linux says it, the model."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPU cores ({model})"


def execute(chapter: Path, quick: bool, write_back: bool) -> float:
    """Run ``chapter`` from a copy in an empty folder; return the seconds it took."""
    import nbformat
    from nbconvert.preprocessors import ExecutePreprocessor

    os.environ["ALEXNET_EDU_QUICK"] = "1" if quick else "0"
    with tempfile.TemporaryDirectory(prefix="alexnet-edu-time-") as folder:
        # an empty statistics cache, as in a fresh Colab runtime: what a chapter computes once is timed
        os.environ["ALEXNET_EDU_CACHE"] = str(Path(folder) / "cache")
        copy = Path(shutil.copy(chapter, Path(folder) / chapter.name))
        nb = nbformat.read(copy, as_version=4)
        runner = ExecutePreprocessor(timeout=None, kernel_name="python3", record_timing=False)
        started = time.perf_counter()
        runner.preprocess(nb, {"metadata": {"path": folder}})
        seconds = time.perf_counter() - started
    if write_back:
        # no widget state in the book: the HTML would load a widget manager from a CDN to draw sliders
        # that have no kernel behind them (each explorer has a static figure beside it instead)
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, chapter)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="JSON record to write (merged with the one there)")
    parser.add_argument("--chapters", nargs="*", help="chapter names, e.g. 23_lrn (default: every chapter)")
    parser.add_argument("--modes", default="quick,full", help="quick, full or quick,full (default)")
    parser.add_argument("--inplace", action="store_true", help="write full-mode executions back into book/")
    args = parser.parse_args(argv)

    import json

    import torch
    from tqdm import tqdm

    from alexnet_edu.provenance import Provenance
    from alexnet_edu.runs import write_json_atomic

    modes = [m for m in args.modes.split(",") if m]
    if not set(modes) <= {"quick", "full"}:
        parser.error(f"--modes takes quick and full, got {args.modes}")
    chapters = [BOOK / f"{c}.ipynb" for c in args.chapters] if args.chapters else sorted(BOOK.glob("*.ipynb"))
    device = "gpu" if torch.cuda.is_available() else "cpu"
    out = Path(args.out)
    record = json.loads(out.read_text()) if out.is_file() else {"benchmark": "chapter_times", "chapters": {}}
    prov = Provenance(["python", "benchmarks/chapter_times.py", *(sys.argv[1:] if argv is None else argv)])
    record[device] = (", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
                      if device == "gpu" else cpu_name())
    for chapter in tqdm(chapters, desc="chapters"):
        for mode in modes:
            seconds = execute(chapter, mode == "quick", args.inplace and mode == "full")
            record["chapters"].setdefault(chapter.stem, {})[f"{mode}_{device}_s"] = round(seconds, 1)
            tqdm.write(f"{chapter.stem:<28} {mode:<5} {seconds:7.1f} s")
            record.setdefault("provenance", {})[f"{device}"] = prov.record  # the newest session per device
            write_json_atomic(out, record)  # after every chapter: an interruption loses nothing finished
    record["provenance"][device] = prov.finish()
    write_json_atomic(out, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
