"""The book's stored results: small records of long runs, shipped inside the package.

Runs that take hours (Figure 1's learning-rate sweep, the ablations, the Imagenette training runs)
are never computed in a chapter. The command line makes them and writes a small JSON record with
its provenance (command, commit, libraries, hardware, wall time); the records the book shows live in
this folder, so they travel with ``pip install`` and a chapter opened alone in Colab finds them.
Every chapter reads them through :func:`load` (and :func:`arrays` for the ``.npz`` beside a
record); nothing builds a path to them.

A record you make yourself is read by the same function. Write it into a folder of your own, then
name that folder, either per call (``load("figure1", folder="my-records")``) or for every chapter
at once in the ``ALEXNET_EDU_RECORDS`` environment variable, which is searched before the shipped
records, so the book then shows your run::

    python -m alexnet_edu figure1 --out my-records/figure1.json
    ALEXNET_EDU_RECORDS=my-records jupyter lab book/

:data:`MAKERS` holds the command that made each shipped record. To remake a shipped record, run
its command from the repository's root with ``--out alexnet_edu/records/NAME.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

RECORDS_ENV = "ALEXNET_EDU_RECORDS"
SHIPPED = Path(__file__).resolve().parent
PathLike = Union[str, "os.PathLike[str]"]

# The command that makes each record; {out} is where it writes. The training records need the run
# directory of chapter 32 first (its commands are in that chapter).
MAKERS: dict[str, str] = {
    "figure1": "python -m alexnet_edu figure1 --out {out}",
    "figure1_seed1": "python -m alexnet_edu figure1 --out {out} --lrs 0.001,0.003 --seed 1",
    "ablation_lrn": "python -m alexnet_edu ablation lrn --out {out} --seeds 0,1 --limit 25000",
    "ablation_pooling": "python -m alexnet_edu ablation pooling --out {out} --epochs 10 --seeds 0,1 --limit 25000",
    "ablation_dropout": ("python -m alexnet_edu ablation dropout --out {out} --seeds 0,1 --limit 25000 "
                         "--lr 0.001 --epochs 15"),
    "ablation_lrn_conv_local": ("python -m alexnet_edu ablation lrn-conv-local --out {out} --seeds 0,1,2,3 "
                               "--limit 25000 --epochs 8 --lr 0.001"),
    "ablation_lrn_reading": "python -m alexnet_edu ablation lrn-reading --out {out} --seeds 0,1,2 --limit 25000",
    "ten_crop": "python -m alexnet_edu tencrop --out {out} --seeds 0,1 --limit 25000",
    "ensemble": "python -m alexnet_edu ensemble --out {out} --limit 25000",
    "train_imagenette_paper_init": ("python -m alexnet_edu evaluate runs/imagenette-alexnet-paper --out {out} "
                                    "--no-ten-crop"),
    "train_imagenette_paper_dropout_s0": ("python -m alexnet_edu evaluate runs/imagenette-alexnet-paper-init-paper-"
                                          "dropout-s0 --out {out} --no-ten-crop"),
    "train_imagenette_paper_dropout_s1": ("python -m alexnet_edu evaluate runs/imagenette-alexnet-paper-init-paper-"
                                          "dropout-s1 --out {out} --no-ten-crop"),
    "train_imagenette": "python -m alexnet_edu evaluate runs/imagenette-alexnet-caffe --out {out}",
    "pictures_imagenette": "python -m alexnet_edu pictures runs/imagenette-alexnet-caffe --out {out}",
    "augment_speed": "python benchmarks/augment_speed.py --out {out}",
    "train_speed_cpu": "python benchmarks/train_speed.py --out {out}",
    "train_speed_gpu": "python benchmarks/train_speed.py --out {out}",
    "chapter_times": "python benchmarks/chapter_times.py --out {out}",
}


class RecordNotFoundError(FileNotFoundError):
    """A record is in none of the folders searched; the message names them and the command that makes it."""


def command(name: str, out: Optional[PathLike] = None) -> str:
    """The command that makes record ``name``, writing to ``out`` (default: the shipped record,
    ``alexnet_edu/records/NAME.json``, as typed from the repository's root)."""
    name = _stem(name)
    if name not in MAKERS:
        raise KeyError(f"no command is known for record {name!r}; known: {', '.join(sorted(MAKERS))}")
    return MAKERS[name].format(out=out if out is not None else f"alexnet_edu/records/{name}.json")


def folders(folder: Optional[PathLike] = None) -> list[Path]:
    """Where :func:`find` looks, in order: ``folder`` alone when given, else ``$ALEXNET_EDU_RECORDS``
    (when set), then the records shipped with the package."""
    if folder is not None:
        return [Path(folder).expanduser().resolve()]
    env = os.environ.get(RECORDS_ENV, "").strip()
    return ([Path(env).expanduser().resolve()] if env else []) + [SHIPPED]


def find(name: str, folder: Optional[PathLike] = None) -> Path:
    """The JSON file of record ``name`` (``"figure1"`` or ``"figure1.json"``): the first of
    :func:`folders` that holds it."""
    name = _stem(name)
    searched = folders(folder)
    for place in searched:
        path = place / f"{name}.json"
        if path.is_file():
            return path
    made_by = (f"Make it with\n    {command(name, out=searched[0] / f'{name}.json')}\n"
               if name in MAKERS else f"Records here: {', '.join(available(folder)) or 'none'}.\n")
    raise RecordNotFoundError(
        f"record {name!r} was not found. Searched:\n" + "".join(f"    {p}\n" for p in searched) + made_by
        + (f"(${RECORDS_ENV} names a folder of your own records; the shipped ones are in {SHIPPED}.)"
           if folder is None else "")
    )


def load(name: str, folder: Optional[PathLike] = None) -> dict[str, Any]:
    """Record ``name`` as a dict (see :func:`find` for where it is looked for)."""
    path = find(name, folder)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not a complete JSON record ({err}); make it again:\n"
                         f"    {command(name, out=path) if _stem(name) in MAKERS else '(its command)'}") from None


def arrays(name: str, folder: Optional[PathLike] = None) -> dict[str, np.ndarray]:
    """The arrays stored beside record ``name`` (the ``.npz`` file its ``arrays_file`` names), loaded
    into memory."""
    path = find(name, folder)
    record = json.loads(path.read_text())
    if "arrays_file" not in record:
        raise KeyError(f"record {path.name} has no arrays beside it (no 'arrays_file')")
    with np.load(path.parent / record["arrays_file"]) as npz:
        return {key: npz[key] for key in npz.files}


def available(folder: Optional[PathLike] = None) -> list[str]:
    """The names of the records found in :func:`folders`."""
    return sorted({p.stem for place in folders(folder) if place.is_dir() for p in place.glob("*.json")})


def describe(record: dict[str, Any], settings: Optional[dict[str, Any]] = None) -> str:
    """Where a record came from, as lines to print under a result: its command (:func:`as_typed`),
    commit, libraries, hardware, when it ran, its data and whether it finished. With ``settings``
    (the settings its command in :data:`MAKERS` gives, defaults included), one more line says whether
    the record was made with exactly those, or is something else (a development record, a reader's
    own run with other options)."""
    prov = record.get("provenance")
    if not prov:
        raise KeyError("this record has no 'provenance': it was not written by the package's command line")
    hw = prov["hardware"]
    wall_s = prov.get("wall_time_all_sessions_s", prov.get("wall_time_s"))
    lines = [
        f"command:     {as_typed(prov['command'])}",
        f"git commit:  {(prov.get('git_commit') or 'unknown')[:12]}"
        + (" (uncommitted changes)" if prov.get("git_dirty") else ""),
        f"libraries:   {', '.join(f'{k} {v}' for k, v in prov['libraries'].items())} | python {prov['python']}",
        f"hardware:    {hw['cpu_count']} CPUs, {hw['torch_threads']} torch threads, "
        f"GPUs: {', '.join(hw['gpus']) or 'none'}",
        f"ran:         {prov['started_utc']} → {prov['finished_utc']}"
        + (f" ({wall_s / 60:.0f} min, all sessions)" if wall_s is not None else ""),
    ]
    data = record.get("data")
    if data:
        test = f", {data['test_images']:,} test images" if "test_images" in data else ""  # Figure 1 tests none
        lines.append(f"data:        {data['dataset']} ({data['layout']}): {data['train_images']:,} training "
                     f"images{test}")
    lines.append(f"complete:    {record.get('complete', True)}")
    if settings is not None:
        same = record.get("settings") == settings
        lines.append(f"settings:    {record.get('settings')}")
        lines.append("             " + ("those of its command in records.MAKERS" if same else
                                        f"NOT those of its command in records.MAKERS ({settings})"))
    return "\n".join(lines)


def as_typed(command: str) -> str:
    """A stored command as a reader should see it: absolute paths (another machine's) and the file the
    command wrote (``--out``; the shipped records have moved since) cut to their last part, ``…/NAME``.

    >>> as_typed("python -m alexnet_edu figure1 --out book/results/figure1.json --root /home/me/data")
    'python -m alexnet_edu figure1 --out …/figure1.json --root …/data'
    """
    words, shown = command.split(), []
    for i, word in enumerate(words):
        after_out = i > 0 and words[i - 1] == "--out"
        if (after_out and "/" in word) or word.startswith("/"):
            word = f"…/{Path(word).name}"
        shown.append(word)
    return " ".join(shown)


def _stem(name: str) -> str:
    if not isinstance(name, str) or not name or "/" in name or "\\" in name:
        raise ValueError(f"a record is named by its file name without folders, like 'figure1', got {name!r}; "
                         "give the folder as folder=...")
    return name[:-5] if name.endswith(".json") else name
