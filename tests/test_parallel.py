"""Two GPUs as in 2012 and data parallelism with torchrun, tested on this machine's CPU.

The two columns of the two-tower network run on two CPU *device names* (PyTorch has one CPU device,
so no bytes move, but every transfer the columns make is counted and the code path is the one two
GPUs take); with a GPU the columns also run on (cuda:0, cpu), a real transfer. Data parallelism runs
two real processes with the gloo backend. The end-to-end tests build a miniature ILSVRC-2012 tree
(train/<wnid>/, val/<wnid>/) of random JPEGs and go through the command line.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from alexnet_edu import data
from alexnet_edu.model import AlexNet, TwoTowerAlexNet
from alexnet_edu.optim import PaperSGD
from alexnet_edu.parallel import (
    EVERY_LAYER_CROSSES,
    Distributed,
    DistributedSetupError,
    days_for,
    exchange_bytes,
    init_distributed,
    saved_activation_bytes,
    shard_batches,
)
from alexnet_edu.config import RECIPES, TrainConfig, recipe
from alexnet_edu.runs import list_checkpoints, load_checkpoint

WNIDS = ["n01440764", "n02102040", "n02979186"]  # three ImageNet classes


def _ilsvrc_tree(root: Path, train: int = 8, val: int = 2, side: int = 48) -> Path:
    """A miniature ILSVRC-2012 tree: imagenet/train/<wnid>/*.JPEG and imagenet/val/<wnid>/*.JPEG."""
    g = torch.Generator().manual_seed(0)
    for split, n in (("train", train), ("val", val)):
        for c, wnid in enumerate(WNIDS):
            folder = root / "imagenet" / split / wnid
            folder.mkdir(parents=True)
            for i in range(n):
                pixels = (torch.rand(side, side + 8, 3, generator=g) * 100 + c * 60).clamp(0, 255).byte().numpy()
                name = f"{wnid}_{i}.JPEG" if split == "train" else f"ILSVRC2012_val_{c * n + i + 1:08d}.JPEG"
                Image.fromarray(pixels).save(folder / name, quality=90)
    return root


def _run(args, cache: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, data.CACHE_ENV: str(cache), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=timeout)


def _torchrun(nproc: int, args, cache: Path) -> subprocess.CompletedProcess:
    return _run(["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
                 "-m", "alexnet_edu", "train", *args, "--distributed", "--quiet"], cache)


def _weights(run_dir: Path) -> dict:
    return load_checkpoint(list_checkpoints(run_dir)[-1])["model"]


# --- what crosses between the columns ----------------------------------------------------------


def test_exchange_bytes_are_the_inputs_of_the_layers_that_read_both_columns():
    # by hand from §3.5's shapes, float32: conv3 reads 256 maps of 13×13; fc6 reads 256·6·6; fc7 and
    # fc8 read 4096; half of fc8's 1000 outputs come back to the first GPU
    assert exchange_bytes() == {"conv3": 256 * 13 * 13 * 4, "fc6": 9216 * 4, "fc7": 4096 * 4, "fc8": 4096 * 4,
                                "logits": 500 * 4}
    every = exchange_bytes(EVERY_LAYER_CROSSES, batch=128)
    assert every["conv2"] == 96 * 27 * 27 * 4 * 128  # pool1's maps
    assert every["conv4"] == every["conv5"] == 384 * 13 * 13 * 4 * 128
    assert sum(every.values()) > 4 * sum(exchange_bytes(batch=128).values())
    with pytest.raises(ValueError, match="cannot read the other column"):
        exchange_bytes(("conv1",))
    with pytest.raises(ValueError, match="cannot read the other column"):
        exchange_bytes(("pool5",))


@pytest.mark.parametrize("num_classes", [1000, 7])
def test_the_two_tower_network_counts_exactly_the_bytes_the_shapes_predict(num_classes):
    tower = TwoTowerAlexNet(num_classes=num_classes, devices=("cpu:0", "cpu:1")).eval()
    with torch.no_grad():
        tower(torch.zeros(3, 3, 227, 227))
    assert tower.traffic == exchange_bytes(batch=3, num_classes=num_classes)
    tower.reset_traffic()
    assert tower.traffic == {}


def test_saved_activation_bytes_counts_activations_once_and_no_parameters():
    model = nn.Sequential(nn.Linear(10, 20), nn.ReLU())
    # Linear keeps its input (4×10) for the weight gradient, ReLU its output (4×20); the weight is a parameter
    assert saved_activation_bytes(model, torch.randn(4, 10)) == (4 * 10 + 4 * 20) * 4
    alexnet = AlexNet(num_classes=10)
    one, two = (saved_activation_bytes(alexnet, torch.randn(b, 3, 227, 227)) for b in (1, 2))
    assert two == 2 * one  # activations grow with the batch, exactly
    assert alexnet.training  # the mode is put back


def test_days_for_the_papers_throughput():
    # 90 epochs of 1,281,167 images in 5.5 days is 242.6 images/s
    assert days_for(242.6) == pytest.approx(5.5, rel=1e-3)
    with pytest.raises(ValueError, match="positive"):
        days_for(0)


# --- the two-tower network on two devices -------------------------------------------------------


def _train_steps(model: nn.Module, batches, device) -> None:
    opt = PaperSGD(model.parameters(), lr=0.01)
    for x, y in batches:
        opt.zero_grad()
        F.cross_entropy(model(x.to(device)), y.to(device)).backward()
        opt.step()


def _largest_relative_difference(a: dict, b: dict) -> float:
    """max over tensors of max|a - b| / max|a|: how far apart two sets of weights are, on each tensor's scale."""
    return max(((a[k] - b[k]).abs().max() / a[k].abs().max()).item() for k in a)


# Why float64 and 1e-10. The two sides of each equivalence below compute the same sums in another order
# (a grouped convolution against two convolutions; one process's batch against two processes' shares and
# an all-reduce), so they differ only by rounding. In float64 one rounding is 1.1e-16 of a value, and a few
# training steps of a network this size grow that to about 1e-14 at most, far below 1e-10; a real fault (a
# column that reads the wrong maps, a share of the batch lost or counted twice, a per-process mean) changes
# the weights by a sizeable part of what training changed them, far above it. In float32 the rounding alone
# is about 1e-7 per operation and what it grows to depends on the CPU's order of summation: no tolerance
# there can tell a fault from a machine.
EXACT = 1e-10


def _two_tower_training_equals_alexnet_training(devices):
    torch.manual_seed(0)
    whole = AlexNet(num_classes=10, dropout=0.0).double()
    start = {k: v.clone() for k, v in whole.state_dict().items()}
    tower = TwoTowerAlexNet.from_alexnet(whole, devices=devices)
    g = torch.Generator().manual_seed(1)
    batches = [(torch.randn(4, 3, 227, 227, generator=g, dtype=torch.float64), torch.randint(0, 10, (4,), generator=g))
               for _ in range(3)]
    _train_steps(whole, batches, "cpu")
    _train_steps(tower, batches, devices[0])
    trained = {k: v.cpu() for k, v in tower.to_alexnet().state_dict().items()}
    assert trained["conv1.weight"].dtype == torch.float64
    assert _largest_relative_difference(whole.state_dict(), trained) <= EXACT
    assert _largest_relative_difference(whole.state_dict(), start) > 1e-6  # training moved them, far more
    assert [str(p.device) for p in (tower.columns[0].fc8.weight, tower.columns[1].fc8.weight)] == \
        [str(torch.device(d)) if torch.device(d).type == "cuda" else "cpu" for d in devices]


def test_training_the_two_towers_on_two_devices_equals_training_alexnet_on_one():
    _two_tower_training_equals_alexnet_training(("cpu:0", "cpu:1"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU: a real transfer between cuda:0 and the CPU")
def test_two_towers_split_between_a_gpu_and_the_cpu_train_like_alexnet():
    _two_tower_training_equals_alexnet_training(("cuda:0", "cpu"))  # float64: no TF32 on a GPU either


# --- sharing batches between processes -----------------------------------------------------------


def test_the_shares_of_all_processes_are_the_global_batch():
    order = list(range(100, 123))  # 23 images: batches of 8, 8 and 7
    one = shard_batches(order, 8)
    assert one == [order[0:8], order[8:16], order[16:23]]
    for world in (2, 3, 8, 9):
        shares = [shard_batches(order, 8, rank, world) for rank in range(world)]
        for b, batch in enumerate(one):
            together = sorted(i for share in shares for i in share[b])
            assert together == sorted(batch)
            sizes = [len(share[b]) for share in shares]
            assert max(sizes) - min(sizes) <= 1
    assert shard_batches(order, 8, 1, 3, start=2) == [order[16:23][1::3]]
    with pytest.raises(ValueError, match="rank"):
        shard_batches(order, 8, rank=2, world_size=2)


def test_without_torchrun_distributed_training_says_how_to_start_it(monkeypatch, tmp_path):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(DistributedSetupError, match="torchrun --nproc-per-node N -m alexnet_edu train"):
        init_distributed("cpu")
    single = Distributed()
    assert single.is_main and not single.enabled and single.sum([1, 2.5], torch.device("cpu")) == [1.0, 2.5]
    assert single.gather("x") == ["x"]


def test_recipes_are_the_papers_configuration():
    paper = recipe("alexnet-2012")
    assert (paper.dataset, paper.model, paper.devices) == ("imagenet", "two-tower", "cuda:0,cuda:1")
    assert (paper.epochs, paper.batch_size, paper.lr, paper.lr_drops, paper.momentum, paper.weight_decay,
            paper.init) == (90, 128, 0.01, 3, 0.9, 0.0005, "paper")
    ddp = recipe("alexnet-2012-ddp", epochs=2)
    assert (ddp.model, ddp.devices, ddp.epochs) == ("alexnet", None, 2)
    assert recipe("alexnet-2012", model="alexnet").devices is None  # columns' devices mean nothing then
    assert set(RECIPES) == {"alexnet-2012", "alexnet-2012-ddp"}
    with pytest.raises(ValueError, match="choose among"):
        recipe("alexnet-2013")
    with pytest.raises(ValueError, match="add --model two-tower"):
        TrainConfig(devices="cpu,cpu")
    with pytest.raises(ValueError, match="one device per column"):
        TrainConfig(model="two-tower", devices="cpu")


def test_bad_launches_fail_before_anything_is_written(tmp_path):
    root, cache = _ilsvrc_tree(tmp_path / "data", train=1, val=1), tmp_path / "cache"
    common = ["-m", "alexnet_edu", "train", "--root", str(root), "--no-verify", "--quiet"]
    no_torchrun = _run([*common, "--dataset", "imagenet", "--model", "small", "--distributed",
                        "--out", str(tmp_path / "a")], cache)
    assert no_torchrun.returncode == 1 and "torchrun --nproc-per-node" in no_torchrun.stderr
    both = _run([*common, "--dataset", "imagenet", "--model", "two-tower", "--devices", "cpu,cpu", "--distributed",
                 "--out", str(tmp_path / "b")], cache)
    assert both.returncode == 1 and "Use one of them" in both.stderr
    if not torch.cuda.is_available():
        no_gpu = _run([*common, "--recipe", "alexnet-2012", "--out", str(tmp_path / "c")], cache)
        assert no_gpu.returncode == 1 and "sees no CUDA GPU" in no_gpu.stderr
    assert not any((tmp_path / name).exists() for name in "abc")


# --- end to end on a miniature ILSVRC-2012 -------------------------------------------------------


def test_two_processes_train_like_one_with_the_same_global_batch_and_resume(tmp_path):
    """gloo DDP, 2 processes × 4 images against 1 process × 8 images, 2 epochs of 3 steps (21 images:
    the last batch of 5 is shared 3 + 2); the 2-process run is stopped after 4 steps and resumed by a
    second torchrun. In float64 (see EXACT)."""
    root, cache = _ilsvrc_tree(tmp_path / "data", train=7), tmp_path / "cache"
    common = ["--dataset", "imagenet", "--model", "small", "--root", str(root), "--no-verify", "--epochs", "2",
              "--batch-size", "8", "--workers", "0", "--lr", "0.01", "--dtype", "float64"]
    one = _run(["-m", "alexnet_edu", "train", *common, "--out", str(tmp_path / "one"), "--quiet"], cache)
    assert one.returncode == 0, one.stderr
    first = _torchrun(2, [*common, "--out", str(tmp_path / "two"), "--max-steps", "4"], cache)
    assert first.returncode == 0, first.stderr
    assert [p.name for p in list_checkpoints(tmp_path / "two")][-1] == "ckpt-e0001-s0000001.pt"
    second = _torchrun(2, ["--resume", str(tmp_path / "two")], cache)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("finished") == 1 and "2 epochs" in second.stdout  # the first process speaks
    a, b = _weights(tmp_path / "one"), _weights(tmp_path / "two")
    assert a["features.0.weight"].dtype == torch.float64
    # the same images in the same steps; only the order of the sums differs (float64 rounding)
    assert _largest_relative_difference(a, b) <= EXACT
    start = load_checkpoint(list_checkpoints(tmp_path / "one")[0])["model"]  # after epoch 1 (two are kept)
    assert _largest_relative_difference(a, start) > 1e-4  # epoch 2 alone moved them far more
    rows = [json.loads(line) for line in (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()]
    ref = [json.loads(line) for line in (tmp_path / "one" / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]
    for r, s in zip(rows, ref):  # losses and errors over the whole global batch, not one process's share
        assert r["train_loss"] == pytest.approx(s["train_loss"], rel=EXACT)
        assert r["val_loss"] == pytest.approx(s["val_loss"], rel=EXACT)
        assert r["val_top1"] == s["val_top1"] and r["train_top1"] == s["train_top1"]
    sessions = json.loads((tmp_path / "two" / "provenance.json").read_text())["sessions"]
    assert [s["processes"] for s in sessions] == [2, 2]  # one entry per launch, written by rank 0 only
    state = load_checkpoint(list_checkpoints(tmp_path / "two")[-1])
    assert state["world_size"] == 2 and len(state["rng_ranks"]) == 2
    assert not torch.equal(state["rng_ranks"][0], state["rng_ranks"][1])  # each process its own dropout stream
    assert sorted(p.name for p in (tmp_path / "two").iterdir()) == sorted(p.name for p in (tmp_path / "one").iterdir())


def test_the_paper_network_on_two_column_devices_trains_resumes_and_is_evaluated_on_ten_patches(tmp_path):
    root, cache = _ilsvrc_tree(tmp_path / "data", train=4, val=2), tmp_path / "cache"
    run = tmp_path / "run"
    args = ["-m", "alexnet_edu", "train", "--dataset", "imagenet", "--model", "two-tower", "--devices", "cpu:0,cpu:1",
            "--root", str(root), "--no-verify", "--epochs", "2", "--batch-size", "4", "--workers", "0",
            "--init", "caffe", "--quiet"]
    first = _run([*args, "--out", str(run), "--max-steps", "2"], cache)
    assert first.returncode == 0, first.stderr
    assert list_checkpoints(run)[-1].name == "ckpt-e0000-s0000002.pt"
    resumed = _run(["-m", "alexnet_edu", "train", "--resume", str(run), "--quiet"], cache)
    assert resumed.returncode == 0, resumed.stderr
    state = load_checkpoint(list_checkpoints(run)[-1])
    assert state["epoch"] == 2 and any(k.startswith("columns.1.conv1") for k in state["model"])
    # conv1's kernels are kept for every epoch (checkpoints are not), both columns in the paper's order
    assert sorted(p.name for p in (run / "conv1").iterdir()) == ["epoch-0000.npy", "epoch-0001.npy", "epoch-0002.npy"]
    import numpy as np

    last = torch.from_numpy(np.load(run / "conv1" / "epoch-0002.npy"))
    assert torch.equal(last, torch.cat([state["model"]["columns.0.conv1.weight"],
                                        state["model"]["columns.1.conv1.weight"]]))
    assert not torch.equal(last, torch.from_numpy(np.load(run / "conv1" / "epoch-0000.npy")))
    out = tmp_path / "record.json"
    evaluated = _run(["-m", "alexnet_edu", "evaluate", str(run), "--out", str(out), "--device", "cpu", "--quiet"], cache)
    assert evaluated.returncode == 0, evaluated.stderr
    record = json.loads(out.read_text())
    assert record["epochs_done"] == 2 and record["config"]["model"] == "two-tower"
    assert record["config"]["devices"] == "cpu:0,cpu:1" and record["evaluated_on"] == ["cpu"]  # the run's, and where
    assert record["classes"] == WNIDS
    ev = record["evaluation"]
    assert ev["ten"]["images"] == ev["centre"]["images"] == 6
    assert sorted(ev["top5_by_file"]) == sorted(p.name for p in (root / "imagenet" / "val").rglob("*.JPEG"))
    assert all(len(top) == 3 for top in ev["top5_by_file"].values())  # five best of three classes: all three


def test_sigterm_to_torchrun_stops_every_process_at_the_same_step_with_a_checkpoint(tmp_path):
    import signal
    import time

    root, cache = _ilsvrc_tree(tmp_path / "data", train=20, val=1), tmp_path / "cache"
    run = tmp_path / "run"
    env = {**os.environ, data.CACHE_ENV: str(cache), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
                             "-m", "alexnet_edu", "train", "--dataset", "imagenet", "--model", "small", "--root",
                             str(root), "--no-verify", "--epochs", "500", "--batch-size", "2", "--workers", "0",
                             "--lr", "0.001", "--distributed", "--quiet", "--out", str(run)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 180
        while not list_checkpoints(run):  # the end of the first epoch
            assert proc.poll() is None, proc.communicate()[1]
            assert time.time() < deadline, "no checkpoint after 180 s"
            time.sleep(0.1)
        time.sleep(1.0)  # into the second epoch
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    newest = list_checkpoints(run)[-1]
    state = load_checkpoint(newest)
    assert 0 < state["epoch"] < 500 and state["world_size"] == 2, err
    assert "stopped at epoch" in err  # rank 0 said where, and how to go on
    assert not list(run.glob("checkpoints/.*.tmp"))  # nothing half-written
