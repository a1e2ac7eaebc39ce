"""The quick/full switch, seeding, and the exercise checkers (right answers pass, wrong ones fail)."""

import json
import re
import sys
import types
from pathlib import Path

import pytest
import torch

from alexnet_edu import data, exercises, runtime
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


def test_conv1_inputs_checker(capsys):
    assert exercises.check_conv1_inputs({227, 228, 229, 230})
    assert not exercises.check_conv1_inputs({227})
    assert "3 size(s) are missing" in capsys.readouterr().out
    assert not exercises.check_conv1_inputs({224, 227, 228, 229, 230})
    assert "224 gives 54" in capsys.readouterr().out
    assert not exercises.check_conv1_inputs("not numbers")


def test_pool5_checker(capsys):
    assert exercises.check_pool5_shape(227, (256, 6, 6))
    assert exercises.check_pool5_shape(224, (256, 5, 5))
    assert not exercises.check_pool5_shape(224, (256, 6, 6))
    assert not exercises.check_pool5_shape(227, (384, 6, 6))
    assert "channels" in capsys.readouterr().out


def test_smallest_input_checker(capsys):
    assert exercises.check_smallest_input(67)
    assert not exercises.check_smallest_input(66)
    assert "too small" in capsys.readouterr().out
    assert not exercises.check_smallest_input(68)


def test_pool5_checker_on_an_input_too_small(capsys):
    assert not exercises.check_pool5_shape(50, (256, 1, 1))
    assert "too small" in capsys.readouterr().out


def test_architecture_checkers(capsys):
    assert exercises.check_layer_params("conv2", 5 * 5 * 48 * 256 + 256)
    assert not exercises.check_layer_params("conv2", 5 * 5 * 96 * 256 + 256)
    assert "grouped" in capsys.readouterr().out
    assert not exercises.check_layer_params("fc6", 9216 * 4096)
    assert "bias" in capsys.readouterr().out
    assert not exercises.check_layer_params("pool1", 0)
    assert exercises.check_layer_macs("conv1", 55 * 55 * 96 * 11 * 11 * 3)
    assert not exercises.check_layer_macs("conv1", 55 * 55 * 96 * (11 * 11 * 3 + 1))
    # 256×13×13 maps into conv3, then 9216, 4096 and 4096 features into fc6, fc7, fc8
    assert exercises.check_column_exchange(256 * 13 * 13 + 9216 + 4096 + 4096)
    assert not exercises.check_column_exchange((256 * 13 * 13 + 9216 + 4096 + 4096) // 2)
    assert "one direction" in capsys.readouterr().out


def test_relu_checkers(capsys):
    import math

    assert exercises.check_tanh_derivative(1.0, 1 - math.tanh(1.0) ** 2)
    assert not exercises.check_tanh_derivative(1.0, math.tanh(1.0))
    assert exercises.check_relu_active_fraction(0.0, 1.0, 0.5)
    assert not exercises.check_relu_active_fraction(1.0, 1.0, 0.5)
    assert "zero mean" in capsys.readouterr().out
    slopes = [1 - math.tanh(z) ** 2 for z in (0.5, 2.0)]
    assert exercises.check_tanh_chain_derivative([0.5, 2.0], slopes[0] * slopes[1])
    assert not exercises.check_tanh_chain_derivative([0.5, 2.0], sum(slopes))


def test_lrn_checkers(capsys):
    assert exercises.check_lrn_alpha(1e-4, 5, "paper", 5e-4, "pytorch")
    assert not exercises.check_lrn_alpha(1e-4, 5, "paper", 1e-4, "pytorch")
    a = [10.0, 200.0, 30.0]
    truth = 200.0 / (2 + 1e-4 * (100 + 40000 + 900)) ** 0.75  # channel 1 sees channels 0..2
    assert exercises.check_lrn_response(a, 1, truth)
    assert not exercises.check_lrn_response(a, 1, 200.0 / (2 + 1e-4 / 5 * 41000) ** 0.75)
    assert "divided α by n" in capsys.readouterr().out


def test_pooling_checkers():
    assert exercises.check_pool_coverage(7, 3, 2, 2, 2)  # windows start at 0, 2, 4: pixel 2 is in two
    assert not exercises.check_pool_coverage(7, 3, 2, 1, 2)
    assert exercises.check_equal_pool_sizes({11, 13, 15, 17, 19})
    assert not exercises.check_equal_pool_sizes({12, 14})
    assert exercises.check_pool_receptive_field(2, 7)  # 3 + 2·2
    assert not exercises.check_pool_receptive_field(2, 9)
