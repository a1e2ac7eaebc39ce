"""The training program: exact resume after a SIGKILL, bad image files, damaged checkpoints, NaN guard.

Every test trains the small network on a fabricated Imagenette-layout tree of random images in a
temporary folder, so it needs no dataset and runs in seconds.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from alexnet_edu import data
from alexnet_edu.config import TrainConfig, build_model
from alexnet_edu.runs import (
    STALL_MIN_STEPS,
    TrainingError,
    list_checkpoints,
    load_checkpoint,
    stall_message,
)
from alexnet_edu.train import train

WNIDS = [c.wnid for c in data.IMAGENETTE_CLASSES]


def _tree(root: Path, per_class: int = 6, val_per_class: int = 2, seed: int = 0) -> Path:
    """An imagenette2-160/ folder of random 40×40 JPEGs, all ten classes, in the data root ``root``."""
    g = torch.Generator().manual_seed(seed)
    for split, n in (("train", per_class), ("val", val_per_class)):
        for c, wnid in enumerate(WNIDS):
            folder = root / "imagenette2-160" / split / wnid
            folder.mkdir(parents=True)
            for i in range(n):
                # a class-dependent tint, so the classes can be learned a little
                pixels = (torch.rand(40, 40, 3, generator=g) * 120 + c * 12).clamp(0, 255).byte().numpy()
                Image.fromarray(pixels).save(folder / f"{wnid}_{i}.JPEG", quality=90)
    return root


def _config(root: Path, **overrides) -> TrainConfig:
    values = dict(dataset="imagenette", model="small", root=str(root), epochs=2, batch_size=8, lr=0.01,
                  workers=0, verify=False, checkpoint_every=0)
    values.update(overrides)
    return TrainConfig(**values)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    return _tree(tmp_path / "data")


def _final_weights(run_dir: Path) -> dict:
    return load_checkpoint(list_checkpoints(run_dir)[-1])["model"]


# The training command, in a process that kills itself (SIGKILL: no handler, no cleanup) right after its
# optimizer has taken step KILL_AT_STEP of this session: a run killed in the middle of an epoch.
KILLED_AT_STEP = """
import os, signal, sys
from alexnet_edu import cli, optim
step, count = optim.PaperSGD.step, [0]
def step_then_die(self, *args, **kwargs):
    out = step(self, *args, **kwargs)
    count[0] += 1
    if count[0] == int(os.environ["KILL_AT_STEP"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return out
optim.PaperSGD.step = step_then_die
sys.exit(cli.main(sys.argv[1:]))
"""


def _cli(args, env_extra=None, cache=None):
    env = {**os.environ, **(env_extra or {})}
    if cache:
        env[data.CACHE_ENV] = str(cache)
    start = ["-c", KILLED_AT_STEP] if "KILL_AT_STEP" in env else ["-m", "alexnet_edu"]
    return subprocess.run([sys.executable, *start, "train", *args, "--quiet"],
                          capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize("checkpoint_every", [0, 3])
def test_a_run_killed_mid_epoch_resumes_to_the_same_weights_bit_for_bit(tmp_path, checkpoint_every):
    root, cache = _tree(tmp_path / "data", per_class=8), tmp_path / "cache"
    common = ["--dataset", "imagenette", "--model", "small", "--root", str(root), "--epochs", "2",
              "--batch-size", "8", "--workers", "2", "--no-verify", "--lr", "0.01",
              "--checkpoint-every", str(checkpoint_every)]
    whole = _cli([*common, "--out", str(tmp_path / "whole")], cache=cache)
    assert whole.returncode == 0, whole.stderr
    # 80 images in batches of 8: 10 steps an epoch; die at step 15, in the middle of the second epoch
    killed = _cli([*common, "--out", str(tmp_path / "killed")], {"KILL_AT_STEP": "15"}, cache=cache)
    assert killed.returncode == -9  # SIGKILL: no handler, no cleanup
    names = [p.name for p in list_checkpoints(tmp_path / "killed")]
    assert names[-1] == ("ckpt-e0001-s0000003.pt" if checkpoint_every else "ckpt-e0001-s0000000.pt")
    resumed = _cli(["--resume", str(tmp_path / "killed")], cache=cache)
    assert resumed.returncode == 0, resumed.stderr
    a, b = _final_weights(tmp_path / "whole"), _final_weights(tmp_path / "killed")
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    history = [json.loads(line) for line in (tmp_path / "killed" / "metrics.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in history] == [1, 2]  # no epoch counted twice
    whole_history = [json.loads(line) for line in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    assert [row["step_losses"] for row in history] == [row["step_losses"] for row in whole_history]
    assert all(len(row["step_losses"]) == 10 for row in history)  # every batch's loss, once
    assert "step_losses" not in (tmp_path / "killed" / "metrics.csv").read_text()
    sessions = json.loads((tmp_path / "killed" / "provenance.json").read_text())["sessions"]
    assert len(sessions) == 2 and "--resume" in sessions[1]["command"]


def test_bad_files_are_skipped_or_converted_and_counted_every_epoch(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    root = _tree(tmp_path / "data")
    folder = root / "imagenette2-160" / "train" / WNIDS[0]
    good = (folder / f"{WNIDS[0]}_0.JPEG").read_bytes()
    (folder / "corrupt.JPEG").write_bytes(good[:200] + b"\x00" * 50)       # a damaged JPEG
    (folder / "empty.JPEG").write_bytes(b"")                              # zero bytes
    (folder / "truncated.JPEG").write_bytes(good[: len(good) // 2])        # cut off
    Image.new("L", (40, 40), 90).save(folder / "gray.JPEG", "JPEG")
    Image.new("CMYK", (40, 40), (10, 80, 160, 0)).save(folder / "cmyk.JPEG", "JPEG")
    Image.new("RGB", (40, 40), (30, 60, 90)).save(folder / "png.JPEG", "PNG")  # a PNG named .JPEG
    result = train(_config(root), tmp_path / "run", progress=False)
    assert not result["stopped"] and len(result["history"]) == 2
    for row in result["history"]:
        assert (row["skipped"], row["converted"]) == (3, 3)
    problems = [json.loads(line) for line in (tmp_path / "run" / "data_problems.jsonl").read_text().splitlines()]
    assert len(problems) == 2
    assert sorted(Path(p).name for p in problems[0]["skipped"]) == ["corrupt.JPEG", "empty.JPEG", "truncated.JPEG"]
    assert sorted(Path(p).name for p in problems[0]["converted"]) == ["cmyk.JPEG", "gray.JPEG", "png.JPEG"]
    err = capsys.readouterr().err
    assert err.count("unreadable image(s) skipped") == 2  # one summary per epoch


@pytest.mark.parametrize("damage", ["one flipped bit", "cut off", "cut off, no checksum"])
def test_a_damaged_checkpoint_is_set_aside_and_the_run_resumes_from_the_newest_intact_one(tree, tmp_path, capsys, damage):
    run = tmp_path / "run"
    train(_config(tree, epochs=3), run, progress=False, max_steps=16)  # two epochs of 8 steps, then stop
    newest = list_checkpoints(run)[-1]
    damaged = bytearray(newest.read_bytes())
    if damage == "one flipped bit":  # still a readable file: only the checksum can tell
        damaged[len(damaged) // 2] ^= 0x01
    else:
        damaged = damaged[:1000]
    if damage.endswith("no checksum"):  # as a checkpoint written before checksums
        newest.with_name(newest.name + ".sha256").unlink()
    newest.write_bytes(bytes(damaged))
    result = train(run_dir=run, resume=True, progress=False)
    err = capsys.readouterr().err
    assert newest.name in err and "kept as" in err and "trying the one before" in err
    assert (run / "checkpoints" / f"{newest.name}.damaged").read_bytes() == bytes(damaged)  # kept, not deleted
    assert [row["epoch"] for row in result["history"]] == [1, 2, 3]  # epoch 2 again, from the intact one
    assert not list(run.glob("checkpoints/.*.tmp"))
    whole = train(_config(tree, epochs=3), tmp_path / "whole", progress=False)
    assert all(torch.equal(a, b) for a, b in zip(_final_weights(run).values(), _final_weights(tmp_path / "whole").values()))
    assert [r["step_losses"] for r in result["history"]] == [r["step_losses"] for r in whole["history"]]


def test_a_loss_that_becomes_nan_stops_the_run_and_keeps_the_last_good_checkpoint(tree, tmp_path):
    run = tmp_path / "run"
    train(_config(tree, epochs=3), run, progress=False, max_steps=10)  # one epoch, then stop
    saved = {p.name: p.read_bytes() for p in list_checkpoints(run)}
    with pytest.raises(TrainingError, match="loss became") as err:
        train(run_dir=run, resume=True, progress=False, lr_override=1e12)
    assert f"--resume {run}" in str(err.value)
    assert {p.name: p.read_bytes() for p in list_checkpoints(run)} == saved


def test_a_new_run_never_overwrites_an_old_one(tree, tmp_path):
    train(_config(tree, epochs=1), tmp_path / "run", progress=False)
    before = (tmp_path / "run" / "metrics.jsonl").read_text()
    with pytest.raises(TrainingError, match="--resume"):
        train(_config(tree, epochs=1), tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "metrics.jsonl").read_text() == before


def test_the_learning_rate_is_divided_by_ten_when_validation_stops_improving_at_most_three_times(tree, tmp_path):
    # a learning rate of 0 cannot improve anything: every epoch after the first is a plateau
    result = train(_config(tree, epochs=6, lr=1e-30, lr_patience=0), tmp_path / "run", progress=False)
    lrs = [row["lr"] for row in result["history"]]
    assert lrs[0] == pytest.approx(1e-30)
    drops = [b / a for a, b in zip(lrs, lrs[1:]) if b != a]
    assert len(drops) == 3 and all(d == pytest.approx(0.1, rel=1e-9) for d in drops)
    assert lrs[-1] == pytest.approx(1e-33, rel=1e-12)  # exactly three drops, not a hair more or less


def test_the_stall_warning_fires_only_for_a_loss_stuck_at_chance():
    chance = torch.log(torch.tensor(1000.0)).item()
    assert "Caffe" in stall_message([chance] * STALL_MIN_STEPS, 1000)
    assert "--init paper" in stall_message([chance] * STALL_MIN_STEPS, 1000, init="default")
    falling = [chance - 0.05 * i for i in range(STALL_MIN_STEPS)]
    assert stall_message(falling, 1000) is None
    assert stall_message([chance] * (STALL_MIN_STEPS - 1), 1000) is None  # too short to tell


def test_the_command_line_refuses_bad_settings_with_a_reason(tmp_path):
    out = _cli(["--model", "resnet", "--out", str(tmp_path / "x")])
    assert out.returncode == 2 and "invalid choice" in out.stderr
    out = _cli(["--resume", str(tmp_path / "nothing")])
    assert out.returncode == 1 and "not a run directory" in out.stderr
    out = _cli(["--model", "small", "--crop", "40", "--resize", "32", "--out", str(tmp_path / "y")])
    assert out.returncode == 1 and "crop (40) cannot be larger than resize (32)" in out.stderr


def test_evaluate_writes_a_small_record_whose_numbers_agree_with_each_other(tree, tmp_path):
    train(_config(tree, epochs=1), tmp_path / "run", progress=False)
    out = tmp_path / "record.json"
    done = subprocess.run([sys.executable, "-m", "alexnet_edu", "evaluate", str(tmp_path / "run"), "--out", str(out),
                           "--quiet"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, data.CACHE_ENV: os.environ[data.CACHE_ENV]})
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    ev = record["evaluation"]
    confusion = torch.tensor(ev["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == ev["centre"]["images"] == 20
    assert ev["centre"]["top1"] == pytest.approx(1 - confusion.trace().item() / 20)
    assert ev["ten"]["images"] == 20 and 0 <= ev["ten"]["top5"] <= ev["ten"]["top1"] <= 1
    val_files = sorted(p.name for p in (tree / "imagenette2-160" / "val").rglob("*.JPEG"))
    assert sorted(ev["top5_by_file"]) == val_files
    assert all(len(v) == 5 and len(set(v)) == 5 for v in ev["top5_by_file"].values())
    # each image's first guess, counted per class, is the confusion matrix's column sums
    firsts = torch.bincount(torch.tensor([v[0] for v in ev["top5_by_file"].values()]), minlength=10)
    assert torch.equal(firsts, confusion.sum(0))
    assert record["epochs_done"] == 1 and record["classes"] == WNIDS
    from alexnet_edu.model import SmallConvNet, SmallNetConfig

    relus = {n for n, m in SmallConvNet(SmallNetConfig(crop=28)).named_modules() if isinstance(m, torch.nn.ReLU)}
    assert set(ev["relu_active"]) == relus and all(0 <= v <= 1 for v in ev["relu_active"].values())
    assert "model" not in record and out.stat().st_size < 100_000


def test_relu_activity_finds_a_dead_layer():
    from torch import nn as tnn

    from alexnet_edu.model import relu_activity

    net = tnn.Sequential(tnn.Linear(4, 8), tnn.ReLU(), tnn.Linear(8, 8), tnn.ReLU())
    with torch.no_grad():
        net[2].weight.zero_()
        net[2].bias.fill_(-1.0)  # every unit of the second layer below zero: dead
        net[0].weight.copy_(torch.eye(8, 4))
        net[0].bias.zero_()
    x = torch.tensor([[1.0, -1.0, 2.0, -2.0]])
    active = relu_activity(net.train(), x)
    assert active == {"1": 0.25, "3": 0.0}  # 2 of the 8 first-layer units are positive
    assert net.training  # the mode is restored


def test_tensorboard_without_the_package_fails_before_anything_is_written(tree, tmp_path):
    import importlib.util

    if importlib.util.find_spec("tensorboard") is not None:
        pytest.skip("tensorboard is installed here")
    with pytest.raises(TrainingError, match="pip install tensorboard"):
        train(_config(tree, tensorboard=True), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_evaluate_prefers_the_newest_end_of_epoch_checkpoint(tree, tmp_path):
    from alexnet_edu.records import evaluate_run

    run = tmp_path / "run"
    train(_config(tree, epochs=3), run, progress=False, max_steps=13)  # one epoch and 5 steps of the next
    assert [p.name for p in list_checkpoints(run)] == ["ckpt-e0001-s0000000.pt", "ckpt-e0001-s0000005.pt"]
    record = evaluate_run(run, ten_crop=False, progress=False)
    assert record["checkpoint"] == "ckpt-e0001-s0000000.pt"
    assert (record["epochs_done"], record["steps_into_next_epoch"]) == (1, 0)
    assert "ten" not in record["evaluation"]


def test_sigusr1_saves_a_checkpoint_now_and_ctrl_c_saves_and_stops(tmp_path):
    import signal
    import time

    root, cache = _tree(tmp_path / "data", per_class=20), tmp_path / "cache"
    run = tmp_path / "run"
    env = {**os.environ, data.CACHE_ENV: str(cache)}
    proc = subprocess.Popen([sys.executable, "-m", "alexnet_edu", "train", "--dataset", "imagenette", "--model",
                             "small", "--root", str(root), "--epochs", "200", "--batch-size", "2", "--lr", "0.001", "--workers", "0",
                             "--no-verify", "--out", str(run), "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def wait_for(condition, what):
            deadline = time.time() + 120
            while not condition():
                assert proc.poll() is None, proc.communicate()[1]
                assert time.time() < deadline, f"timed out waiting for {what}"
                time.sleep(0.05)

        wait_for(lambda: list_checkpoints(run), "the first checkpoint")
        proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: any(not p.name.endswith("-s0000000.pt") for p in list_checkpoints(run)),
                 "a checkpoint in the middle of an epoch")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    state = load_checkpoint(list_checkpoints(run)[-1])
    assert state["epoch"] < 200  # it stopped, with a checkpoint of where it was
    resumed = train(run_dir=run, resume=True, progress=False, max_steps=1)
    assert resumed["stopped"]


def test_a_new_run_that_diverges_at_once_says_to_start_again_with_a_smaller_rate(tree, tmp_path):
    with pytest.raises(TrainingError, match="nothing of this run is kept: run the same command.*--lr 1e\\+11"):
        train(_config(tree, lr=1e12), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # nothing kept: the corrected command can use the same folder
    assert train(_config(tree, lr=0.01, epochs=1), tmp_path / "run", progress=False)["history"]


def test_a_float64_run_trains_and_is_evaluated_in_float64_from_the_float32_draw(tree, tmp_path):
    from alexnet_edu.config import build_model
    from alexnet_edu.records import evaluate_run

    with pytest.raises(ValueError, match="dtype must be one of float32, float64"):
        TrainConfig(dtype="float16")
    with pytest.raises(ValueError, match="cannot be combined with --dtype float64"):
        TrainConfig(dtype="float64", amp=True)
    torch.manual_seed(0)
    drawn32 = build_model(TrainConfig(model="alexnet"), 10)
    torch.manual_seed(0)
    drawn64 = build_model(TrainConfig(model="alexnet", dtype="float64"), 10)
    torch.manual_seed(0)
    tower64 = build_model(TrainConfig(model="two-tower", dtype="float64"), 10)
    assert drawn64.conv1.weight.dtype == tower64.columns[1].fc8.weight.dtype == torch.float64
    assert torch.equal(drawn64.conv1.weight, drawn32.conv1.weight.double())  # the same numbers, widened
    run = tmp_path / "run64"
    history = train(_config(tree, dtype="float64", epochs=1), run, progress=False)["history"]
    assert history[0]["val_loss"] > 0 and _final_weights(run)["features.0.weight"].dtype == torch.float64
    record = evaluate_run(run, ten_crop=False, progress=False)
    assert record["config"]["dtype"] == "float64" and record["evaluation"]["centre"]["images"] == 20


def test_the_papers_network_with_dropout_killed_mid_epoch_resumes_bit_for_bit(tmp_path):
    """AlexNet itself (dropout in fc6 and fc7), 4 steps of 2 images, a checkpoint after step 2: a run
    killed by SIGKILL at step 3 and resumed ends with every tensor of the model and of the optimizer
    equal, bit for bit, to a run that was never interrupted."""
    root, cache = _tree(tmp_path / "data", per_class=1), tmp_path / "cache"
    common = ["--dataset", "imagenette", "--model", "alexnet", "--init", "caffe", "--root", str(root),
              "--epochs", "1", "--batch-size", "2", "--train-limit", "8", "--val-limit", "2", "--workers", "2",
              "--no-verify", "--lr", "0.01", "--checkpoint-every", "2"]
    whole = _cli([*common, "--out", str(tmp_path / "whole")], cache=cache)
    assert whole.returncode == 0, whole.stderr
    killed = _cli([*common, "--out", str(tmp_path / "killed")], {"KILL_AT_STEP": "3"}, cache=cache)
    assert killed.returncode == -9
    assert [p.name for p in list_checkpoints(tmp_path / "killed")] == ["ckpt-e0000-s0000002.pt"]  # mid-epoch
    resumed = _cli(["--resume", str(tmp_path / "killed")], cache=cache)
    assert resumed.returncode == 0, resumed.stderr
    a, b = (load_checkpoint(list_checkpoints(tmp_path / run)[-1]) for run in ("whole", "killed"))
    assert a["epoch"] == b["epoch"] == 1 and a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    velocity = [(a["optimizer"]["state"][i], b["optimizer"]["state"][i]) for i in a["optimizer"]["state"]]
    assert velocity and all(torch.equal(x[k], y[k]) for x, y in velocity for k in x)
    assert a["history"][0]["step_losses"] == b["history"][0]["step_losses"]


# --- the run directory: one process at a time, nothing left by a failed start, nothing changed in secret ----


def test_a_second_process_cannot_train_in_a_run_directory_that_is_in_use(tree, tmp_path):
    from alexnet_edu.runs import RunDirectory

    run = tmp_path / "run"
    train(_config(tree, epochs=1), run, progress=False)
    with RunDirectory(run, new=False):  # as another process that is training in it
        with pytest.raises(TrainingError, match=rf"another process \(PID {os.getpid()}\) is training in"):
            train(run_dir=run, resume=True, progress=False)
    fresh = tmp_path / "fresh"
    with RunDirectory(fresh, new=True):  # two new runs on one --out
        with pytest.raises(TrainingError, match="another process"):
            train(_config(tree, epochs=1), fresh, progress=False)
    sessions = json.loads((run / "provenance.json").read_text())["sessions"]
    assert len(sessions) == 1  # the refused process wrote nothing


@pytest.mark.parametrize("bad, message", [
    (dict(lr=-1.0), "learning rate must be a positive number"),
    (dict(lr=float("nan")), "learning rate must be a positive number"),
    (dict(lr=float("inf")), "learning rate must be a positive number"),
    (dict(train_limit=0), "train_limit must be a positive number"),
    (dict(model="alexnet", crop=100, resize=256), "takes 227 .or 224. pixel crops"),
    (dict(device="banana"), "'banana' is not a device"),
    (dict(model="alexnet", lrn_convention="caffe"), "lrn_convention must be one of paper, cuda-convnet2"),
    (dict(dropout_convention="paper"), "settings of the paper's network"),
])
def test_bad_settings_are_refused_before_the_run_directory_exists(tree, tmp_path, bad, message):
    with pytest.raises(ValueError, match=message):
        train(_config(tree, **bad), tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_a_run_that_fails_before_its_first_checkpoint_leaves_nothing_in_the_way(tree, tmp_path, monkeypatch):
    import alexnet_edu.train as training

    run = tmp_path / "run"
    with pytest.raises(data.DataNotFoundError):  # no data: refused before the folder exists
        train(_config(tmp_path / "nothing-here"), run, progress=False)
    assert not run.exists()
    with pytest.raises(ValueError, match="--max-steps must be at least 1"):
        train(_config(tree), run, progress=False, max_steps=0)

    def broken(*args, **kwargs):
        raise RuntimeError("a failure after the folder was made")

    monkeypatch.setattr(training, "build_model", broken)
    with pytest.raises(RuntimeError, match="after the folder was made"):
        train(_config(tree, epochs=1), run, progress=False)
    assert not run.exists()
    monkeypatch.undo()
    assert train(_config(tree, epochs=1), run, progress=False)["history"]  # the corrected command, same folder


def test_resume_refuses_a_changed_configuration_and_options_it_would_ignore(tree, tmp_path):
    run = tmp_path / "run"
    train(_config(tree, epochs=2), run, progress=False, max_steps=8)
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "epochs": 5}))
    with pytest.raises(TrainingError, match=r"was changed after its checkpoint.*epochs: 2 -> 5.*--init-from"):
        train(run_dir=run, resume=True, progress=False)
    (run / "config.json").write_text(json.dumps(config))
    out = _cli(["--resume", str(run), "--epochs", "5"], cache=tmp_path / "cache")
    assert out.returncode == 2 and "--epochs cannot change it" in out.stderr and "--init-from" in out.stderr
    assert [r["epoch"] for r in train(run_dir=run, resume=True, progress=False)["history"]] == [1, 2]


def test_a_new_run_can_start_from_the_weights_of_a_checkpoint(tree, tmp_path):
    first = tmp_path / "first"
    train(_config(tree, epochs=1), first, progress=False)
    start = list_checkpoints(first)[-1]
    # a learning rate far too small to move a float32 weight: the new run's weights are the checkpoint's
    train(_config(tree, epochs=1, lr=1e-30, init_from=str(start)), tmp_path / "second", progress=False)
    a, b = load_checkpoint(start)["model"], _final_weights(tmp_path / "second")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert json.loads((tmp_path / "second" / "config.json").read_text())["init_from"] == str(start)
    with pytest.raises(TrainingError, match="do not fit this network"):
        train(_config(tree, epochs=1, model="alexnet", init="caffe", init_from=str(start)), tmp_path / "third",
              progress=False)
    assert not (tmp_path / "third").exists()


def test_stray_temporary_files_of_killed_writes_are_removed_when_a_run_resumes(tree, tmp_path):
    run = tmp_path / "run"
    train(_config(tree, epochs=2), run, progress=False, max_steps=8)
    strays = [run / "checkpoints" / ".ckpt-e0001-s0000003.pt.1234.tmp", run / ".metrics.jsonl.tmp",
              run / "conv1" / ".epoch-0002.npy.99.tmp"]
    for stray in strays:
        stray.parent.mkdir(exist_ok=True)
        stray.write_bytes(b"x" * 1000)
    train(run_dir=run, resume=True, progress=False)
    assert not any(stray.exists() for stray in strays)


def test_a_full_disk_ends_in_one_clear_line_and_the_newest_checkpoint_stays_intact(tree, tmp_path, monkeypatch, capsys):
    import errno

    from alexnet_edu.cli import main as cli_main

    run = tmp_path / "run"
    train(_config(tree, epochs=2), run, progress=False, max_steps=8)
    newest = list_checkpoints(run)[-1]
    saved = newest.read_bytes()
    real_save = torch.save

    def full(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    assert cli_main(["train", "--resume", str(run), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and f"newest checkpoint is {newest.name}" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list_checkpoints(run)[-1].read_bytes() == saved and not list(run.glob("checkpoints/.*.tmp"))
    monkeypatch.setattr(torch, "save", real_save)
    assert cli_main(["train", "--resume", str(run), "--quiet"]) == 0


# --- what a real folder holds -------------------------------------------------------------------------


def test_links_that_lead_nowhere_loops_and_fifos_are_left_out_with_a_reason_and_names_need_not_be_utf8(
        tree, tmp_path, capsys):
    folder = tree / "imagenette2-160" / "train" / WNIDS[0]
    good = sorted(folder.iterdir())[0]
    with open(os.fsencode(str(folder)) + b"/odd-\xff-name.JPEG", "wb") as f:  # a name that is not UTF-8
        f.write(good.read_bytes())
    (folder / "nowhere.JPEG").symlink_to(folder / "gone.JPEG")                 # a link that leads nowhere
    (folder / "itself.JPEG").symlink_to(folder / "itself.JPEG")                # a link to itself
    (folder / "again").symlink_to(folder)                                       # a loop of folders
    os.mkfifo(folder / "fifo.JPEG")                                             # reading it would wait forever
    listed = data.load_dataset("imagenette", "train", root=tree, verify=False)
    assert len(listed) == 61 and len({path for path, _ in listed.samples}) == 61  # 60 + the odd name, once each
    reasons = {Path(path).name: reason for path, reason in listed.problems}
    assert reasons == {"nowhere.JPEG": "a link that leads nowhere", "itself.JPEG": reasons["itself.JPEG"],
                       "again": "a link to a folder listed already",
                       "fifo.JPEG": "not a regular file (a FIFO, a socket or a device)"}
    assert "cannot be opened" in reasons["itself.JPEG"]
    result = train(_config(tree, epochs=1), tmp_path / "run", progress=False)
    assert result["history"][0]["skipped"] == 0  # every listed image was read, the odd name too
    first = json.loads((tmp_path / "run" / "data_problems.jsonl").read_text().splitlines()[0])
    assert sorted(Path(e["file"]).name for e in first["listing"]["train"]) == sorted(reasons)
    assert "4 entries of the training folder" in capsys.readouterr().err


def test_an_image_too_costly_to_rescale_is_skipped_before_it_is_decoded(tmp_path):
    Image.new("RGB", (20000, 1), (10, 20, 30)).save(tmp_path / "strip.JPEG", "JPEG")  # rescaled: 5,120,000 × 256
    assert (tmp_path / "strip.JPEG").stat().st_size < 20_000
    image, status, reason = data.read_rgb(tmp_path / "strip.JPEG")
    assert image is None and status == data.READ_SKIPPED and "20000×1 pixels" in reason
    Image.new("RGB", (400, 300), (10, 20, 30)).save(tmp_path / "photo.JPEG", "JPEG")
    assert data.read_rgb(tmp_path / "photo.JPEG")[1] == data.READ_OK


def test_unreadable_validation_images_are_counted_and_named_like_training_ones(tree, tmp_path, capsys):
    folder = tree / "imagenette2-160" / "val" / WNIDS[3]
    (folder / "empty.JPEG").write_bytes(b"")
    Image.new("L", (40, 40), 90).save(folder / "gray.JPEG", "JPEG")
    row = train(_config(tree, epochs=1), tmp_path / "run", progress=False)["history"][0]
    assert (row["skipped"], row["converted"], row["val_skipped"], row["val_converted"]) == (0, 0, 1, 1)
    problems = json.loads((tmp_path / "run" / "data_problems.jsonl").read_text().splitlines()[-1])
    assert [Path(p).name for p in problems["val_skipped"]] == ["empty.JPEG"]
    assert [Path(p).name for p in problems["val_converted"]] == ["gray.JPEG"]
    assert "validation: 1 skipped, 1 converted" in capsys.readouterr().err


def test_after_a_divergence_the_advice_resumes_from_a_checkpoint_before_it_and_works(tree, tmp_path):
    """A sound epoch at lr 0.01, then a resume at lr 30 with a checkpoint after every step: the loss climbs,
    the weights and momentum explode (finite, so such checkpoints load), then the loss is NaN. The advice
    names the last checkpoint before the divergence and a rate it trained well with; following it works."""
    run = tmp_path / "run"
    train(_config(tree, epochs=3, checkpoint_every=1, keep_checkpoints=50), run, progress=False, max_steps=8)
    sound = list_checkpoints(run)[-1]
    assert sound.name == "ckpt-e0001-s0000000.pt"
    with pytest.raises(TrainingError, match="loss became") as err:
        train(run_dir=run, resume=True, progress=False, lr_override=30.0)
    message = str(err.value)
    assert f"The newest checkpoint from before the divergence is {sound.name}" in message
    assert message.endswith(f"python -m alexnet_edu train --resume {run} --lr 0.01")
    assert list_checkpoints(run)[-1] == sound  # the exploded ones are set aside, not deleted
    diverged = sorted(p.name for p in run.glob("checkpoints/*.pt.diverged"))
    assert diverged and all(name > sound.name for name in diverged)
    history = train(run_dir=run, resume=True, progress=False, lr_override=0.01)["history"]
    assert [row["epoch"] for row in history] == [1, 2, 3] and all(math.isfinite(r["train_loss"]) for r in history)
    with pytest.raises(ValueError, match="positive number"):
        train(run_dir=run, resume=True, progress=False, lr_override=float("inf"))


def test_the_conventions_reach_the_network_a_run_trains_and_its_checkpoints(tree, tmp_path):
    from alexnet_edu.layers import PaperDropout

    cfg = _config(tree, model="alexnet", epochs=1, train_limit=8, val_limit=8, lrn_convention="cuda-convnet2",
                  dropout_convention="paper")
    model = build_model(cfg, num_classes=10)
    assert model.lrn1.convention == "cuda-convnet2" and isinstance(model.drop6, PaperDropout)
    train(cfg, tmp_path / "run", progress=False)
    stored = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (stored["lrn_convention"], stored["dropout_convention"]) == ("cuda-convnet2", "paper")
    old = {k: v for k, v in stored.items() if k not in ("lrn_convention", "dropout_convention")}
    assert TrainConfig.from_dict(old).lrn_convention == "paper"  # a run from before: what it used


def test_a_second_process_takes_the_first_ones_statistics_and_computes_none(tree, monkeypatch):
    """Under torchrun only the first process computes (or reads from its cache) the mean image and the
    colour PCA; the others receive them (``dist.broadcast``), so no other process needs the cache."""
    from alexnet_edu import config

    cfg = _config(tree)
    stats = config.dataset_stats(cfg.dataset, "train", cfg.root, size=cfg.resize, seed=cfg.seed, verify=False,
                                 num_workers=0, progress=False)

    class SecondProcess:
        is_main = False

        def broadcast(self, value):
            assert value is None  # it has computed nothing of its own to send
            return stats

    monkeypatch.setattr(config, "dataset_stats", lambda *a, **k: pytest.fail("a second process computed statistics"))
    train_set, val_set, _ = config.build_datasets(cfg, progress=False, dist=SecondProcess())
    for images in (train_set, val_set):
        mean = next(t.mean for t in images.transform.transforms if hasattr(t, "mean"))
        assert torch.equal(mean, stats.mean_image)
