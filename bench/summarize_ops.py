#!/usr/bin/env python3
"""Summarises several rounds of `bench/run-ops.sh` output: for each row and thread count, the speed-up
over PyTorch (by best run) in every round and its median across rounds. One round's ratio moves with the
host's load; the median of rounds that alternate PyTorch and Cadence is the figure to compare with a
target.

Usage: summarize_ops.py OUTPUT.txt   (the tables `cadence-bench ops` printed, rounds one after another)
"""
import re
import statistics
import sys

HEADER = re.compile(r"^Cadence kernels, (\d+) thread")
RATIO = re.compile(r"^\| (.+?) \|.*\| ([0-9.]+)x \| ([0-9.]+)x \|$")


def main(path):
    ratios = {}  # (row, threads) -> [best-run speed-up per round]
    threads = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            header = HEADER.match(line)
            if header:
                threads = int(header.group(1))
                continue
            row = RATIO.match(line.strip())
            if row and threads is not None:
                ratios.setdefault((row.group(1), threads), []).append(float(row.group(2)))
    if not ratios:
        sys.exit(f"{path}: no rows with a PyTorch ratio (was ops_reference.py run beside it?)")
    print("| row | threads | speed-up by round (best run) | median of rounds |")
    print("|---|---:|---|---:|")
    for (name, n), values in ratios.items():
        rounds = " / ".join(f"{v:.2f}x" for v in values)
        print(f"| {name} | {n} | {rounds} | {statistics.median(values):.2f}x |")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
