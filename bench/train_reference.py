#!/usr/bin/env python3
"""PyTorch side of the training benchmark: one training step (forward, cross-entropy, backward, SGD
with Nesterov momentum) of the PySlowFast reference X3D (scripts/fixtures/reference_models, randomly
initialised) at its training crop, on random clips, as `cadence-bench train` times Cadence's.

Prints one JSON line per model:
    {"model": ..., "batch": B, "input": "TxHxW", "threads": N, "runs": R, "ms": median, "best_ms": fastest,
     "cpu_ms": CPU time of the median step, "clips_per_s": B / median, "format": ..., "peak_mb": ...}
`ms` is the median of R timed steps (the middle one for odd R) and `cpu_ms` the process CPU time (all
threads) of that step, which shows the work done when other processes stretch the wall-clock time.
The optimizer matches Cadence's bench: SGD, learning rate 0.01, momentum 0.9, Nesterov, weight decay
5e-5 on conv and linear weights and biases, none on batch-norm parameters (PySlowFast's grouping).
With `--format auto` a few steps run in channels_last_3d and in contiguous (NCDHW) memory format and
the faster is timed. `peak_mb` is the peak RSS of a fresh child process that trained only that model.

Usage: train_reference.py [--models x3d_xs,x3d_s] [--batch B] [--threads N] [--runs R] [--warmup W]
                          [--format auto|channels_last_3d|contiguous]
"""
import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "fixtures"))
import reference_models as rm  # noqa: E402


def x3d(depth_factor, frames, crop):
    return {"MODEL": {"ARCH": "x3d", "NUM_CLASSES": 400},
            "DATA": {"NUM_FRAMES": frames, "TRAIN_CROP_SIZE": crop},
            "X3D": {"WIDTH_FACTOR": 2.0, "DEPTH_FACTOR": depth_factor, "BOTTLENECK_FACTOR": 2.25,
                    "DIM_C1": 12, "DIM_C5": 2048}}


# name: (config, clip shape C, T, H, W at the training crop, default batch)
MODELS = {
    "x3d_xs": (x3d(2.2, 4, 160), (3, 4, 160, 160), 8),
    "x3d_s": (x3d(2.2, 13, 160), (3, 13, 160, 160), 4),
    "x3d_m": (x3d(2.2, 16, 224), (3, 16, 224, 224), 2),
}
FORMATS = {"channels_last_3d": torch.channels_last_3d, "contiguous": torch.contiguous_format}


def optimizer_for(model):
    """SGD with PySlowFast's parameter groups: batch-norm parameters get no weight decay."""
    norm, rest = [], []
    for module in model.modules():
        for p in module.parameters(recurse=False):
            (norm if isinstance(module, nn.modules.batchnorm._BatchNorm) else rest).append(p)
    groups = [{"params": rest, "weight_decay": 5e-5}, {"params": norm, "weight_decay": 0.0}]
    return torch.optim.SGD(groups, lr=0.01, momentum=0.9, nesterov=True)


def step(model, optimizer, clips, targets):
    """One training step; returns its wall-clock ms and process CPU ms (all threads)."""
    t0, c0 = time.perf_counter(), time.process_time()
    optimizer.zero_grad(set_to_none=True)
    logits = model([clips])
    loss = nn.functional.cross_entropy(logits, targets)
    loss.backward()
    optimizer.step()
    return (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3


def prepared(name, batch, fmt):
    cfg, clip, _ = MODELS[name]
    torch.manual_seed(0)
    model = rm.build(cfg).train().to(memory_format=FORMATS[fmt])
    clips = torch.randn((batch, *clip)).contiguous(memory_format=FORMATS[fmt])
    targets = torch.arange(batch) % cfg["MODEL"]["NUM_CLASSES"]
    return model, optimizer_for(model), clips, targets


def measure(name, batch, threads, runs, warmup, fmt):
    """Runs in the child process: builds one model, picks the format, times training steps."""
    torch.set_num_threads(threads)
    if fmt == "auto":
        trial = {}
        for candidate in FORMATS:
            model, optimizer, clips, targets = prepared(name, batch, candidate)
            step(model, optimizer, clips, targets)  # first step pays one-time costs
            trial[candidate] = step(model, optimizer, clips, targets)[0]
            del model, optimizer, clips
        fmt = min(trial, key=trial.get)
        warmup = max(0, warmup - 1)
    model, optimizer, clips, targets = prepared(name, batch, fmt)
    for _ in range(warmup):
        step(model, optimizer, clips, targets)
    steps = sorted(step(model, optimizer, clips, targets) for _ in range(runs))
    median, cpu_ms = steps[len(steps) // 2]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return {"model": name, "batch": batch, "input": "x".join(map(str, MODELS[name][1][1:])),
            "threads": threads, "runs": runs, "ms": round(median, 2), "best_ms": round(steps[0][0], 2),
            "cpu_ms": round(cpu_ms, 2),
            "clips_per_s": round(batch / median * 1e3, 2), "format": fmt, "peak_mb": round(peak_mb, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="x3d_xs,x3d_s")
    parser.add_argument("--batch", type=int, help="clips per batch (default: 8 for X3D-XS, 4 for X3D-S, 2 for X3D-M)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--format", choices=["auto", *FORMATS], default="auto")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        batch = args.batch or MODELS[args.child][2]
        print(json.dumps(measure(args.child, batch, args.threads, args.runs, args.warmup, args.format)))
        return
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
        # A fresh process per model, so peak RSS belongs to that model alone.
        cmd = [sys.executable, __file__, "--child", name, "--threads", str(args.threads), "--runs", str(args.runs),
               "--warmup", str(args.warmup), "--format", args.format]
        if args.batch:
            cmd += ["--batch", str(args.batch)]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{name} failed:\n{result.stderr}")
        print(result.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
