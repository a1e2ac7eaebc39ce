"""The quick/full switch, seeding, and what a chapter says it reads and costs."""

import json
import re
import sys
import types
from pathlib import Path

import pytest
import torch

from alexnet_edu import data, runtime
from alexnet_edu.runtime import CHAPTER_DATA, QUICK_ENV, quick_mode, seed_everything, start_chapter

BOOK = Path(__file__).resolve().parents[1] / "book"


@pytest.mark.parametrize("value, quick", [("1", True), ("true", True), (" YES ", True), ("0", False), ("", False), ("off", False)])
def test_quick_mode_reads_the_environment(monkeypatch, value, quick):
    monkeypatch.setenv(QUICK_ENV, value)
    assert quick_mode() is quick


def test_quick_mode_unset_is_full_mode(monkeypatch):
    monkeypatch.delenv(QUICK_ENV, raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert quick_mode() is False


def test_in_colab_quick_mode_is_the_default_and_full_mode_can_be_asked_for(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.delenv(QUICK_ENV, raising=False)
    assert quick_mode() is True
    monkeypatch.setenv(QUICK_ENV, "0")
    assert quick_mode() is False


def test_every_chapter_lists_exactly_the_datasets_its_code_reads():
    chapters = sorted(BOOK.glob("*.ipynb"))
    assert sorted(CHAPTER_DATA) == [c.stem for c in chapters]
    for chapter in chapters:
        cells = json.loads(chapter.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        reads = set(re.findall(r"load_dataset\(\s*\"(\w+)\"", code))
        reads |= {"cifar10"} if "load_cifar_tensors(" in code else set()
        reads |= {"imagenette"} if re.search(r"TrainConfig\(dataset=\"imagenette\"|load_dataset\(cfg\[", code) else set()
        assert reads == set(CHAPTER_DATA[chapter.stem]), chapter.name


def test_a_chapter_says_what_it_reads_and_how_long_it_takes(monkeypatch):
    text = runtime.describe_chapter("23_lrn", quick=True)
    assert "Data: Imagenette (imagenette2-320.tgz, 342 MB to download if no copy is found)" in text
    assert "and CIFAR-10 (cifar-10-python.tar.gz, 170 MB to download if no copy is found)." in text
    assert "ALEXNET_EDU_QUICK=0 first for full mode" in text and text.startswith("Quick mode")
    assert max(len(line) for line in text.splitlines()) <= 88  # fits the book's column
    costs = runtime.chapter_costs("23_lrn")
    assert costs["quick_cpu_s"] is not None and costs["full_cpu_s"] is not None  # measured, in the record
    assert f"quick mode {runtime.duration(costs['quick_cpu_s'])}" in text
    assert "Data: none" in runtime.describe_chapter("21_shape_arithmetic", quick=False)
    assert "GPU runtime: not measured yet" in text
    with pytest.raises(ValueError, match="unknown chapter"):
        runtime.describe_chapter("99_nothing", quick=True)


@pytest.mark.parametrize("seconds, shown", [(None, "not measured"), (44.6, "45 s"), (130, "2 min"), (4000, "1 h 7 min")])
def test_durations_are_said_as_a_reader_would(seconds, shown):
    assert runtime.duration(seconds) == shown


def test_start_chapter_fetches_each_dataset_it_reads_and_seeds(monkeypatch, capsys):
    asked = []
    layouts = {"imagenette": data.LAYOUTS["imagenette"][1], "cifar10": data.LAYOUTS["cifar10"][0]}
    monkeypatch.setattr(data, "ensure", lambda name: asked.append(name) or (Path("/x") / name, layouts[name]))
    monkeypatch.setenv(QUICK_ENV, "1")
    torch.manual_seed(123)
    assert start_chapter("41_ten_crop") is True
    assert asked == ["imagenette", "cifar10"]
    out = capsys.readouterr().out
    assert "Imagenette: official archive imagenette2-320.tgz" in out and "/x" not in out  # no machine paths
    first = torch.rand(3)
    seed_everything(0)
    assert torch.equal(first, torch.rand(3))  # seeded with 0, whatever came before


def test_quick_mode_rejects_values_it_does_not_understand(monkeypatch):
    monkeypatch.setenv(QUICK_ENV, "fast")
    with pytest.raises(ValueError, match="set it to 1 for quick mode"):
        quick_mode()


def test_seed_everything_makes_torch_repeatable():
    seed_everything(3)
    a = torch.rand(4)
    seed_everything(3)
    assert torch.equal(a, torch.rand(4))
