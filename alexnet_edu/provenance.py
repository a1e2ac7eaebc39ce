"""Where a stored result came from: the command, the code, the libraries, the machine, the time.

Every record the book loads carries one of these, so a reader can tell what was run, and remake it.
(Records are written with :func:`alexnet_edu.runs.write_atomic`: an interrupted run never leaves a
half-written file where a complete one was.)
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import torch


def _git(*args: str) -> Optional[str]:
    try:
        out = subprocess.run(["git", *args], capture_output=True, text=True, timeout=10,
                             cwd=Path(__file__).resolve().parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def hardware() -> dict[str, Any]:
    """The machine: processor, cores, PyTorch's thread count, and any GPUs."""
    info: dict[str, Any] = {
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpus": [],
    }
    if torch.cuda.is_available():
        info["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return info


class Provenance:
    """Collects a run's provenance; :meth:`finish` adds the end time and wall time."""

    def __init__(self, argv: Optional[Sequence[str]] = None) -> None:
        argv = list(sys.argv if argv is None else argv)
        if argv and argv[0].replace("\\", "/").endswith("alexnet_edu/__main__.py"):
            argv[0:1] = ["python", "-m", "alexnet_edu"]  # how the user typed it
        self._start = time.perf_counter()
        status = _git("status", "--porcelain", "--untracked-files=no")
        self.record: dict[str, Any] = {
            "command": shlex.join(argv),
            "git_commit": _git("rev-parse", "HEAD"),
            "git_dirty": bool(status) if status is not None else None,
            "python": platform.python_version(),
            "libraries": {"torch": torch.__version__, "numpy": np.__version__, **_optional_versions()},
            "hardware": hardware(),
            "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

    def finish(self) -> dict[str, Any]:
        """The record, with the end time and the wall time in seconds."""
        self.record["finished_utc"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.record["wall_time_s"] = round(time.perf_counter() - self._start, 1)
        return self.record


def _optional_versions() -> dict[str, str]:
    try:
        import torchvision
    except ImportError:  # pragma: no cover - torchvision is a dependency
        return {}
    return {"torchvision": torchvision.__version__}


def file_digest(path: os.PathLike | str, algorithm: str = "sha256") -> str:
    """The hex digest of a file's bytes (``algorithm``: any name :mod:`hashlib` knows), read in chunks."""
    import hashlib

    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
