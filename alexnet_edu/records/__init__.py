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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

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


# --- making the records of a training run ----------------------------------------------------------
# (imported here, not at the top: reading a record needs neither PyTorch's data loaders nor the network)


@dataclass
class LoadedRun:
    """A trained run, ready to evaluate: its configuration, the checkpoint chosen, its images, its network."""

    run_dir: Path
    config: Any  # the run's TrainConfig, as it trained
    used: Any  # the TrainConfig the network was built with here (another device, say)
    checkpoint: Path
    state: dict[str, Any]
    train_set: Any
    val_set: Any
    classes: list[str]
    model: Any
    device: Any  # where inputs go (a two-tower network's first column)


def load_run(run_dir: PathLike, *, device: Optional[str] = None, progress: bool = True,
             epoch_end: bool = True) -> LoadedRun:
    """A run's newest end-of-epoch checkpoint (or, with ``epoch_end=False`` and none at an epoch's end,
    its newest), its images and its network with those weights, in eval mode. ``device`` overrides the
    run's own: everything, both columns of a two-tower network included, goes there."""
    from ..config import TrainConfig, build_datasets, build_model, resolve_device
    from ..runs import TrainingError, list_checkpoints, load_checkpoint, newest_epoch_end, read_config

    run_dir = Path(run_dir)
    config = TrainConfig.from_dict(read_config(run_dir))
    if not list_checkpoints(run_dir):
        raise TrainingError(f"{run_dir} has no checkpoint to evaluate: train it for at least one step")
    try:
        chosen = newest_epoch_end(run_dir)
    except TrainingError:
        if epoch_end:
            raise
        chosen = list_checkpoints(run_dir)[-1]
    state = load_checkpoint(chosen)
    used = config if device is None else TrainConfig.from_dict({**asdict(config), "device": device, "devices": None})
    train_set, val_set, classes = build_datasets(used, progress)
    model = build_model(used, len(classes), resolve_device(used.device))
    model.load_state_dict(state["model"])
    return LoadedRun(run_dir, config, used, chosen, state, train_set, val_set, classes, model.eval(),
                     next(model.parameters()).device)


def _loader(images: Any, batch_size: int, workers: int) -> Any:
    from torch.utils.data import DataLoader

    from ..data import collate

    return DataLoader(images, batch_size=max(1, batch_size), num_workers=workers, collate_fn=collate)


def evaluate_run(run_dir: PathLike, *, ten_crop: bool = True, argv: Optional[Sequence[str]] = None,
                 progress: bool = True, device: Optional[str] = None) -> dict[str, Any]:
    """A small JSON-ready record of a run: its configuration, sessions and per-epoch metrics, and the
    newest end-of-epoch checkpoint evaluated on the whole validation split — top-1/top-5 error of the
    centre patch and (``ten_crop``) of the paper's ten patches (§4.1), the confusion matrix, and each
    image's five best classes keyed by file name (not by index, so they survive another copy of the
    data). Never the weights.

    ``device`` overrides the run's own: everything, both columns of a two-tower network included,
    is evaluated there (for example ``"cpu"`` for a run trained on two GPUs)."""
    import torch

    from ..data import TrainImages, collate, readable
    from ..metrics import NothingToEvaluate, evaluate
    from ..model import relu_activity
    from ..paper import TOP_K
    from ..provenance import Provenance
    from ..runs import TrainingError, read_sessions
    from ..transforms import eval_transform

    prov = Provenance(argv)
    run = load_run(run_dir, device=device, progress=progress, epoch_end=False)
    cfg, val, n_classes = run.used, run.val_set, len(run.classes)
    views = {"centre": val.transform}
    if ten_crop:
        mean = next(t.mean for t in val.transform.transforms if hasattr(t, "mean"))  # the SubtractMean step
        views["ten"] = eval_transform(mean, crop_size=cfg.crop, size=cfg.resize, ten=True)
    results: dict[str, Any] = {}
    for name, transform in views.items():
        seen: dict[str, list[int]] = {"skipped": [], "indices": []}
        loader = _loader(TrainImages(val.samples, transform, cfg.seed), cfg.batch_size // (10 if name == "ten" else 1),
                         cfg.workers)
        try:
            out = evaluate(run.model, readable(loader, seen), device=run.device, keep=name == "centre",
                           progress=progress, desc=f"evaluating ({name})")
        except NothingToEvaluate:
            raise TrainingError("no readable validation image: check the validation folder") from None
        results[name] = {"top1": out["top1"], "top5": out["top5"], "images": out["images"],
                         "skipped": len(seen["skipped"])}
        if name == "centre":
            probs, targets, order = out["probabilities"], out["targets"], seen["indices"]
    confusion = torch.bincount(targets * n_classes + probs.argmax(1), minlength=n_classes ** 2).view(n_classes, -1)
    best = probs.topk(min(TOP_K, n_classes), dim=1).indices.tolist()
    top5_by_file = {Path(val.samples[i][0]).name: row for i, row in zip(order, best)}
    # which ReLUs still fire, on the first validation images (a stalled network has a dead layer)
    first = collate([val[i] for i in range(min(len(val), cfg.batch_size))]).images
    weight = next(run.model.parameters())
    results["relu_active"] = relu_activity(run.model, first.to(run.device, weight.dtype)) if first is not None else {}
    return {
        "experiment": "train",
        "run": run.run_dir.name,
        "config": asdict(run.config),  # the run's, even when evaluated elsewhere (evaluated_on)
        "evaluated_on": [str(d) for d in dict.fromkeys(p.device for p in run.model.parameters())],
        "classes": run.classes,
        "sessions": read_sessions(run.run_dir),
        "epochs_done": int(run.state["epoch"]),
        "steps_into_next_epoch": int(run.state["step"]),  # 0 unless the run has no end-of-epoch checkpoint
        "checkpoint": run.checkpoint.name,
        "history": run.state["history"],
        "evaluation": {**results, "confusion": confusion.tolist(), "top5_by_file": top5_by_file},
        "provenance": prov.finish(),
    }


def kept_epochs(available: Sequence[int], keep: int = 6) -> list[int]:
    """At most ``keep`` of the ``available`` epochs for pictures of change: the first, the last, and
    between them epochs spaced about evenly on a logarithmic scale (early epochs change most)."""
    available = sorted(set(available))
    if len(available) <= keep:
        return available
    first, last = available[0], available[-1]
    wanted = {first, last}
    for i in range(1, keep - 1):  # targets from first+1 to last, geometrically
        target = (first + 1) * ((last + 1) / (first + 1)) ** (i / (keep - 1)) - 1
        wanted.add(min(available, key=lambda e: (abs(e - target), e)))
    return sorted(wanted)


# the stages of the paper's network whose maps a chapter shows: each conv layer, and after conv1 and
# conv2 what the ReLU and the LRN make of them
MAP_STAGES = ("conv1", "relu1", "lrn1", "conv2", "relu2", "lrn2", "conv3", "relu3", "conv4", "relu4", "conv5",
              "relu5")


def picture_record(run_dir: PathLike, *, queries_per_class: int = 2, k: int = 6, pixel_side: int = 56,
                   maps_per_column: int = 8, bank_limit: Optional[int] = None, device: Optional[str] = None,
                   progress: bool = True, argv: Optional[Sequence[str]] = None) -> tuple[dict, dict[str, np.ndarray]]:
    """What the pictures of a trained run need, small: ``(record, arrays)``.

    ``arrays``: conv1's kernels after some epochs (``conv1_epoch_NNNN``, float16; from the run's
    ``conv1/`` folder, and the newest end-of-epoch checkpoint). ``record``: for ``queries_per_class``
    validation images of each class, their five most probable classes with probabilities, and their
    ``k`` nearest training images by Euclidean distance between fc7's 4096 activations (after its
    ReLU, as in §6.1) and between the pixels of the centre patch (shrunk to ``pixel_side``² by
    averaging) — all by file name, not by index, so they survive another copy of the data; and, over
    every validation image, how often its ``k`` neighbours share its class, in both spaces. The
    training images are the bank, as in Figure 4 (``bank_limit``: a fixed random subset). Inside the
    layers: for the first query photograph, the first ``maps_per_column`` maps of each column at every
    stage of :data:`MAP_STAGES` (``maps_<stage>``, float16), and per stage the share of zeros and of
    positive values and the root mean square, over all its maps.
    """
    import torch

    from ..data import random_subset
    from ..paper import TOP_K
    from ..provenance import Provenance
    from ..runs import read_config, read_sessions
    from ..visualize import nearest_neighbours

    prov = Provenance(argv)
    run_cfg = read_config(run_dir)
    if run_cfg["model"] not in ("alexnet", "two-tower"):
        raise ValueError(f"pictures are drawn from the paper's network (alexnet or two-tower), not {run_cfg['model']!r}")
    run = load_run(run_dir, device=device or run_cfg["device"], progress=progress)
    model = run.model.to_alexnet() if run.used.model == "two-tower" else run.model  # one module: fc7 is one layer
    run.model = model.to(run.device, torch.float32).eval()  # pictures in float32, also of a float64 run
    arrays, kernels = _conv1_over_training(run)
    bank = [run.train_set.samples[i] for i in random_subset(len(run.train_set.samples), bank_limit, run.used.seed)]
    bank_f, bank_p, _, bank_y, bank_names = _describe(run, bank, pixel_side, "training images (the bank)", progress)
    val_f, val_p, val_probs, val_y, val_names = _describe(run, run.val_set.samples, pixel_side, "validation images",
                                                          progress)
    shares, nearest = {}, {}
    for space, query, against in (("fc7", val_f, bank_f), ("pixels", val_p, bank_p)):
        nearest[space] = nearest_neighbours(query, against, k)
        same = (bank_y[nearest[space]] == val_y[:, None]).double()
        shares[space], shares[f"{space}_nearest"] = same.mean().item(), same[:, 0].mean().item()
    # the queries: the first queries_per_class validation images of each class, by file name
    by_class: dict[int, list[int]] = {}
    for i in sorted(range(len(val_names)), key=lambda i: Path(val_names[i]).name):
        by_class.setdefault(int(val_y[i]), []).append(i)
    queries = [i for c in sorted(by_class) for i in by_class[c][:queries_per_class]]

    def entry(path: str, label: Any) -> dict[str, str]:
        return {"file": Path(path).name, "class": run.classes[int(label)]}

    maps = _maps_of_one_photo(run, val_names[queries[0]], int(val_y[queries[0]]), maps_per_column, arrays)
    shown = []
    for i in queries:
        top = val_probs[i].topk(min(len(run.classes), TOP_K))
        shown.append({**entry(val_names[i], val_y[i]),
                      "top5": [[run.classes[c], round(float(p), 4)] for p, c in zip(top.values, top.indices)],
                      "fc7_neighbours": [entry(bank_names[j], bank_y[j]) for j in nearest["fc7"][i].tolist()],
                      "pixel_neighbours": [entry(bank_names[j], bank_y[j]) for j in nearest["pixels"][i].tolist()]})
    frequencies = torch.bincount(bank_y, minlength=len(run.classes)).double() / len(bank_y)
    # chance: a neighbour drawn at random from the bank has the query's class this often
    shares["chance"] = float(frequencies[val_y].mean())
    record = {
        "experiment": "pictures", "run": run.run_dir.name, "checkpoint": run.checkpoint.name,
        "epochs_done": int(run.state["epoch"]), "config": asdict(run.config), "classes": run.classes,
        "run_sessions": read_sessions(run.run_dir), "bank_images": len(bank_names), "val_images": len(val_names),
        "k": k, "pixel_side": pixel_side, "conv1_epochs": kept_epochs(list(kernels)),
        "neighbours_share_class": {key: shares[key] for key in ("fc7", "pixels", "fc7_nearest", "pixels_nearest",
                                                                 "chance")},
        "queries": shown,
        "maps": {"file": Path(val_names[queries[0]]).name, "class": run.classes[int(val_y[queries[0]])],
                 "stages": maps},
        "provenance": prov.finish(),
    }
    return record, arrays


def _conv1_over_training(run: LoadedRun) -> tuple[dict[str, np.ndarray], dict[int, np.ndarray]]:
    """conv1's kernels over training: the run's snapshots, else (older runs) the seeded start and the
    checkpoint; the arrays of the epochs :func:`kept_epochs` keeps, and every epoch's kernels."""
    import torch

    from ..config import build_model
    from ..model import conv1_weight
    from ..runs import conv1_snapshots

    epochs_done = int(run.state["epoch"])
    kernels = {e: np.load(p) for e, p in conv1_snapshots(run.run_dir).items() if e <= epochs_done}
    if 0 not in kernels:
        torch.manual_seed(run.used.seed)  # how train() draws the first weights
        kernels[0] = conv1_weight(build_model(run.used, len(run.classes))).numpy()
    kernels[epochs_done] = conv1_weight(run.model).numpy()
    return {f"conv1_epoch_{e:04d}": kernels[e].astype(np.float16) for e in kept_epochs(list(kernels))}, kernels


def _describe(run: LoadedRun, samples: list, pixel_side: int, what: str, progress: bool) -> tuple:
    """fc7's activations (after its ReLU), the shrunk pixels, the probabilities and the labels of
    ``samples``' centre patches, and the files they came from (unreadable ones left out)."""
    import torch
    import torch.nn.functional as F

    from ..data import TrainImages, readable
    from ..metrics import NothingToEvaluate, evaluate
    from ..runs import TrainingError

    seen: dict[str, list[int]] = {"indices": []}
    pixels = []

    def batches():
        for images, labels in readable(_loader(TrainImages(samples, run.val_set.transform, run.used.seed),
                                               run.used.batch_size, run.used.workers), seen):
            pixels.append(F.adaptive_avg_pool2d(images, pixel_side).flatten(1))
            yield images, labels

    try:
        out = evaluate(run.model, batches(), keep=True, layers=["relu7"], device=run.device, progress=progress,
                       desc=what)
    except NothingToEvaluate:
        raise TrainingError(f"no readable image among the {what}") from None
    return (out["activations"]["relu7"], torch.cat(pixels), out["probabilities"], out["targets"],
            [samples[i][0] for i in seen["indices"]])


def _maps_of_one_photo(run: LoadedRun, path: str, label: int, maps_per_column: int,
                       arrays: dict[str, np.ndarray]) -> dict[str, dict]:
    """Inside the layers: one photograph through every stage of :data:`MAP_STAGES`, the first
    ``maps_per_column`` maps of each column into ``arrays``, and per stage the share of zeros and of
    positive values and the root mean square over all its maps."""
    from ..data import TrainImages
    from ..model import layer_activations
    from ..paper import NUM_COLUMNS

    photo = TrainImages([(path, label)], run.val_set.transform, run.used.seed)[0][0]
    stages = layer_activations(run.model, photo[None].to(run.device), MAP_STAGES)
    maps: dict[str, dict] = {}
    for name in MAP_STAGES:
        full = stages[name][0].float()
        half = full.shape[0] // NUM_COLUMNS
        channels = list(range(maps_per_column)) + list(range(half, half + maps_per_column))
        arrays[f"maps_{name}"] = full[channels].numpy().astype(np.float16)
        maps[name] = {"shape": list(full.shape), "channels": channels,
                      "zero_fraction": float((full == 0).double().mean()),
                      "positive_fraction": float((full > 0).double().mean()),
                      "rms": float(full.double().pow(2).mean().sqrt())}
    return maps
