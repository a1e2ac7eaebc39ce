"""The run directory's files: the one atomic write, metrics files, conv1 snapshots, checkpoint names."""

import csv
import json

import numpy as np
import pytest
import torch

from alexnet_edu.runs import (checkpoint_name, checkpoint_position, conv1_snapshots, save_conv1, write_atomic,
                              write_metrics)


def test_write_atomic_writes_bytes_text_or_a_writer_and_keeps_the_old_file_when_anything_fails(tmp_path):
    path = tmp_path / "sub" / "a.bin"
    write_atomic(path, b"old")
    assert path.read_bytes() == b"old"

    def half_then_fail(f):
        f.write(b"half")
        raise RuntimeError("the disk is full")

    with pytest.raises(RuntimeError, match="disk is full"):
        write_atomic(path, half_then_fail)
    with pytest.raises(RuntimeError, match="checksum"):
        write_atomic(path, b"new", before_rename=lambda tmp: (_ for _ in ()).throw(RuntimeError("checksum")))
    assert path.read_bytes() == b"old" and [p.name for p in path.parent.iterdir()] == ["a.bin"]  # no stray .tmp
    seen = []
    write_atomic(path, "néw", before_rename=lambda tmp: seen.append(tmp.read_bytes()))
    assert path.read_bytes() == "néw".encode() == seen[0]  # the check saw the complete file, before the rename
    write_atomic(path, lambda f: np.save(f, np.arange(3)))
    assert np.load(path).tolist() == [0, 1, 2]


def test_metrics_files_hold_every_row_and_the_csv_only_single_numbers(tmp_path):
    history = [{"epoch": 1, "lr": 0.01, "step_losses": [2.3, 2.2]}, {"epoch": 2, "lr": 0.001, "step_losses": [2.1]}]
    write_metrics(tmp_path, history)
    assert [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()] == history
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert rows == [{"epoch": "1", "lr": "0.01"}, {"epoch": "2", "lr": "0.001"}]


def test_conv1_snapshots_and_checkpoint_names_round_trip(tmp_path):
    weight = torch.randn(4, 3, 2, 2, dtype=torch.float64)
    save_conv1(tmp_path, 7, weight)
    assert list(conv1_snapshots(tmp_path)) == [7]
    assert np.array_equal(np.load(conv1_snapshots(tmp_path)[7]), weight.float().numpy())
    assert checkpoint_position(checkpoint_name(12, 345)) == (12, 345)
    with pytest.raises(ValueError, match="not named like a checkpoint"):
        checkpoint_position("model.pt")
