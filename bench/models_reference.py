#!/usr/bin/env python3
"""PyTorch side of the whole-model benchmark: inference latency of the PySlowFast reference models
(scripts/fixtures/reference_models, randomly initialised; values do not change the cost) at their
Kinetics input sizes, batch 1, eval mode, no_grad.

Prints one JSON line per model:
    {"model": ..., "input": ..., "threads": N, "ms": median, "best_ms": fastest, "runs": R, "format": ...,
     "peak_mb": ...}
`ms` is the median of R timed runs after the warm-up (at least W runs, and at least S seconds since
the first run), `best_ms` the fastest of them. `format` is the memory format used:
with `--format auto` each model runs once in channels_last_3d and once contiguous (NCDHW) and the
faster is timed (MViT runs on tokens, so it is always contiguous). `peak_mb` is the peak resident
set size of a fresh child process that built and ran only that model (weights, activations and
the torch runtime included).

Usage: models_reference.py [--threads N] [--runs R] [--warmup W] [--warmup-seconds S]
                           [--format auto|channels_last_3d|contiguous]
                           [--models x3d_xs,x3d_s,x3d_m,slowfast_8x8,mvit_b_16x4]
On a shared machine the numbers are noisy; the large models take seconds per run.
"""
import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts" / "fixtures"))
import reference_models as rm  # noqa: E402


def x3d(depth_factor, frames, crop):
    return {"MODEL": {"ARCH": "x3d", "NUM_CLASSES": 400},
            "DATA": {"NUM_FRAMES": frames, "TRAIN_CROP_SIZE": crop},
            "X3D": {"WIDTH_FACTOR": 2.0, "DEPTH_FACTOR": depth_factor, "BOTTLENECK_FACTOR": 2.25,
                    "DIM_C1": 12, "DIM_C5": 2048}}


MODELS = {
    "x3d_xs": (x3d(2.2, 4, 160), [(1, 3, 4, 160, 160)]),
    "x3d_s": (x3d(2.2, 13, 160), [(1, 3, 13, 160, 160)]),
    "x3d_m": (x3d(2.2, 16, 224), [(1, 3, 16, 224, 224)]),
    "slowfast_8x8": ({"MODEL": {"ARCH": "slowfast", "NUM_CLASSES": 400},
                      "DATA": {"NUM_FRAMES": 32, "TRAIN_CROP_SIZE": 224},
                      "RESNET": {"DEPTH": 50, "WIDTH_PER_GROUP": 64},
                      "SLOWFAST": {"ALPHA": 4, "BETA_INV": 8, "FUSION_CONV_CHANNEL_RATIO": 2,
                                   "FUSION_KERNEL_SZ": 7}},
                     [(1, 3, 8, 224, 224), (1, 3, 32, 224, 224)]),
    "mvit_b_16x4": ({"MODEL": {"ARCH": "mvit", "NUM_CLASSES": 400},
                     "DATA": {"NUM_FRAMES": 16, "TRAIN_CROP_SIZE": 224},
                     "MVIT": {"DEPTH": 16, "NUM_HEADS": 1, "EMBED_DIM": 96, "PATCH_KERNEL": [3, 7, 7],
                              "PATCH_STRIDE": [2, 4, 4], "PATCH_PADDING": [1, 3, 3],
                              "SEP_POS_EMBED": True, "DIM_MUL": [[1, 2.0], [3, 2.0], [14, 2.0]],
                              "HEAD_MUL": [[1, 2.0], [3, 2.0], [14, 2.0]],
                              "POOL_KVQ_KERNEL": [3, 3, 3], "POOL_KV_STRIDE_ADAPTIVE": [1, 8, 8],
                              "POOL_Q_STRIDE": [[1, 1, 2, 2], [3, 1, 2, 2], [14, 1, 2, 2]]}},
                    [(1, 3, 16, 224, 224)]),
}
FORMATS = {"channels_last_3d": torch.channels_last_3d, "contiguous": torch.contiguous_format}


def run_once(model, inputs):
    t0 = time.perf_counter()
    with torch.no_grad():
        model(inputs)
    return (time.perf_counter() - t0) * 1e3


def prepared(model, shapes, fmt):
    model = model.to(memory_format=FORMATS[fmt])
    return model, [torch.randn(s).contiguous(memory_format=FORMATS[fmt]) for s in shapes]


def measure(name, threads, runs, warmup, fmt, warmup_seconds):
    """Runs in the child process: builds one model, picks the format, times it."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg, shapes = MODELS[name]
    model = rm.build(cfg).eval()
    warmup_start = time.perf_counter()
    if cfg["MODEL"]["ARCH"] == "mvit":
        fmt = "contiguous"
    if fmt == "auto":
        trial = {}
        for candidate in FORMATS:
            m, xs = prepared(model, shapes, candidate)
            run_once(m, xs)  # first run pays one-time costs (allocation, oneDNN primitive creation)
            trial[candidate] = run_once(m, xs)
        fmt = min(trial, key=trial.get)
        warmup = max(0, warmup - 1)
    model, inputs = prepared(model, shapes, fmt)
    # At least `warmup` runs, and until `warmup_seconds` have passed since the format trials began
    # (as cadence-bench models does).
    warmed = 0
    while warmed < warmup or time.perf_counter() - warmup_start < warmup_seconds:
        run_once(model, inputs)
        warmed += 1
    times = sorted(run_once(model, inputs) for _ in range(runs))
    mid = len(times) // 2
    median = times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    return {"model": name, "input": "+".join("x".join(map(str, s[2:])) for s in shapes),
            "threads": threads, "ms": round(median, 2), "best_ms": round(times[0], 2), "runs": runs,
            "format": fmt, "peak_mb": round(peak_mb, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--warmup-seconds", type=float, default=0.3)
    parser.add_argument("--format", choices=["auto", *FORMATS], default="auto")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.threads, args.runs, args.warmup, args.format,
                                 args.warmup_seconds)))
        return
    for name in args.models.split(","):
        if name not in MODELS:
            sys.exit(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
        # A fresh process per model, so peak RSS belongs to that model alone.
        cmd = [sys.executable, __file__, "--child", name, "--threads", str(args.threads),
               "--runs", str(args.runs), "--warmup", str(args.warmup), "--warmup-seconds",
               str(args.warmup_seconds), "--format", args.format]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{name} failed:\n{result.stderr}")
        print(result.stdout.strip(), flush=True)


if __name__ == "__main__":
    main()
