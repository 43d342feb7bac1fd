#!/usr/bin/env python3
"""PyTorch side of `cadence-bench ops`: times the same op shapes and prints one JSON line per row,
{"name", "min_ms": best run, "ms": median run, "format": memory format}. Each convolution row is timed with
both channels_last_3d (oneDNN's fastest path for most 3D convs) and the default contiguous NCDHW
layout (faster for some 1x1x1 shapes here), and the faster one (by best run) is reported, so Cadence is always
compared with PyTorch's best. Backward rows call aten's convolution_backward / batch-norm backward
directly (data and weight gradients), so no autograd graph is timed.

With --serve it prints {"ready": true} once its tensors exist, then reads row names from stdin, one per
line, and answers each with the row's JSON line.
`cadence-bench ops --reference-command` drives it that way, so that each row's PyTorch and Cadence
timings alternate within seconds of each other and meet the same load on a shared machine.

Usage: ops_reference.py --threads N [--only TEXT] [--serve]
"""
import argparse
import json
import sys
import time

import torch

CL = torch.channels_last_3d


def timings_ms(fn, min_runs=5, min_seconds=0.3):
    """(best, median) of the runs in milliseconds, after one warm-up run."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or (time.perf_counter() - start < min_seconds and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[0], times[len(times) // 2]


def conv_rows(name, cin, cout, size, kernel, stride=(1, 1, 1), padding=(0, 0, 0), groups=1):
    fns = {fmt: conv_fns(fmt, cin, cout, size, kernel, stride, padding, groups) for fmt in FORMATS}
    return [(name + " fwd", {fmt: f[0] for fmt, f in fns.items()}),
            (name + " bwd", {fmt: f[1] for fmt, f in fns.items()})]


FORMATS = {"channels_last_3d": CL, "contiguous": torch.contiguous_format}


def conv_fns(fmt, cin, cout, size, kernel, stride, padding, groups):
    memory_format = FORMATS[fmt]
    x = torch.randn(1, cin, *size).to(memory_format=memory_format)
    w = torch.randn(cout, cin // groups, *kernel).to(memory_format=memory_format)
    with torch.no_grad():
        y = torch.nn.functional.conv3d(x, w, None, stride, padding, 1, groups)
    gy = torch.randn_like(y).contiguous(memory_format=memory_format)

    def forward():
        with torch.no_grad():
            torch.nn.functional.conv3d(x, w, None, stride, padding, 1, groups)

    def backward():
        torch.ops.aten.convolution_backward(gy, x, w, None, list(stride), list(padding), [1, 1, 1], False,
                                            [0, 0, 0], groups, [True, True, False])

    return forward, backward


def batch_norm_rows(name, c, size):
    x = torch.randn(1, c, *size).to(memory_format=CL)
    gamma, beta = torch.randn(c), torch.randn(c)
    mean, var = torch.zeros(c), torch.ones(c)
    gy = torch.randn_like(x)
    _, save_mean, save_invstd = torch.ops.aten.native_batch_norm(x, gamma, beta, mean, var, True, 0.1, 1e-5)

    def forward():
        torch.ops.aten.native_batch_norm(x, gamma, beta, mean, var, True, 0.1, 1e-5)

    def eval_forward():
        torch.ops.aten.native_batch_norm(x, gamma, beta, mean, var, False, 0.1, 1e-5)

    def backward():
        torch.ops.aten.native_batch_norm_backward(gy, x, gamma, mean, var, save_mean, save_invstd, True, 1e-5,
                                                  [True, True, True])

    return [(name + " train fwd", {"channels_last_3d": forward}),
            (name + " eval fwd", {"channels_last_3d": eval_forward}),
            (name + " bwd", {"channels_last_3d": backward})]


def gemm_rows(n):
    a, b = torch.randn(n, n), torch.randn(n, n)
    return [(f"gemm {n}", {"dense": lambda: torch.mm(a, b)})]


def all_rows():
    rows = []
    rows += conv_rows("pw 24>54 16x56x56", 24, 54, (16, 56, 56), (1, 1, 1))
    rows += conv_rows("pw 54>24 16x56x56", 54, 24, (16, 56, 56), (1, 1, 1))
    rows += conv_rows("dw3 C54 16x56x56", 54, 54, (16, 56, 56), (3, 3, 3), padding=(1, 1, 1), groups=54)
    rows += conv_rows("dw3 C216 16x14x14", 216, 216, (16, 14, 14), (3, 3, 3), padding=(1, 1, 1), groups=216)
    # X3D-M's res5 after its first block: rows too short for the packed bands.
    rows += conv_rows("dw3 C432 16x7x7", 432, 432, (16, 7, 7), (3, 3, 3), padding=(1, 1, 1), groups=432)
    # The first block of X3D-M's res2 to res5: stride 2 along H and W.
    for c, size in [(54, 112), (108, 56), (216, 28), (432, 14)]:
        rows += conv_rows(f"dw3s2 C{c} 16x{size}x{size}", c, c, (16, size, size), (3, 3, 3), stride=(1, 2, 2),
                          padding=(1, 1, 1), groups=c)
    # X3D's stem: its temporal depthwise conv, 5 frames, at 112x112.
    rows += conv_rows("dwt5 C24 16x112x112", 24, 24, (16, 112, 112), (5, 1, 1), padding=(2, 0, 0), groups=24)
    rows += conv_rows("t3 1024>256 8x14x14", 1024, 256, (8, 14, 14), (3, 1, 1), padding=(1, 0, 0))
    rows += conv_rows("s3 256>256 8x14x14", 256, 256, (8, 14, 14), (1, 3, 3), padding=(0, 1, 1))
    rows += conv_rows("stem 3>64 8x224x224", 3, 64, (8, 224, 224), (1, 7, 7), stride=(1, 2, 2), padding=(0, 3, 3))
    rows += batch_norm_rows("bn C54 16x56x56", 54, (16, 56, 56))
    rows += gemm_rows(1024)
    return rows


def timed_row(name, variants):
    """The row's JSON line, for its fastest memory format (by best run)."""
    best, median, fmt = sorted(timings_ms(fn) + (fmt,) for fmt, fn in variants.items())[0]
    return json.dumps({"name": name, "min_ms": best, "ms": median, "format": fmt})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="", help="only rows whose name contains this text")
    parser.add_argument("--serve", action="store_true", help="time the rows named on stdin, one per line")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = [(name, variants) for name, variants in all_rows() if args.only in name]
    if args.serve:
        table = dict(rows)
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            name = line.strip()
            if name in table:
                print(timed_row(name, table[name]), flush=True)
            else:
                print(json.dumps({"name": name, "error": "no such row"}), flush=True)
        return
    for name, variants in rows:
        print(timed_row(name, variants), flush=True)


if __name__ == "__main__":
    main()
