"""The book's page *Running this book* (``book/54_running.md``): Colab, a local checkout, a GPU, and
a table of what every chapter reads and how long it takes.

The page is made, never typed: its table comes from :data:`alexnet_edu.runtime.CHAPTER_DATA` (the
datasets each chapter reads), :mod:`alexnet_edu.data` (the archives downloaded when they are missing)
and the ``chapter_times`` record (each chapter's measured seconds, and the machine it was measured on),
the same sources a chapter's setup cell prints from. After any of them changes::

    python -m alexnet_edu running-page --out book/54_running.md

``tests/test_running_page.py`` fails while the page is stale.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any, Optional

from . import data, records
from .runtime import CHAPTER_DATA, DATASET_NAMES, QUICK_ENV, duration

RUNNING_PAGE = "book/54_running.md"
RUNNING_COMMAND = f"python -m alexnet_edu running-page --out {RUNNING_PAGE}"
_MODES = ("quick", "full")


def _doc(chapter: str) -> str:
    """A chapter as a link that Sphinx titles: ``{doc}`23_lrn```."""
    return f"{{doc}}`{chapter}`"


def _chapter(chapter: str) -> str:
    """"chapter 23" as a link to its page."""
    return f"{{doc}}`chapter {chapter[:2]} <{chapter}>`"


def _quick_budget(root: Path) -> Optional[float]:
    """``QUICK_BUDGET_S`` of ``book/conftest.py`` (the quick-mode limit ``make test`` holds each
    chapter to), read without importing it; ``None`` where the file or the name is missing."""
    path = root / "book" / "conftest.py"
    if not path.is_file():
        return None
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "QUICK_BUDGET_S" for t in node.targets):
            return float(ast.literal_eval(node.value))
    return None


def _reads(chapter: str) -> str:
    return ", ".join(DATASET_NAMES[n] for n in CHAPTER_DATA[chapter]) or "none"


def _needs_npm(root: Path) -> bool:
    """Whether the Makefile's book targets fetch something with npm (MathJax, served by the book itself)."""
    makefile = root / "Makefile"
    return makefile.is_file() and "npm " in makefile.read_text()


def _session(times: dict, device: str) -> str:
    """How the newest timing session on ``device`` ran: libraries and date, from the record."""
    prov = times.get("provenance", {}).get(device, {})
    parts = []
    torch_version = prov.get("libraries", {}).get("torch")
    if torch_version:
        parts.append(f"PyTorch {torch_version}")
    if prov.get("python"):
        parts.append(f"Python {prov['python']}")
    when = (prov.get("finished_utc") or prov.get("started_utc") or "")[:10]
    return ", ".join(parts) + (f", finished {when}" if when else "")


def running_page(root: Optional[Path] = None, folder: Optional[str] = None) -> str:
    """The page *Running this book* (MyST markdown), from the chapters' data, the archives and the
    ``chapter_times`` record (looked for in ``folder``, else as :func:`alexnet_edu.records.load`
    looks). ``root`` is the repository (default: the current folder); it is read only for the
    quick-mode budget of ``book/conftest.py`` and for what the Makefile's book targets need."""
    root = Path(".") if root is None else Path(root)
    try:
        times = records.load("chapter_times", folder)
    except records.RecordNotFoundError:
        times = {}
    measured = times.get("chapters", {})
    chapters = list(CHAPTER_DATA)
    gpu = [m for m in _MODES if any(measured.get(c, {}).get(f"{m}_gpu_s") is not None for c in chapters)]
    cpu_name = times.get("cpu", "a CPU")
    budget = _quick_budget(root)
    reading = {name: [c for c in chapters if name in CHAPTER_DATA[c]] for name in DATASET_NAMES}
    imagenette, cifar10 = data.archive_for("imagenette"), data.archive_for("cifar10")

    values = dict(root=root, times=times, measured=measured, chapters=chapters, gpu=gpu, cpu_name=cpu_name,
                  budget=budget, reading=reading, imagenette=imagenette, cifar10=cifar10)
    lines = _intro_and_colab(**values) + _machine_and_gpu(**values) + _times_table(**values)
    return "\n".join(lines) + "\n"


def _intro_and_colab(*, root: Path, times: dict, measured: dict, chapters: list, gpu: list, cpu_name: str, budget: Optional[float], reading: dict, imagenette: Any, cifar10: Any) -> list[str]:
    """The page's opening and its section on Colab."""
    return [
        "# Running this book",
        "",
        f"<!-- Made by `{RUNNING_COMMAND}` from alexnet_edu.runtime.CHAPTER_DATA, alexnet_edu.data and the "
        "record chapter_times; do not edit by hand (edit alexnet_edu/running.py). "
        "tests/test_running_page.py fails when this page is stale. -->",
        "",
        "Every chapter is a Jupyter notebook that sets itself up: its first code cell seeds every random "
        "generator, chooses quick or full mode, prints which data the chapter reads and how long it takes "
        "(the numbers of the table at the end of this page), and downloads the data it is missing. "
        "*Quick mode* runs small subsets and few steps; *full mode* is the one every chapter is committed in, "
        "and the one this book shows. Results that take hours are never computed in a chapter: they come from "
        "the package's command line and are stored small, with the command that made them, in "
        "`alexnet_edu.records`, so that a chapter opened alone finds them.",
        "",
        "## In Colab",
        "",
        "- On any chapter, the rocket icon at the top of the page opens the notebook in Google Colab. "
        "Its first code cell installs `alexnet_edu` from the repository and branch this book was built from "
        "(only in Colab), so nothing else is needed.",
        f"- In Colab a chapter runs in **quick mode** unless you ask for full mode: run a cell with "
        f"`%env {QUICK_ENV}=0` before the chapter's first code cell (`%env {QUICK_ENV}=1` asks for quick mode "
        "anywhere).",
        f"- The data goes into `data/` in Colab's working folder (`/content/data`), once per runtime: a fresh "
        f"runtime downloads it again. Imagenette is `{imagenette.filename}` ({imagenette.size_text}), read by "
        f"{len(reading['imagenette'])} chapters; CIFAR-10 is `{cifar10.filename}` ({cifar10.size_text}), read "
        f"by {len(reading['cifar10'])}.",
        "- A GPU runtime is not needed. The chapters are written for a CPU and timed on one (the table below); "
        "the only GPU work in the book is the training command of the next sections, of which "
        f"{_chapter('32_training_recipe')} runs a few steps as a demonstration.",
        "",
    ]


def _machine_and_gpu(*, root: Path, times: dict, measured: dict, chapters: list, gpu: list, cpu_name: str, budget: Optional[float], reading: dict, imagenette: Any, cifar10: Any) -> list[str]:
    """The sections on running the book on your machine and on a GPU."""
    return [
        "## On your machine",
        "",
        "You need Python 3.10 or newer, `make` and access to PyPI"
        + (" (and Node.js with `npm`, with which `make` fetches the MathJax that the HTML book serves)"
           if _needs_npm(root) else "") + ". From a clone of the repository:",
        "",
        "```bash",
        "make test      # .venv, the data if missing, the unit tests, every chapter as in Colab",
        "make book      # this HTML book in _build/html (the committed chapters, not executed)",
        "make student   # the student edition: student/ and its HTML book",
        "make data      # only the data: python -m alexnet_edu download imagenette cifar10 --if-missing",
        "```",
        "",
        "- These targets first create (or update) the virtual environment `.venv` from the pinned "
        "`requirements.txt`; use it for everything else, for example `.venv/bin/jupyter lab book/` to work in "
        f"the chapters. Outside Colab a chapter runs in **full mode** unless `{QUICK_ENV}=1` asks for quick mode; "
        f"`make test` runs every chapter in quick mode"
        + (f" and fails one that takes more than {budget:.0f} s." if budget is not None else "."),
        f"- **Data.** Every dataset is looked for in the folder named by the `{data.DATA_ENV}` environment "
        f"variable, else in `./{data.DEFAULT_ROOT}` (from a chapter in `book/`, the checkout's "
        f"`{data.DEFAULT_ROOT}/`; the `make` targets set `{data.DATA_ENV}` to it unless you set it). A copy in "
        "an official layout or an ImageFolder copy is used as it is; a missing dataset is downloaded, checked "
        "against its published MD5 and unpacked:",
        "",
        "```bash",
        "python -m alexnet_edu download imagenette cifar10 --if-missing   # what the chapters read, unless there",
        "python -m alexnet_edu where                                      # which datasets are found, and where",
        "python -m alexnet_edu download imagenet                          # how to obtain ILSVRC-2012 (by hand)",
        "```",
        "",
        f"- **Records and caches.** `{records.RECORDS_ENV}=my-records` makes every chapter show your own records "
        "instead of the shipped ones; mean images and colour statistics are cached in `$ALEXNET_EDU_CACHE` "
        "(default `~/.cache/alexnet_edu`).",
        "",
        "## On a GPU",
        "",
        "What uses a GPU is the package's command line for training, never a chapter's own computation:",
        "",
        "```bash",
        "python -m alexnet_edu train --dataset imagenette --init caffe --out runs/imagenette-alexnet-caffe",
        "python -m alexnet_edu train --resume runs/imagenette-alexnet-caffe",
        "python -m alexnet_edu evaluate runs/imagenette-alexnet-caffe --out record.json",
        "python -m alexnet_edu pictures runs/imagenette-alexnet-caffe --out pictures.json",
        "python -m alexnet_edu train --recipe alexnet-2012 --out runs/ilsvrc2012",
        "torchrun --standalone --nproc-per-node 8 -m alexnet_edu train --recipe alexnet-2012-ddp --distributed --out runs/ddp",
        "```",
        "",
        "- `train` runs on the GPU when there is one (`--device` chooses: `cpu`, `cuda`, `cuda:1`), with mixed "
        "precision on by default there (`--no-amp` turns it off); `--channels-last` and `--compile` are there to "
        "try. `evaluate` and `pictures` run where the run was trained unless `--device` says otherwise.",
        "- `--recipe alexnet-2012` is the paper's own run: ILSVRC-2012 and the network as two columns, one on "
        "each of two GPUs (`--model two-tower --devices cuda:0,cuda:1`); `--recipe alexnet-2012-ddp` trains the "
        "same recipe data-parallel, one whole network per process that `torchrun` starts. "
        f"{_chapter('33_full_imagenet_training')} says what these were and were not run on.",
        "- The small CIFAR-10 experiments behind the stored records (`figure1`, `ablation`, `tencrop`, "
        "`ensemble`) have no device option and run on the CPU.",
        "- `python benchmarks/train_speed.py --device cuda --out FILE` measures training steps per second and "
        "memory on a GPU.",
        "",
        "## What each chapter reads, and how long it takes",
        "",
    ]


def _times_table(*, root: Path, times: dict, measured: dict, chapters: list, gpu: list, cpu_name: str, budget: Optional[float], reading: dict, imagenette: Any, cifar10: Any) -> list[str]:
    """What each chapter reads and how long it takes, measured."""
    lines: list[str] = []
    when = _session(times, "cpu")
    lines.append(
        f"Times on the CPU were measured on {cpu_name}, each chapter run top to bottom in a fresh kernel from a "
        "copy in an empty folder, with its data already in place (a download is not timed) and an empty "
        "statistics cache, as in a fresh Colab runtime (`python benchmarks/chapter_times.py`; the record "
        f"`chapter_times`{'; its newest session: ' + when if when else ''}). A download adds the archive's size "
        "at the speed of your connection, once. "
        + (f"Times on a GPU runtime were measured on {times.get('gpu', 'a GPU')}{'; newest session: ' + _session(times, 'gpu') if _session(times, 'gpu') else ''}."
           if gpu else
           "No chapter has been timed on a GPU: the record holds CPU times only, and a GPU time is shown here "
           "only once a record has one (`benchmarks/chapter_times.py` run on a machine with a CUDA GPU adds "
           "them).")
    )
    header = ["Chapter", "Data it reads", "Quick mode, CPU", "Full mode, CPU"]
    header += [f"{m.capitalize()} mode, GPU" for m in gpu]
    lines += ["", "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    totals = {key: 0.0 for key in ["quick_cpu_s", "full_cpu_s"] + [f"{m}_gpu_s" for m in gpu]}
    complete = dict.fromkeys(totals, True)
    for chapter in chapters:
        costs = measured.get(chapter, {})
        cells = [_doc(chapter), _reads(chapter)]
        for key in totals:
            seconds = costs.get(key)
            cells.append(duration(seconds))
            if seconds is None:
                complete[key] = False
            else:
                totals[key] += seconds
        lines.append("| " + " | ".join(cells) + " |")
    total_cells = [f"**all {len(chapters)} chapters**", ""]
    total_cells += [f"**{duration(totals[k])}**" + ("" if complete[k] else " (of those measured)") for k in totals]
    lines.append("| " + " | ".join(total_cells) + " |")
    lines += [
        "",
        "The setup cell of each chapter prints the same times and data, from the same sources "
        "(`alexnet_edu.runtime.CHAPTER_DATA` and the record `chapter_times`). The long runs whose results "
        "the chapters show are not in these times: each chapter gives the command that made its records, and "
        f"{_doc('50_scoreboard')} the scale each claim was measured at.",
    ]
    return lines
