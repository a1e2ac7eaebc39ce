"""The picture functions: the numbers behind each figure, and that the figures draw."""

import json

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from alexnet_edu.model import AlexNet, TwoTowerAlexNet, conv1_weight, layer_activations
from alexnet_edu.visualize import (
    column_test,
    colour_fraction,
    feature_map_grid,
    kernel_grid,
    kernel_mosaic,
    nearest_neighbours,
    neighbours_figure,
    normalise_kernel,
    top5_bars,
)


def test_each_kernel_is_normalised_on_its_own_to_zero_one():
    k = torch.tensor([-2.0, 0.0, 6.0]).view(3, 1, 1).expand(3, 2, 2).clone()
    out = normalise_kernel(k)
    assert out.min().item() == 0.0 and out.max().item() == 1.0
    assert out[1, 0, 0].item() == pytest.approx(0.25)  # 0 lies a quarter of the way from -2 to 6
    assert torch.equal(normalise_kernel(torch.full((3, 4, 4), 7.0)), torch.full((3, 4, 4), 0.5))
    with pytest.raises(ValueError, match="one RGB kernel"):
        normalise_kernel(torch.zeros(4, 2, 2))


def test_a_known_kernel_lands_in_its_cell_of_its_columns_block():
    weight = torch.zeros(96, 3, 11, 11)
    weight[48 + 10, 0] = 1.0  # column 2's kernel 10: pure red
    mosaic = kernel_mosaic(weight, per_row=8, pad=1, gap=4)
    cell, block = 13, 6 * 13  # 11 + 2·pad; 48 kernels / 8 per row = 6 rows
    assert mosaic.shape == (2 * block + 4, 8 * cell, 3)
    top, left = block + 4 + (10 // 8) * cell + 1, (10 % 8) * cell + 1
    patch = mosaic[top:top + 11, left:left + 11]
    assert np.all(patch[..., 0] == 1.0) and np.all(patch[..., 1:] == 0.0)
    # every other kernel is constant zero: mid-grey, and the padding is white
    assert np.all(mosaic[1:12, 1:12] == 0.5)
    assert np.all(mosaic[0, :] == 1.0)
    assert mosaic.min() >= 0.0 and mosaic.max() <= 1.0
    with pytest.raises(ValueError, match="split evenly"):
        kernel_mosaic(torch.zeros(95, 3, 11, 11))


def test_conv1_weight_is_the_same_from_both_forms_of_the_network():
    model = AlexNet(num_classes=10)
    tower = TwoTowerAlexNet.from_alexnet(model)
    assert torch.equal(conv1_weight(model), conv1_weight(tower))
    assert torch.equal(conv1_weight(tower.state_dict()), model.conv1.weight)
    with pytest.raises(ValueError, match="no conv1"):
        conv1_weight({"fc8.weight": torch.zeros(1)})


def test_colour_fraction_of_grey_single_channel_and_opponent_kernels():
    pattern = torch.randn(5, 5)
    grey = pattern.expand(3, 5, 5)
    red = torch.stack([pattern, torch.zeros(5, 5), torch.zeros(5, 5)])
    opponent = torch.stack([pattern, -pattern, torch.zeros(5, 5)])
    out = colour_fraction(torch.stack([grey, red, opponent]))
    assert out.tolist() == pytest.approx([0.0, 2 / 3, 1.0], abs=1e-6)
    # the same pattern at any scale scores the same
    assert colour_fraction(torch.stack([3 * red])).item() == pytest.approx(2 / 3, abs=1e-6)


def test_column_test_tells_split_columns_from_mixed_ones():
    rng = np.random.default_rng(1)
    values = rng.normal(0.5, 0.1, 96)
    mixed = column_test(torch.tensor(values), permutations=4000)
    split = column_test(torch.tensor(np.sort(values)), permutations=4000)   # low half, then high half
    assert split["p"] == 1 / 4001 and split["difference"] > 0.1
    assert mixed["p"] > 0.01
    assert mixed["mean"] == pytest.approx((values[:48].mean(), values[48:].mean()))
    # under relabelling the difference of two halves' means has variance σ²(2/m)·N/(N − 1), with σ²
    # the values' population variance; 4000 relabellings estimate its sd to about 1/√8000 = 1.1%
    expected = np.sqrt(values.var() * (2 / 48) * 96 / 95)
    assert mixed["null_sd"] == pytest.approx(expected, rel=0.05)
    with pytest.raises(ValueError, match="even"):
        column_test(torch.ones(5))


def test_layer_activations_have_the_papers_shapes_and_restore_the_mode():
    model = AlexNet(num_classes=10).train()
    found = layer_activations(model, torch.randn(2, 3, 227, 227), ["conv1", "lrn2", "fc7"])
    assert tuple(found["conv1"].shape) == (2, 96, 55, 55)
    assert tuple(found["lrn2"].shape) == (2, 256, 27, 27)
    assert tuple(found["fc7"].shape) == (2, 4096)
    assert model.training
    with pytest.raises(ValueError, match="no layer"):
        layer_activations(model, torch.randn(1, 3, 227, 227), ["conv9"])


def test_nearest_neighbours_in_euclidean_distance():
    bank = torch.tensor([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0], [0.9, 0.2]])
    assert nearest_neighbours(torch.tensor([[1.0, 0.1]]), bank, k=3).tolist() == [[1, 3, 0]]
    assert nearest_neighbours(bank, bank, k=1, exclude_self=True).tolist() == [[3], [3], [3], [1]]  # (5,5) is nearer (0.9,0.2)
    with pytest.raises(ValueError, match="cannot find"):
        nearest_neighbours(bank, bank, k=4, exclude_self=True)


def test_the_figures_draw():
    weight = torch.randn(96, 3, 11, 11)
    assert isinstance(kernel_grid(weight, title="conv1"), Figure)
    assert isinstance(feature_map_grid(torch.rand(40, 13, 13), count=16), Figure)
    image = np.random.default_rng(0).random((32, 32, 3))
    probs = torch.softmax(torch.randn(10), 0)
    fig = top5_bars(image, probs, [f"class {i}" for i in range(10)], true_label=int(probs.argmax()))
    labels = [t.get_text() for t in fig.axes[1].get_yticklabels()]
    assert labels[-1] == f"class {int(probs.argmax())}"  # the most probable class on top
    with pytest.raises(ValueError, match="class names"):
        top5_bars(image, probs, ["a", "b"])
    assert isinstance(neighbours_figure([(image, [image, image])], labels=[("q", ["a", "b"])]), Figure)


def test_picture_record_of_a_trained_run(tmp_path, monkeypatch):
    """A tiny two-tower run on random photos; one validation photo also sits, renamed, among the
    training photos, so it must be its own nearest neighbour in both spaces."""
    import shutil

    from PIL import Image

    from alexnet_edu import data
    from alexnet_edu.config import TrainConfig
    from alexnet_edu.records import picture_record
    from alexnet_edu.runs import list_checkpoints, load_checkpoint
    from alexnet_edu.train import train

    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    g = torch.Generator().manual_seed(0)
    root = tmp_path / "data"
    wnids = [c.wnid for c in data.IMAGENETTE_CLASSES]
    for split, n in (("train", 3), ("val", 1)):
        for c, wnid in enumerate(wnids):
            folder = root / "imagenette2-160" / split / wnid
            folder.mkdir(parents=True)
            for i in range(n):
                pixels = (torch.rand(64, 72, 3, generator=g) * 120 + c * 12).clamp(0, 255).byte().numpy()
                Image.fromarray(pixels).save(folder / f"{split}_{wnid}_{i}.JPEG", quality=95)
    twin = root / "imagenette2-160" / "train" / wnids[4] / "twin.JPEG"
    shutil.copy(root / "imagenette2-160" / "val" / wnids[4] / f"val_{wnids[4]}_0.JPEG", twin)
    cfg = TrainConfig(dataset="imagenette", model="two-tower", root=str(root), epochs=1, batch_size=10,
                      workers=0, verify=False, init="caffe")
    train(cfg, tmp_path / "run", progress=False)
    record, arrays = picture_record(tmp_path / "run", queries_per_class=1, k=3, pixel_side=8, progress=False)
    # the command writes the same record and arrays, the arrays beside the record
    from alexnet_edu import cli

    out = tmp_path / "pictures.json"
    assert cli.main(["pictures", str(tmp_path / "run"), "--out", str(out), "--queries-per-class", "1", "--k", "3",
                     "--quiet"]) == 0
    written = json.loads(out.read_text())
    assert written["arrays_file"] == "pictures.npz" and written["queries"][0]["file"] == record["queries"][0]["file"]
    with np.load(tmp_path / "pictures.npz") as saved:
        assert sorted(saved.files) == sorted(arrays)
        assert np.array_equal(saved["conv1_epoch_0001"], arrays["conv1_epoch_0001"])
    assert cli.main(["pictures", str(tmp_path / "run"), "--out", str(tmp_path / "p.npz")]) == 2  # not a .json

    assert sorted(a for a in arrays if a.startswith("conv1")) == ["conv1_epoch_0000", "conv1_epoch_0001"]
    state = load_checkpoint(list_checkpoints(tmp_path / "run")[-1])["model"]
    final = torch.cat([state["columns.0.conv1.weight"], state["columns.1.conv1.weight"]])
    assert arrays["conv1_epoch_0001"].dtype == np.float16 and arrays["conv1_epoch_0001"].shape == (96, 3, 11, 11)
    assert np.allclose(arrays["conv1_epoch_0001"], final.numpy(), atol=1e-3)
    assert record["classes"] == wnids and record["bank_images"] == 31 and record["val_images"] == 10
    assert [q["class"] for q in record["queries"]] == wnids  # one query per class
    query = next(q for q in record["queries"] if q["class"] == wnids[4])
    assert query["pixel_neighbours"][0]["file"] == "twin.JPEG" and query["fc7_neighbours"][0]["file"] == "twin.JPEG"
    for q in record["queries"]:
        assert len(q["fc7_neighbours"]) == len(q["pixel_neighbours"]) == 3
        assert all(n["file"].split("_")[1] == n["class"] for n in q["fc7_neighbours"] if n["file"] != "twin.JPEG")
        probs = [p for _, p in q["top5"]]
        assert len(probs) == 5 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    # inside the layers: 8 + 8 maps of each stage of the first query's photograph
    from alexnet_edu.records import MAP_STAGES

    assert record["maps"]["file"] == record["queries"][0]["file"]
    assert arrays["maps_conv1"].shape == (16, 55, 55) and arrays["maps_relu5"].shape == (16, 13, 13)
    assert record["maps"]["stages"]["conv2"]["channels"] == list(range(8)) + list(range(128, 136))
    for stage in MAP_STAGES:
        info = record["maps"]["stages"][stage]
        assert info["zero_fraction"] + info["positive_fraction"] <= 1.0 + 1e-12
        if stage.startswith("relu"):  # a ReLU's outputs are never negative: zero or positive
            assert info["zero_fraction"] + info["positive_fraction"] == pytest.approx(1.0)
            assert (arrays[f"maps_{stage}"] >= 0).all()
    relu1 = arrays["maps_relu1"].astype(np.float32)
    assert np.allclose(relu1, np.maximum(arrays["maps_conv1"].astype(np.float32), 0), atol=1e-3)
    share = record["neighbours_share_class"]
    assert 0 <= share["fc7"] <= 1 and 0 <= share["pixels"] <= 1
    assert share["chance"] == pytest.approx(sum((4 if c == 4 else 3) / 31 for c in range(10)) / 10)


def test_top5_bars_draws_into_the_axes_of_a_larger_figure():
    image = np.random.default_rng(1).random((32, 32, 3))
    probs = torch.softmax(torch.randn(10, generator=torch.Generator().manual_seed(1)), 0)
    names = [f"class {i}" for i in range(10)]
    big = Figure(figsize=(7.2, 4))
    axes = big.subplots(2, 2)
    for row, label in zip(axes, (0, int(probs.argmax()))):
        assert top5_bars(image, probs, names, true_label=label, axes=tuple(row)) is big
    assert len(big.axes) == 4
    tops = [[t.get_text() for t in row[1].get_yticklabels()][-1] for row in axes]
    assert tops == [f"class {int(probs.argmax())}"] * 2
    assert axes[1][0].get_title() == f"class {int(probs.argmax())}"
