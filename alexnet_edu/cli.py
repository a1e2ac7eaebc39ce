"""Command line: ``python -m alexnet_edu <command>``.

    python -m alexnet_edu download imagenette [--size 320] [--root DIR]
    python -m alexnet_edu download cifar10 [--root DIR]
    python -m alexnet_edu download imagenette cifar10 --if-missing   # what the book needs, unless present
    python -m alexnet_edu download imagenet      # prints how to obtain ILSVRC-2012
    python -m alexnet_edu where                  # which datasets are found, and where
    python -m alexnet_edu figure1 --out alexnet_edu/records/figure1.json         # ReLU vs tanh (Figure 1)
    python -m alexnet_edu ablation lrn --out alexnet_edu/records/ablation_lrn.json  # or: pooling, dropout
    python -m alexnet_edu tencrop --out alexnet_edu/records/ten_crop.json          # centre vs ten patches
    python -m alexnet_edu ensemble --out alexnet_edu/records/ensemble.json         # 1 to 5 networks averaged
    python -m alexnet_edu train --dataset imagenette --out runs/imagenette    # the paper's recipe (§5)
    python -m alexnet_edu train --resume runs/imagenette                      # continue where it stopped
    python -m alexnet_edu train --recipe alexnet-2012 --out runs/ilsvrc2012   # ImageNet on two GPUs, as in 2012
    torchrun --nproc-per-node 8 -m alexnet_edu train --recipe alexnet-2012-ddp --distributed --out runs/ddp
    python -m alexnet_edu evaluate runs/imagenette --out alexnet_edu/records/train_imagenette.json
    python -m alexnet_edu pictures runs/imagenette --out alexnet_edu/records/pictures_imagenette.json
    python -m alexnet_edu scoreboard --out book/50_scoreboard.md    # every claim the book tests, graded
    python -m alexnet_edu running-page --out book/54_running.md     # how to run the book; chapters' data, times
    python -m alexnet_edu student-edition      # student notebooks (student/), the instructors' page
    python -m alexnet_edu grade submissions/*/*.ipynb --out grades.csv   # run each exercise's checker
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any, Optional, Sequence

from . import data


def _download(args: argparse.Namespace) -> int:
    if args.size is not None and "imagenette" not in args.datasets:
        print("--size applies to Imagenette only", file=sys.stderr)
        return 2
    status = 0
    for name in dict.fromkeys(args.datasets):
        if name == "imagenet":  # its licence asks every user to register: say how, and where it goes
            print(data.imagenet_instructions(args.root))
            continue
        size = args.size if name == "imagenette" else None
        try:
            if args.if_missing:
                folder, layout = data.ensure(name, args.root, size, progress=not args.quiet)
                print(f"{name} is ready in {folder} ({layout.description})")
            else:
                print(f"{name} is ready in {data.download(name, args.root, size, progress=not args.quiet)}")
        except (data.DataNotFoundError, ValueError, OSError) as err:  # DownloadError is an OSError
            print(f"error: {name}: {err}", file=sys.stderr)
            status = 1
    return status


def _where(args: argparse.Namespace) -> int:
    base, how = data.resolve_root(args.root)
    print(f"data root: {base}  (from {how})")
    for name, splits in data.SPLITS.items():
        for split in splits:
            try:
                folder, layout = data.find_dataset(name, split, root=base)
            except data.DataNotFoundError:
                fix = data.download_command(name, base)
                status = f"not found — {fix}" + (" (prints instructions)" if name == "imagenet" else "")
            else:
                try:
                    data.load_dataset(name, split, root=base)
                    status = f"{folder}  ({layout.description})"
                except data.DataNotFoundError as err:
                    status = f"INCOMPLETE {folder}: {str(err).splitlines()[0]}"
            print(f"  {name:<10} {split:<5} {status}")
    return 0


def _epochs(n: int) -> str:
    return f"{n} epoch" + ("" if n == 1 else "s")


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",") if v]


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def _data_record(root, train, test=None) -> dict:
    folder, layout = data.find_dataset("cifar10", "train", root)
    record = {"dataset": "cifar10", "folder": folder.name, "layout": layout.description, "train_images": len(train[1])}
    if test is not None:
        record["test_images"] = len(test[1])
    return record


def _extends(old: dict, new: dict, extendable: Sequence[str]) -> bool:
    """Whether settings ``new`` only append values to the lists ``extendable`` of ``old`` (a sweep
    given more learning rates): every run of the old record is then a run of the new one."""
    if any(old.get(key) != new.get(key) for key in new.keys() | old.keys() if key not in extendable):
        return False
    return all(isinstance(old.get(key), list) and new[key][:len(old[key])] == old[key] for key in extendable)


def _resumable(args: argparse.Namespace, experiment: str, settings: dict, extendable: Sequence[str] = ()):
    """Finished runs of an interrupted record at ``args.out`` with the same settings, and a function
    that saves the partial record after every run (atomically), so no finished run is ever lost.

    A record whose settings differ only by values appended to the lists named in ``extendable``
    (complete or not) is extended: its runs are reused and only the new values are trained.
    """
    import json
    from pathlib import Path

    from .provenance import Provenance
    from .runs import write_json_atomic

    previous, earlier_wall_time = None, 0.0
    out = Path(args.out)
    if out.is_file():
        old = json.loads(out.read_text())
        same = old.get("settings") == settings and not old.get("complete")
        extended = old.get("settings") != settings and _extends(old.get("settings", {}), settings, extendable)
        if old.get("experiment") == experiment and (same or extended):
            previous = old.get("runs", []) + old.get("pending_runs", [])
            for run in previous:  # runs saved before runs carried their own commit
                run.setdefault("git_commit", old.get("provenance", {}).get("git_commit"))
            earlier_wall_time = old.get("provenance", {}).get("wall_time_all_sessions_s", 0.0)
            how = "extending" if extended else "resuming"
            print(f"{how} {out}: {len(previous)} finished run(s) are reused", file=sys.stderr)
        else:
            print(f"{out} exists and will be replaced when this run finishes its first training", file=sys.stderr)
    prov = Provenance(args.argv)

    def save(partial: dict, complete: bool = False) -> None:
        for run in partial["runs"]:  # a resumed record mixes runs of several sessions: each keeps its commit
            run.setdefault("git_commit", prov.record["git_commit"])
        provenance = prov.finish()
        provenance["wall_time_all_sessions_s"] = round(earlier_wall_time + provenance["wall_time_s"], 1)
        record = {"experiment": experiment, "settings": settings, "complete": complete, **partial,
                  "provenance": provenance}
        # finished runs of the old record that the new order has not reached yet (an extended sweep
        # trains new rates between them): kept, so an interruption now loses none of them
        pending = [run for run in previous or () if not any(run is r or run == r for r in partial["runs"])]
        if pending and not complete:
            record["pending_runs"] = pending
        write_json_atomic(out, record)

    return previous, save


# The CIFAR-10 experiments' commands: the record's name, the function that runs it, the settings it
# records, the setting a new value may be appended to (the rest of the record is reused), whether it
# needs the test set, and the line it prints when done.
_CIFAR = {
    "figure1": ("figure1", ("lrs", "max_epochs", "target", "limit", "seed"), "lrs", False),
    "ablation": ("ablation-{kind}", ("kind", "lr", "epochs", "seeds", "limit", "test_limit"), "seeds", True),
    "tencrop": ("tencrop", ("crop", "lr", "epochs", "seeds", "limit", "test_limit"), "seeds", True),
    "ensemble": ("ensemble", ("crop", "lr", "epochs", "seeds", "limit", "test_limit"), "seeds", True),
}


def _cifar_experiment(args: argparse.Namespace) -> int:
    """``figure1``, ``ablation``, ``tencrop`` and ``ensemble``: train, saving the record after every run."""
    from . import experiments

    name, keys, extendable, needs_test = _CIFAR[args.command]
    settings = {key: getattr(args, key) for key in keys}
    previous, save = _resumable(args, name.format(kind=args.kind if args.command == "ablation" else ""), settings,
                                extendable=(extendable,))
    train = experiments.load_cifar_tensors("train", args.root, limit=args.limit)
    test = experiments.load_cifar_tensors("test", args.root, limit=args.test_limit) if needs_test else None
    data_record = _data_record(args.root, train, test)
    common = dict(previous=previous, on_run=lambda partial: save({"data": data_record, **partial}))
    runs = {key: settings[key] for key in ("lr", "epochs", "seeds")} if needs_test else {}
    if args.command == "figure1":
        result = experiments.figure1(train, args.lrs, args.max_epochs, args.target, seed=args.seed, **common)
    elif args.command == "ablation":
        result = experiments.ablation(args.kind, train, test, **runs, **common)
    elif args.command == "tencrop":
        result = experiments.multiview(train, test, crop=args.crop, **runs, **common)
    else:
        result = experiments.ensemble(train, test, crop=args.crop, store=data.cache_dir() / "ensemble", **runs, **common)
    save({"data": data_record, **result}, complete=True)
    summary = ""
    if args.command == "figure1":
        summary = f"; best: {result['best']}, ReLU speed-up over tanh: {result['speedup_relu_over_tanh']}"
    elif args.command == "ensemble":
        one, every = result["ensembles"][0], result["ensembles"][-1]
        summary = (f"; top-1 test error: one network {one['top1']['mean']:.2%} (mean of {one['subsets']}), all "
                   f"{every['members']} averaged {every['top1']['mean']:.2%}")
    print(f"wrote {args.out}{summary}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from .config import TrainConfig, recipe
    from .parallel import DistributedSetupError
    from .runs import TrainingError, list_checkpoints
    from .train import train

    options = [f.name for f in fields(TrainConfig)]

    try:
        if args.resume:
            fixed = ["--no-verify" if k == "verify" else f"--{k.replace('_', '-')}"
                     for k in (*options, "recipe", "out") if k != "lr" and getattr(args, k) is not None]
            if fixed:
                print(f"error: --resume continues {args.resume} with the configuration it started with; "
                      f"{', '.join(fixed)} cannot change it (only --lr, --max-steps and --quiet apply). To train with "
                      f"other settings, start a new run from its checkpoint: python -m alexnet_edu train --out NEW_RUN "
                      f"--init-from {args.resume}/checkpoints/NEWEST.pt {' '.join(fixed)} ...", file=sys.stderr)
                return 2
            result = train(run_dir=args.resume, resume=True, argv=args.argv, lr_override=args.lr,
                           max_steps=args.max_steps, progress=not args.quiet, distributed=args.distributed)
        else:
            if not args.out:
                print("give --out RUN_DIR for a new run (or --resume RUN_DIR to continue one)", file=sys.stderr)
                return 2
            values = {k: getattr(args, k) for k in options if getattr(args, k) is not None}
            cfg = recipe(args.recipe, **values) if args.recipe else TrainConfig(**values)
            result = train(cfg, args.out, argv=args.argv, max_steps=args.max_steps, progress=not args.quiet,
                           distributed=args.distributed)
    except (TrainingError, data.DataNotFoundError, ValueError, DistributedSetupError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except OSError as err:  # a full disk, a read-only folder: nothing is half-written, say where to go on from
        run_dir = Path(args.resume or args.out)
        newest = list_checkpoints(run_dir)
        print(f"error: {err}. The run stopped and nothing is half-written: "
              + (f"its newest checkpoint is {newest[-1].name}. Fix the cause (free space, a writable folder) and "
                 f"continue with: python -m alexnet_edu train --resume {run_dir}" if newest else
                 "it had written no checkpoint yet. Fix the cause (free space, a writable folder) and run the same "
                 "command again."), file=sys.stderr)
        return 1
    if result["stopped"] or not result.get("main", True):  # under torchrun, the first process speaks
        return 0
    last = result["history"][-1] if result["history"] else None
    if last:
        print(f"finished {result['run_dir']}: {_epochs(last['epoch'])}, val top-1 error {last['val_top1']:.1%}, "
              f"top-5 {last['val_top5']:.1%}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .records import evaluate_run
    from .runs import TrainingError, write_json_atomic

    try:
        record = evaluate_run(args.run_dir, ten_crop=not args.no_ten_crop, argv=args.argv, progress=not args.quiet,
                              device=args.device)
    except (TrainingError, data.DataNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    write_json_atomic(args.out, record)
    ev = record["evaluation"]
    print(f"{record['run']} after {_epochs(record['epochs_done'])}: centre patch top-1 {ev['centre']['top1']:.1%}, "
          f"top-5 {ev['centre']['top5']:.1%}" + (f"; ten patches top-1 {ev['ten']['top1']:.1%}, top-5 "
                                                   f"{ev['ten']['top5']:.1%}" if "ten" in ev else "")
          + f"; wrote {args.out}")
    return 0


def _pictures(args: argparse.Namespace) -> int:
    import numpy as np

    from .records import picture_record
    from .runs import TrainingError, write_atomic, write_json_atomic

    out = Path(args.out)
    if out.suffix != ".json":
        print(f"--out names the JSON record (NAME.json); the arrays go beside it in NAME.npz, got {out}", file=sys.stderr)
        return 2
    try:
        record, arrays = picture_record(args.run_dir, queries_per_class=args.queries_per_class, k=args.k,
                                        bank_limit=args.bank_limit, device=args.device, progress=not args.quiet,
                                        argv=args.argv)
    except (TrainingError, data.DataNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    arrays_path = out.with_suffix(".npz")
    record["arrays_file"] = arrays_path.name
    write_atomic(arrays_path, lambda f: np.savez_compressed(f, **arrays))  # first: a record never names missing arrays
    write_json_atomic(out, record)
    share = record["neighbours_share_class"]
    print(f"{record['run']} after {_epochs(record['epochs_done'])}: the {record['k']} nearest training images share "
          f"the class {share['fc7']:.1%} of the time by fc7, {share['pixels']:.1%} by pixels (chance "
          f"{share['chance']:.1%}); wrote {out} and {arrays_path}")
    return 0


def _write_page(page: str, out: Optional[str]) -> int:
    """A generated page of the book: printed, or written atomically to ``out``."""
    from .runs import write_atomic

    if out is None:
        print(page, end="")
        return 0
    write_atomic(out, page.encode())
    print(f"wrote {out}")
    return 0


def _scoreboard(args: argparse.Namespace) -> int:
    from .claims import scoreboard

    return _write_page(scoreboard(args.records), args.out)


def _running_page(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .running import running_page

    return _write_page(running_page(Path(args.root), args.records), args.out)


def _student_edition(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .editions import INSTRUCTORS_PAGE, instructors_page, write_student_book, write_student_notebooks
    from .runs import write_atomic

    root = Path(args.root)
    written = write_student_notebooks(root / "book", root / args.notebooks)
    print(f"wrote {len(written)} student notebooks to {root / args.notebooks}")
    write_atomic(root / INSTRUCTORS_PAGE, instructors_page(root, args.notebooks).encode())
    print(f"wrote {root / INSTRUCTORS_PAGE}")
    if args.book:
        print(f"wrote the student book's source to {write_student_book(root, Path(args.book), args.notebooks)}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .grading import grade

    missing = [p for p in args.notebooks if not Path(p).is_file()]
    if missing:
        print(f"no such file: {', '.join(missing)}; give the submitted .ipynb files", file=sys.stderr)
        return 2
    rows = grade([Path(p) for p in args.notebooks], Path(args.out) if args.out else None, args.timeout)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + (f"; wrote {args.out}" if args.out else ""))
    if not args.out:
        for row in rows:
            print(f"{row.student}\t{row.exercise}\t{row.status}\t{' '.join(row.message.split())[:100]}")
    return 0


def _add_config_options(p: argparse.ArgumentParser) -> None:
    """One option per :class:`~alexnet_edu.config.TrainConfig` field, its help and default from the field.

    Every option's parsed default is ``None`` ("not given"), so that a recipe's values and a resumed
    run's configuration are overridden only by what the user typed."""
    from .config import TrainConfig

    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        shown = f.metadata.get("shown", f.default)
        kind = {"bool": bool, "Optional[bool]": "both"}.get(str(f.type)) or {"int": int, "float": float}.get(
            str(f.type).removeprefix("Optional[").removesuffix("]"), str)
        extra: dict[str, Any] = {key: f.metadata[key] for key in ("choices", "metavar") if key in f.metadata}
        if kind == "both":
            p.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                           help=f"{f.metadata['help']} (default: {shown})")
        elif kind is bool and f.default:  # on by default: the option turns it off
            p.add_argument(f"--no-{f.name.replace('_', '-')}", dest=f.name, action="store_false", default=None,
                           help=f"{f.metadata['help']} (default: on)")
        elif kind is bool:
            p.add_argument(flag, action="store_true", default=None, help=f"{f.metadata['help']} (default: off)")
        else:
            p.add_argument(flag, type=kind, default=None, help=f"{f.metadata['help']} (default: {shown})", **extra)


def _experiment_commands(commands: Any, root_help: str) -> None:
    """``figure1``, ``ablation``, ``tencrop``, ``ensemble``: defaults from :data:`alexnet_edu.experiments.DEFAULTS`."""
    from .experiments import ABLATIONS, DEFAULTS

    helps = {
        "figure1": "Figure 1: epochs to 25%% training error, ReLU vs tanh, on CIFAR-10",
        "ablation": "a CIFAR-10 network without and with LRN, overlapping pooling or dropout (lrn-conv-local: the "
                    "paper's own CIFAR-10 network of cuda-convnet's files; lrn-reading: LRN's α on the plain sum, as "
                    "§3.3 prints it, against α/n, as Krizhevsky's code reads it)",
        "tencrop": "the small CIFAR-10 network trained on random crops: centre vs ten patches",
        "ensemble": "§6: the small CIFAR-10 network trained once per seed, and their softmax averaged: the error of "
                    "1, 2, … networks",
    }
    options = {
        "lrs": dict(type=_floats, help="learning rates to try, in order (appending rates to a finished record's list "
                                       "trains only the new ones)"),
        "max_epochs": dict(type=float, help="epochs at most"),
        "target": dict(type=float, help="training error to reach"),
        "seed": dict(type=int, help="the seed"),
        "crop": dict(type=int, help="patch size (the images are 32×32)"),
        "lr": dict(type=float, help="learning rate"),
        "epochs": dict(type=float, help="epochs per run"),
        "seeds": dict(type=_ints, help="one run per seed (appending seeds to a finished record's list trains only "
                                       "the new ones)"),
    }
    for command, defaults in DEFAULTS.items():
        p = commands.add_parser(command, help=helps[command])
        if command == "ablation":
            p.add_argument("kind", choices=list(ABLATIONS))
        p.add_argument("--out", required=True, help="JSON record to write (atomically)")
        for key, value in defaults.items():
            shown = ",".join(f"{v:g}" for v in value) if isinstance(value, list) else value
            p.add_argument("--" + key.replace("_", "-"), default=value, **{
                **options[key], "help": f"{options[key]['help']} (default: {shown})"})
        p.add_argument("--limit", type=int, help="use a random subset of this many training images (default: all)")
        if command != "figure1":
            p.add_argument("--test-limit", type=int, help="use a random subset of this many test images (default: all)")
        p.add_argument("--root", help=root_help)
        p.set_defaults(func=_cifar_experiment)


def _train_commands(commands: Any, root_help: str) -> None:
    """``train``, and the commands that read a trained run: ``evaluate`` and ``pictures``."""
    from .config import RECIPES

    p = commands.add_parser("train", help="train with the paper's recipe (§5) into a run directory, or resume one")
    p.add_argument("--out", help="run directory for a new run (must not hold a run already; default: none, "
                   "give it or --resume)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue this run from its newest checkpoint; its config.json "
                   "decides everything else (--lr sets a new learning rate; default: a new run)")
    p.add_argument("--recipe", choices=sorted(RECIPES), help="start from a named configuration: alexnet-2012 "
                   "(ILSVRC-2012, two-tower network on cuda:0,cuda:1, as in the paper) or alexnet-2012-ddp (the same "
                   "recipe, one whole network per process, for torchrun); other options override it (default: none, "
                   "TrainConfig's defaults)")
    _add_config_options(p)
    p.add_argument("--distributed", action="store_true",
                   help="data-parallel training in the processes torchrun starts: torchrun --nproc-per-node N -m "
                        "alexnet_edu train ... --distributed (--batch-size stays the global batch; default: one process)")
    p.add_argument("--max-steps", type=int, help="stop (with a checkpoint) after this many steps in this session "
                   "(default: no limit)")
    p.add_argument("--quiet", action="store_true", help="no progress bar (default: progress bars)")
    p.set_defaults(func=_train)

    p = commands.add_parser("evaluate", help="evaluate a run's newest checkpoint and write a small JSON record")
    p.add_argument("run_dir", help="the run directory (from `train --out`)")
    p.add_argument("--out", required=True, help="JSON record to write (atomically): metrics, errors, confusion "
                   "matrix, top-5 per validation file; never the weights")
    p.add_argument("--no-ten-crop", action="store_true", help="skip the ten-patch evaluation (ten times the work)")
    p.add_argument("--device", help="evaluate here instead of on the run's own device(s), for example cpu")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_evaluate)

    p = commands.add_parser("pictures", help="the small arrays the book's pictures need, from a trained run: conv1 "
                            "kernels, top-5 predictions and nearest neighbours by file name (Figures 3 and 4)")
    p.add_argument("run_dir", help="the run directory (from `train --out`), the paper's network")
    p.add_argument("--out", required=True, help="JSON record to write (NAME.json; the arrays go to NAME.npz)")
    p.add_argument("--queries-per-class", type=int, default=2, help="validation images shown per class (default: 2)")
    p.add_argument("--k", type=int, default=6, help="neighbours per query (Figure 4 shows six; default: 6)")
    p.add_argument("--bank-limit", type=int, help="search a fixed random subset of this many training images")
    p.add_argument("--device", help="where to run the network (default: the run's own)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_pictures)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m alexnet_edu``."""
    parser = argparse.ArgumentParser(
        prog="python -m alexnet_edu", description="alexnet_edu: data downloads and the book's experiments."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    sizes = ", ".join(f"{key[1]}: {a.filename} {a.size_text}" for key, a in data.ARCHIVES.items() if key[0] == "imagenette")
    p = commands.add_parser("download", help="download datasets' official archives (checksums verified); for "
                            "imagenet, print how to obtain it")
    p.add_argument("datasets", nargs="+", choices=sorted(data.SPLITS), metavar="DATASET",
                   help=f"one or more of {', '.join(sorted(data.SPLITS))} (cifar10: "
                        f"{data.ARCHIVES[('cifar10', None)].size_text})")
    p.add_argument("--root", help=f"data root (default: ${data.DATA_ENV}, else ./{data.DEFAULT_ROOT})")
    p.add_argument("--size", choices=data.IMAGENETTE_DOWNLOAD_SIZES,
                   help=f"Imagenette only (default {data.DEFAULT_IMAGENETTE_SIZE}; {sizes})")
    p.add_argument("--if-missing", action="store_true",
                   help="download only what the data root lacks: a complete copy in any layout (an offline copy "
                        "included) is kept as it is")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_download)

    p = commands.add_parser("where", help="show the data root and which datasets are found in it")
    p.add_argument("--root", help=f"data root (default: ${data.DATA_ENV}, else ./{data.DEFAULT_ROOT})")
    p.set_defaults(func=_where)

    root_help = f"data root (default: ${data.DATA_ENV}, else ./{data.DEFAULT_ROOT})"
    _experiment_commands(commands, root_help)
    _train_commands(commands, root_help)
    _book_commands(commands)
    return parser


def _book_commands(commands: Any) -> None:
    """The commands that write the book's generated pages and notebooks, and grade submissions."""
    p = commands.add_parser("scoreboard", help="grade every claim of the paper the book tests from the stored "
                            "records, as the book's scoreboard page (markdown)")
    p.add_argument("--out", help="write the page here (atomically), e.g. book/50_scoreboard.md; default: print it")
    p.add_argument("--records", help="grade from the records in this folder first (default: "
                   "ALEXNET_EDU_RECORDS, then the shipped ones)")
    p.set_defaults(func=_scoreboard)

    p = commands.add_parser("running-page", help="the book's page on running it (Colab, locally, a GPU), with "
                            "each chapter's data and measured times (markdown)")
    p.add_argument("--out", help="write the page here (atomically), e.g. book/54_running.md; default: print it")
    p.add_argument("--root", default=".", help="the book's repository (default: here)")
    p.add_argument("--records", help="read the chapter_times record from this folder first (default: "
                   "ALEXNET_EDU_RECORDS, then the shipped one)")
    p.set_defaults(func=_running_page)

    p = commands.add_parser("student-edition", help="write the student notebooks (solutions removed, an answer "
                            "cell under each exercise), the instructors' page, and, with --book, the student "
                            "HTML book's source")
    p.add_argument("--root", default=".", help="the book's repository (default: here)")
    p.add_argument("--notebooks", default="student", help="folder for the student notebooks, inside --root")
    p.add_argument("--book", help="also write the student book's source here (e.g. _build/student-src)")
    p.set_defaults(func=_student_edition)

    p = commands.add_parser("grade", help="execute submitted notebooks (quick mode, in a temporary folder) and run "
                            "each exercise's checker on the answers: one row per student and exercise")
    p.add_argument("notebooks", nargs="+", help="submitted .ipynb files (student/chapter.ipynb or any name)")
    p.add_argument("--out", help="write the grades here as CSV (atomically); default: print them")
    p.add_argument("--timeout", type=float, default=300, help="seconds allowed for each notebook (default 300)")
    p.set_defaults(func=_grade)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the process exit code."""
    args = build_parser().parse_args(argv)
    # what the user typed, for provenance records
    args.argv = sys.argv if argv is None else ["python", "-m", "alexnet_edu", *argv]
    return args.func(args)
