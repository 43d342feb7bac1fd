#!/usr/bin/env bash
# Kernel benchmark: PyTorch (bench/ops_reference.py) and Cadence (cadence-bench ops) on the same shapes,
# 1 and 2 threads. The two take turns row by row (three turns each), so both see the same machine state.
#   ROUNDS=N  repeats the whole comparison N times (default 1): on a shared machine the rounds show how
#             far the ratios move with the host's load. With N > 1 a last table gives each row's
#             speed-up in every round and the median across rounds (bench/summarize_ops.py).
#   ONLY=TEXT keeps only the rows whose name contains TEXT (for example ONLY=dw3).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
BENCH=${BENCH:-.build/release/cadence-bench}
ROUNDS=${ROUNDS:-1}
FILTER=()
[ -n "${ONLY:-}" ] && FILTER=(--only "$ONLY")
mkdir -p bench/out
LOG=bench/out/ops-rounds.txt
: > "$LOG"
for round in $(seq "$ROUNDS"); do
    [ "$ROUNDS" -gt 1 ] && echo "Round $round of $ROUNDS" && echo
    for threads in 1 2; do
        OMP_NUM_THREADS=$threads "$BENCH" ops --threads "$threads" "${FILTER[@]}" \
            --reference-command "$PYTHON bench/ops_reference.py --serve --threads $threads" \
            | tee -a "$LOG"
        echo
    done
done
if [ "$ROUNDS" -gt 1 ]; then
    echo "Across the $ROUNDS rounds:"
    echo
    "$PYTHON" bench/summarize_ops.py "$LOG"
fi
