"""Command line: ``python -m alexnet_edu <command>``.

    python -m alexnet_edu download imagenette [--size 320] [--root DIR]
    python -m alexnet_edu download cifar10 [--root DIR]
    python -m alexnet_edu download imagenet      # prints how to obtain ILSVRC-2012
    python -m alexnet_edu where                  # which datasets are found, and where
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from . import data


def _download(args: argparse.Namespace) -> int:
    try:
        folder = data.download(args.dataset, root=args.root, size=args.size)
    except data.DataNotFoundError as err:
        print(err, file=sys.stderr)
        return 1
    except RuntimeError as err:  # torchvision: "File not found or corrupted." after a bad MD5
        print(
            f"Download of {args.dataset} failed: {err}\n"
            f"The archive did not match its published MD5 checksum or could not be fetched; "
            f"run the same command again (an intact archive is kept, a damaged one fetched anew).",
            file=sys.stderr,
        )
        return 1
    print(f"{args.dataset} is ready in {folder}")
    return 0


def _where(args: argparse.Namespace) -> int:
    base, how = data.resolve_root(args.root)
    print(f"data root: {base}  (from {how})")
    for name, splits in data.SPLITS.items():
        for split in splits:
            try:
                folder, layout = data.find_dataset(name, split, root=base)
                status = f"{folder}  ({layout.description})"
            except data.DataNotFoundError:
                fix = data.download_command(name, base)
                status = f"not found — {fix}" + (" (prints instructions)" if name == "imagenet" else "")
            print(f"  {name:<10} {split:<5} {status}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m alexnet_edu``."""
    parser = argparse.ArgumentParser(prog="python -m alexnet_edu", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("download", help="download a dataset's official archive (checksum verified)")
    p.add_argument("dataset", choices=sorted(data.SPLITS))
    p.add_argument("--root", help=f"data root (default: ${data.DATA_ENV}, else ./{data.DEFAULT_ROOT})")
    p.add_argument(
        "--size", choices=sorted(data.IMAGENETTE_DOWNLOAD_SIZES), default="320",
        help="Imagenette only: full size, shorter side 320 (default) or shorter side 160",
    )
    p.set_defaults(func=_download)

    p = commands.add_parser("where", help="show the data root and which datasets are found in it")
    p.add_argument("--root", help=f"data root (default: ${data.DATA_ENV}, else ./{data.DEFAULT_ROOT})")
    p.set_defaults(func=_where)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the process exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args)
