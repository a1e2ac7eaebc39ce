"""Training steps per second of the paper's network, one network and two columns, with its memory.

    python benchmarks/train_speed.py --out alexnet_edu/records/train_speed_cpu.json [--batch-size 128] [--steps 5]

Times whole training steps (forward, backward, the paper's SGD update) on random 227×227 images
already in memory, so the number is the network's cost alone, without JPEG decoding or
augmentation: for :class:`~alexnet_edu.model.AlexNet` on ``--device`` and for
:class:`~alexnet_edu.model.TwoTowerAlexNet` with its columns on ``--devices`` (default: two names
for the same device, which measures the cost of splitting the network without a second GPU).
It also records what one step sends between the columns (counted by the network) and the bytes of
activations a batch keeps for the backward pass. The record (with provenance) is what the chapter
on the full ImageNet run quotes. This is a benchmark, not a test: the numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from alexnet_edu.model import AlexNet, TwoTowerAlexNet
from alexnet_edu.optim import PaperSGD
from alexnet_edu.paper import BATCH_SIZE, INPUT_SIZE, NUM_CLASSES
from alexnet_edu.parallel import saved_activation_bytes
from alexnet_edu.provenance import Provenance
from alexnet_edu.runs import write_json_atomic


def time_steps(model: torch.nn.Module, device: torch.device, batch_size: int, steps: int, warmup: int) -> list[float]:
    """Seconds of each of ``steps`` training steps, after ``warmup`` untimed ones."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch_size, 3, INPUT_SIZE, INPUT_SIZE, generator=g).to(device)
    y = torch.randint(0, NUM_CLASSES, (batch_size,), generator=g).to(device)
    optimizer = PaperSGD(model.parameters())
    times = []
    for i in range(warmup + steps):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - start)
        print(f"step {i + 1}/{warmup + steps}: {time.perf_counter() - start:.2f} s", file=sys.stderr)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="JSON record to write")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--devices", help="the two columns' devices (default: --device twice)")
    args = parser.parse_args(argv)
    prov = Provenance(["python", "benchmarks/train_speed.py", *(argv if argv is not None else sys.argv[1:])])
    device = torch.device(args.device)
    devices = [torch.device(d) for d in args.devices.split(",")] if args.devices else [device, device]
    torch.manual_seed(0)
    record = {"experiment": "train_speed", "batch_size": args.batch_size, "steps": args.steps,
              "warmup": args.warmup, "device": str(device), "devices": [str(d) for d in devices],
              "threads": torch.get_num_threads(), "models": {}}
    whole = AlexNet()
    record["saved_activation_bytes"] = saved_activation_bytes(
        whole, torch.randn(args.batch_size, 3, INPUT_SIZE, INPUT_SIZE))
    tower = TwoTowerAlexNet.from_alexnet(whole, devices=devices)
    for name, model, first in (("alexnet", whole.to(device), device), ("two-tower", tower, devices[0])):
        if name == "two-tower":
            tower.reset_traffic()
        times = time_steps(model, first, args.batch_size, args.steps, args.warmup)
        record["models"][name] = {"step_s": [round(t, 4) for t in times],
                                  "images_per_s": args.batch_size / statistics.median(times)}
    # forward traffic of one step (the counter saw warmup + steps forward passes)
    record["traffic_bytes_per_step_forward"] = {k: v // (args.warmup + args.steps) for k, v in tower.traffic.items()}
    record["provenance"] = prov.finish()
    write_json_atomic(args.out, record)
    print({k: round(v["images_per_s"], 1) for k, v in record["models"].items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
