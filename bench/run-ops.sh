#!/usr/bin/env bash
# Kernel benchmark: PyTorch (bench/ops_reference.py) and Cadence (cadence-bench ops) on the same shapes,
# 1 and 2 threads, run back to back so both see the same machine state.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
BENCH=${BENCH:-.build/release/cadence-bench}
mkdir -p bench/out
for threads in 1 2; do
    "$PYTHON" bench/ops_reference.py --threads "$threads" > "bench/out/ops-torch-$threads.jsonl"
    OMP_NUM_THREADS=$threads "$BENCH" ops --threads "$threads" --reference "bench/out/ops-torch-$threads.jsonl"
    echo
done
