"""The small CIFAR-10 experiments and their provenance records, on tiny fabricated data."""

import json

import pytest
import torch

from alexnet_edu import experiments
from alexnet_edu import model as networks
from alexnet_edu.cli import main as cli_main
from alexnet_edu.provenance import Provenance
from alexnet_edu.runs import write_json_atomic


def _separable(n=256, seed=0):
    """Images whose class is written in their mean colour: a network must learn it quickly."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    images = torch.randint(0, 60, (n, 3, 32, 32), generator=g, dtype=torch.uint8)
    images[labels == 1] += 150
    return images, labels


def test_small_net_shapes_and_pooling_schemes_have_equal_size():
    sizes = set()
    for config in experiments.ABLATIONS["pooling"] + experiments.ABLATIONS["lrn"]:
        net = networks.SmallConvNet(config)
        assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
        sizes.add(sum(p.numel() for p in net.parameters()))
    assert len(sizes) == 1  # overlapping pooling and LRN add no parameters
    with pytest.raises(ValueError, match="'relu' or 'tanh'"):
        networks.SmallNetConfig(activation="sigmoid")


def test_training_reaches_a_target_and_stops_there():
    run = experiments.train_small(networks.SmallNetConfig(), _separable(), _separable(64, 1),
                                  lr=0.01, max_epochs=10, target_error=0.1, progress=False)
    assert run["epochs_to_target"] is not None and run["epochs_to_target"] < 10
    assert run["ticks"][-1]["train_error"] <= 0.1 and run["ticks"][-1]["epoch"] == run["epochs_to_target"]
    assert all(a["epoch"] < b["epoch"] for a, b in zip(run["ticks"], run["ticks"][1:]))
    # 256 images = 2 batches an epoch: a tick per batch, never a tick across an epoch boundary
    assert [t["epoch"] for t in run["ticks"][:4]] == [0.5, 1.0, 1.5, 2.0][: len(run["ticks"][:4])]
    assert 0 <= run["epochs"][-1]["test_error"] <= 1


def test_unreached_target_is_none_and_budget_is_respected():
    run = experiments.train_small(networks.SmallNetConfig("tanh"), _separable(), lr=1e-6, max_epochs=0.5,
                                  target_error=0.0, progress=False)
    assert run["epochs_to_target"] is None
    assert run["ticks"][-1]["epoch"] == pytest.approx(0.5)


def test_a_diverging_run_stops_with_advice():
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        experiments.train_small(networks.SmallNetConfig(), _separable(), lr=1e6, max_epochs=2, progress=False)


def test_figure1_picks_the_fastest_rate_and_prunes_slower_runs():
    result = experiments.figure1(_separable(), lrs=[0.01, 1e-7], max_epochs=12, target_error=0.1, progress=False)
    assert result["best"]["relu"]["lr"] == 0.01 and result["best"]["tanh"]["lr"] == 0.01
    slow = [r for r in result["runs"] if r["lr"] == 1e-7]
    for run in slow:  # stopped once it could no longer win
        best = result["best"][run["config"]["activation"]]["epochs_to_target"]
        assert run["epochs_to_target"] is None and run["ticks"][-1]["epoch"] <= best + 1e-9
    expected = result["best"]["tanh"]["epochs_to_target"] / result["best"]["relu"]["epochs_to_target"]
    assert result["speedup_relu_over_tanh"] == pytest.approx(expected)


def test_write_json_atomic_never_leaves_a_partial_file(tmp_path):
    path = tmp_path / "r.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"a": object()})  # not serialisable: fails half-way
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_provenance_names_the_command_and_times_the_run():
    record = Provenance(["/x/alexnet_edu/__main__.py", "figure1", "--out", "a b.json"]).finish()
    assert record["command"] == "python -m alexnet_edu figure1 --out 'a b.json'"
    assert record["wall_time_s"] >= 0 and record["libraries"]["torch"] == torch.__version__
    assert record["hardware"]["cpu_count"] >= 1


def test_cli_writes_a_record_with_provenance(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "load_cifar_tensors", lambda split, root=None, limit=None: _separable(128))
    monkeypatch.setattr("alexnet_edu.cli._data_record", lambda root, train, test=None: {"dataset": "fabricated"})
    out = tmp_path / "ablation.json"
    assert cli_main(["ablation", "lrn", "--out", str(out), "--epochs", "1", "--seeds", "0"]) == 0
    record = json.loads(out.read_text())
    assert record["experiment"] == "ablation-lrn" and len(record["runs"]) == 2
    assert [r["config"]["lrn"] for r in record["runs"]] == [False, True]
    assert "ablation lrn" in record["provenance"]["command"]


def test_an_interrupted_sweep_keeps_its_finished_runs_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "load_cifar_tensors", lambda split, root=None, limit=None: _separable(128))
    monkeypatch.setattr("alexnet_edu.cli._data_record", lambda root, train, test=None: {"dataset": "fabricated"})
    real_train, calls = experiments.train_small, []

    def flaky(config, *args, **kwargs):
        calls.append((config, kwargs["seed"]))
        if len(calls) == 3:
            raise KeyboardInterrupt  # the user stops the run during the third training
        return real_train(config, *args, **kwargs)

    monkeypatch.setattr(experiments, "train_small", flaky)
    out = tmp_path / "pool.json"
    argv = ["ablation", "pooling", "--out", str(out), "--epochs", "0.5", "--seeds", "0,1"]
    with pytest.raises(KeyboardInterrupt):
        cli_main(argv)
    partial = json.loads(out.read_text())
    assert partial["complete"] is False and len(partial["runs"]) == 2
    calls.clear()
    assert cli_main(argv) == 0
    record = json.loads(out.read_text())
    assert record["complete"] is True and len(record["runs"]) == 4
    assert [seed for _, seed in calls] == [1, 1]  # only seed 1's two runs were trained again
    assert record["runs"][:2] == partial["runs"]
    assert all("git_commit" in run for run in record["runs"])
    prov = record["provenance"]
    assert prov["wall_time_all_sessions_s"] >= prov["wall_time_s"] + partial["provenance"]["wall_time_s"] - 0.2


def test_ticks_are_equal_tenths_of_an_epoch():
    images, labels = _separable(128 * 25)  # 25 batches: tenths end after batches 3, 5, 8, 10, ...
    run = experiments.train_small(networks.SmallNetConfig(), (images, labels), lr=1e-4, max_epochs=2,
                                  progress=False)
    epochs = [t["epoch"] for t in run["ticks"]]
    assert len(epochs) == 20 and epochs[9] == 1.0 and epochs[-1] == 2.0
    widths = [round((b - a) * 25) for a, b in zip([0.0] + epochs, epochs)]
    assert set(widths) == {2, 3}


def test_records_are_readable_by_others(tmp_path):
    import os
    import stat

    path = write_json_atomic(tmp_path / "r.json", {"a": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_diverging_rate_is_recorded_and_the_sweep_goes_on():
    result = experiments.figure1(_separable(), lrs=[1e6, 0.01], max_epochs=12, target_error=0.1, progress=False)
    diverged = [r for r in result["runs"] if r["lr"] == 1e6 and r["config"]["activation"] == "relu"]
    assert len(diverged) == 1 and "lower the learning rate" in diverged[0]["diverged"]
    assert result["best"]["relu"]["lr"] == 0.01


def test_a_finished_sweep_given_more_rates_trains_only_the_new_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "load_cifar_tensors", lambda split, root=None, limit=None: _separable(128))
    monkeypatch.setattr("alexnet_edu.cli._data_record", lambda root, train, test=None: {"dataset": "fabricated"})
    real_train, calls = experiments.train_small, []

    def counted(config, *args, **kwargs):
        calls.append((config.activation, kwargs["lr"]))
        return real_train(config, *args, **kwargs)

    monkeypatch.setattr(experiments, "train_small", counted)
    out = tmp_path / "figure1.json"
    common = ["figure1", "--out", str(out), "--max-epochs", "4", "--target", "0.2"]
    assert cli_main(common + ["--lrs", "0.01"]) == 0
    first = json.loads(out.read_text())
    assert first["complete"] and len(calls) == 2
    calls.clear()
    assert cli_main(common + ["--lrs", "0.01,0.003"]) == 0
    record = json.loads(out.read_text())
    assert calls == [("relu", 0.003), ("tanh", 0.003)]  # the finished 0.01 runs were reused
    assert record["complete"] and record["settings"]["lrs"] == [0.01, 0.003] and len(record["runs"]) == 4
    assert [r for r in record["runs"] if r["lr"] == 0.01] == first["runs"]
    calls.clear()

    def interrupted(config, *args, **kwargs):
        calls.append((config.activation, kwargs["lr"]))
        raise KeyboardInterrupt  # stopped while training the first new rate, before the old tanh runs

    monkeypatch.setattr(experiments, "train_small", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cli_main(common + ["--lrs", "0.01,0.003,0.001"])
    partial = json.loads(out.read_text())
    kept = partial["runs"] + partial["pending_runs"]
    assert sorted((r["config"]["activation"], r["lr"]) for r in kept) == sorted(
        (r["config"]["activation"], r["lr"]) for r in record["runs"])  # no finished run was lost
    monkeypatch.setattr(experiments, "train_small", counted)
    calls.clear()
    assert cli_main(common + ["--lrs", "0.01,0.003,0.001"]) == 0
    assert calls == [("relu", 0.001), ("tanh", 0.001)]
    final = json.loads(out.read_text())
    assert "pending_runs" not in final and len(final["runs"]) == 6
    calls.clear()
    assert cli_main(common + ["--lrs", "0.003"]) == 0  # not an extension: the sweep starts again
    assert calls == [("relu", 0.003), ("tanh", 0.003)]
    assert json.loads(out.read_text())["settings"]["lrs"] == [0.003]


def test_the_dropout_pair_differs_only_in_dropout():
    plain, dropped = experiments.ABLATIONS["dropout"]
    nets = [networks.SmallConvNet(c) for c in (plain, dropped)]
    assert sum(p.numel() for p in nets[0].parameters()) == sum(p.numel() for p in nets[1].parameters())
    drops = [m.p for m in nets[1].modules() if isinstance(m, torch.nn.Dropout)]
    assert drops == [0.5, 0.5]  # on the outputs of the two hidden layers, as on fc6 and fc7
    x = torch.randn(4, 3, 32, 32)
    nets[1].load_state_dict(nets[0].state_dict())
    nets[0].eval(), nets[1].eval()
    torch.testing.assert_close(nets[0](x), nets[1](x))  # inverted dropout: nothing to rescale at test time
    with pytest.raises(ValueError, match="hidden"):
        networks.SmallNetConfig(dropout=0.5)


def test_ablation_records_training_error_in_eval_mode_beside_test_error():
    run = experiments.train_small(networks.SmallNetConfig(hidden=16, dropout=0.5), _separable(), _separable(64, 1),
                                  lr=0.01, max_epochs=2, progress=False)
    assert len(run["epochs"]) == 2 and all(0 <= e["train_error_eval"] <= 1 for e in run["epochs"])


def test_random_crops_are_patches_of_their_own_image_and_sometimes_reflected():
    g = torch.Generator().manual_seed(0)
    images = torch.rand(64, 3, 8, 8)
    crops = experiments.random_crops(images, 5, g)
    assert crops.shape == (64, 3, 5, 5)
    flipped = 0
    for img, crop in zip(images, crops):
        found = [(y, x, f) for y in range(4) for x in range(4) for f in (False, True)
                 if torch.equal((img[:, y:y + 5, x:x + 5].flip(-1) if f else img[:, y:y + 5, x:x + 5]), crop)]
        assert len(found) == 1
        flipped += found[0][2]
    assert 16 < flipped < 48


def test_multiview_compares_the_centre_with_ten_patches(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "load_cifar_tensors", lambda split, root=None, limit=None: _separable(128))
    monkeypatch.setattr("alexnet_edu.cli._data_record", lambda root, train, test=None: {"dataset": "fabricated"})
    out = tmp_path / "ten.json"
    assert cli_main(["tencrop", "--out", str(out), "--epochs", "1", "--seeds", "0", "--lr", "0.01"]) == 0
    (run,) = json.loads(out.read_text())["runs"]
    assert run["config"]["crop"] == 28 and len(run["test"]["views"]["top1"]) == 10
    assert run["test"]["centre"]["top1"] == run["test"]["views"]["top1"][4]
    assert all(0 <= e <= 1 for e in run["test"]["views"]["top1"] + [run["test"]["ten"]["top1"]])


def test_view_errors_average_the_softmax_of_the_ten_patches():
    from alexnet_edu import metrics, transforms

    torch.manual_seed(0)
    model = networks.SmallConvNet(networks.SmallNetConfig(crop=28)).eval()
    images, labels = _separable(40)
    mean = images.float().mean(0)
    result = experiments.view_errors(model, (images, labels), mean, 28)
    patches = transforms.ten_crop(experiments.preprocess(images, mean), 28)
    with torch.no_grad():
        probs = metrics.ten_crop_predict(model, patches)
        centre = model(patches[:, 4])
    assert result["ten"]["top1"] == pytest.approx(metrics.topk_error(probs, labels, 1))
    assert result["centre"]["top1"] == pytest.approx(metrics.topk_error(centre, labels, 1))


def test_an_ablation_given_another_seed_trains_only_that_seed(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments, "load_cifar_tensors", lambda split, root=None, limit=None: _separable(128))
    monkeypatch.setattr("alexnet_edu.cli._data_record", lambda root, train, test=None: {"dataset": "fabricated"})
    real_train, seeds = experiments.train_small, []
    monkeypatch.setattr(experiments, "train_small",
                        lambda config, *a, **k: seeds.append(k["seed"]) or real_train(config, *a, **k))
    out = tmp_path / "drop.json"
    common = ["ablation", "dropout", "--out", str(out), "--epochs", "0.5"]
    assert cli_main(common + ["--seeds", "0"]) == 0 and seeds == [0, 0]
    first = json.loads(out.read_text())["runs"]
    assert cli_main(common + ["--seeds", "0,1"]) == 0 and seeds == [0, 0, 1, 1]
    record = json.loads(out.read_text())
    assert record["complete"] and record["runs"][:2] == first and record["settings"]["seeds"] == [0, 1]


def test_ensemble_errors_average_the_softmax_over_every_choice_of_networks():
    from alexnet_edu.experiments import ensemble_errors

    labels = torch.tensor([0, 1, 2])
    # each network is sure and right on two images, and leans to a wrong class on the third
    a = torch.tensor([[0.9, 0.1, 0.0], [0.0, 0.9, 0.1], [0.0, 0.6, 0.4]])  # wrong on image 2
    b = torch.tensor([[0.4, 0.6, 0.0], [0.0, 0.9, 0.1], [0.0, 0.1, 0.9]])  # wrong on image 0
    c = torch.tensor([[0.9, 0.0, 0.1], [0.6, 0.4, 0.0], [0.0, 0.1, 0.9]])  # wrong on image 1
    rows = ensemble_errors([a, b, c], labels, ks=(1, 2))
    assert [r["members"] for r in rows] == [1, 2, 3] and [r["subsets"] for r in rows] == [3, 3, 1]
    assert rows[0]["top1"] == {"mean": pytest.approx(1 / 3), "min": 1 / 3, "max": 1 / 3, "first": 1 / 3}
    # any two average out each other's mistake: (a+b)/2 on image 2 is 0.35 vs 0.65, right; and so on
    assert rows[1]["top1"]["max"] == 0.0 and rows[2]["top1"]["first"] == 0.0
    assert rows[0]["top2"]["mean"] == 0.0  # the right class is always second at worst


def test_ensemble_trains_one_network_per_seed_and_resumes_from_the_stored_softmax(tmp_path, monkeypatch):
    from alexnet_edu import experiments

    g = torch.Generator().manual_seed(0)
    train = (torch.randint(0, 256, (256, 3, 32, 32), generator=g, dtype=torch.uint8), torch.arange(256) % 10)
    test = (torch.randint(0, 256, (100, 3, 32, 32), generator=g, dtype=torch.uint8), torch.arange(100) % 10)
    result = experiments.ensemble(train, test, lr=0.01, epochs=0.5, seeds=[0, 1], store=tmp_path, progress=False)
    assert [r["seed"] for r in result["runs"]] == [0, 1] and len(list(tmp_path.glob("ensemble-*.pt"))) == 2
    one = [r["test"]["top1"]["mean"] for r in result["runs"]]
    assert result["ensembles"][0]["top1"]["mean"] == pytest.approx(sum(one) / 2)

    def no_training(*args, **kwargs):
        raise AssertionError("a finished seed was trained again")

    monkeypatch.setattr(experiments, "train_small", no_training)
    again = experiments.ensemble(train, test, lr=0.01, epochs=0.5, seeds=[0, 1], store=tmp_path, progress=False,
                                 previous=result["runs"])
    assert again["ensembles"] == result["ensembles"]


def test_the_papers_cifar_network_follows_cuda_convnets_files():
    """layers-conv-local-11pct.cfg: conv 64@5×5 → pool 3/2 → rnorm → conv 64@5×5 → rnorm → pool 3/2 →
    local 64@3×3 → local 32@3×3 → fc10, on 24×24 crops; 13pct has no rnorm layers."""
    from alexnet_edu.model import ConvLocalNet, SmallNetConfig, build_small
    from alexnet_edu.layers import LocalResponseNorm

    torch.manual_seed(0)
    net = build_small(SmallNetConfig(network="conv-local", crop=24, lrn=True))
    assert isinstance(net, ConvLocalNet) and isinstance(net.rnorm1, LocalResponseNorm)
    assert (net.rnorm1.size, net.rnorm1.alpha, net.rnorm1.k, net.rnorm1.convention) == (9, 1e-3, 1.0, "cuda-convnet")
    shapes = {}
    for name in ("pool1", "rnorm2", "pool2", "local3", "local4"):
        getattr(net, name).register_forward_hook(lambda m, i, o, name=name: shapes.__setitem__(name, tuple(o.shape[1:])))
    assert net(torch.zeros(2, 3, 24, 24)).shape == (2, 10)
    assert shapes == {"pool1": (64, 12, 12), "rnorm2": (64, 12, 12), "pool2": (64, 6, 6), "local3": (64, 6, 6),
                      "local4": (32, 6, 6)}
    stds = [getattr(net, n).weight.std().item() for n in ("conv1", "conv2", "local3", "local4", "fc10")]
    assert [round(s / e, 1) for s, e in zip(stds, (1e-4, 0.01, 0.04, 0.04, 0.01))] == [1.0] * 5  # the files' initW
    without = build_small(SmallNetConfig(network="conv-local", crop=24))
    assert isinstance(without.rnorm1, torch.nn.Identity)
    assert sum(p.numel() for p in net.parameters()) == sum(p.numel() for p in without.parameters())
    with pytest.raises(ValueError, match="fixed by its files"):
        SmallNetConfig(network="conv-local", crop=28)


def test_the_lrn_reading_ablation_differs_only_in_how_alpha_is_read():
    """'lrn-reading' compares §3.3's formula (α on the plain sum) with the code's (α/n): same weights,
    same k, n, β; on a unit with neighbours the code's reading divides it by less."""
    from alexnet_edu.layers import LocalResponseNorm

    paper, code = experiments.ABLATIONS["lrn-reading"]
    assert (paper.lrn, code.lrn) == (True, True) and (paper.lrn_convention, code.lrn_convention) == (
        "paper", "cuda-convnet2")
    nets = []
    for config in (paper, code):
        torch.manual_seed(0)
        nets.append(networks.SmallConvNet(config))
    norms = [[m for m in net.modules() if isinstance(m, LocalResponseNorm)] for net in nets]
    assert [len(n) for n in norms] == [2, 2]
    assert [m.convention for m in norms[1]] == ["cuda-convnet2"] * 2
    for a, b in zip(nets[0].state_dict().values(), nets[1].state_dict().values()):
        assert torch.equal(a, b)
    # one channel of 100 with four neighbours of 100 (0–255 scale): Σa² = 5e4 over the window of 5
    x = torch.full((1, 5, 1, 1), 100.0)
    expected = {"paper": 100 / (2 + 1e-4 * 5e4) ** 0.75, "cuda-convnet2": 100 / (2 + 1e-4 / 5 * 5e4) ** 0.75}
    for m in (norms[0][0], norms[1][0]):
        assert m(x)[0, 2, 0, 0].item() == pytest.approx(expected[m.convention], rel=1e-6)
    with pytest.raises(ValueError, match="unknown LRN convention"):
        networks.SmallNetConfig(lrn=True, lrn_convention="paper-ish")
    with pytest.raises(ValueError, match="fixed by its files"):
        networks.SmallNetConfig(network="conv-local", crop=24, lrn=True, lrn_convention="cuda-convnet2")
