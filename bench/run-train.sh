#!/usr/bin/env bash
# Training benchmark: one training step (forward, cross-entropy, backward, SGD with Nesterov momentum)
# of X3D-XS at batch 8 and X3D-S at batch 4, training crop 160, for Cadence (cadence-bench train) and
# PyTorch (bench/train_reference.py) at 1 and 2 threads. Every measurement is a fresh process. The two
# sides alternate (Cadence, PyTorch, Cadence, PyTorch, ...) for ROUNDS rounds so that both see the same
# machine state; the table gives the median of the rounds' median steps, the best single step, and the
# CPU time of a median step (which stays meaningful when other work shares the cores).
# Environment: PYTHON (default .venv/bin/python), BENCH (the release cadence-bench), ROUNDS (default 2),
# RUNS (timed steps per process; default 3), MODELS (default "x3d_xs:8 x3d_s:4", model:batch), THREADS.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
PYTHON=${PYTHON:-.venv/bin/python}
BENCH=${BENCH:-.build/release/cadence-bench}
ROUNDS=${ROUNDS:-2}
RUNS=${RUNS:-3}
MODELS=${MODELS:-x3d_xs:8 x3d_s:4}
THREADS=${THREADS:-1 2}
out=bench/out/train.jsonl
mkdir -p bench/out
: > "$out"

for threads in $THREADS; do
    for entry in $MODELS; do
        model=${entry%%:*} batch=${entry##*:}
        for _ in $(seq "$ROUNDS"); do
            OMP_NUM_THREADS=$threads "$BENCH" train --model "$model" --batch "$batch" --threads "$threads" \
                --runs "$RUNS" | sed "s/^{/{\"side\":\"cadence\",/" >> "$out"
            "$PYTHON" bench/train_reference.py --models "$model" --batch "$batch" --threads "$threads" \
                --runs "$RUNS" | sed "s/^{/{\"side\":\"pytorch\",/" >> "$out"
        done
        echo "measured $model batch $batch, $threads thread(s)" >&2
    done
done

"$PYTHON" - "$out" <<'PY'
import json, statistics, sys
from collections import defaultdict
NAMES = {"x3d_xs": "X3D-XS", "x3d_s": "X3D-S", "x3d_m": "X3D-M"}
rows = defaultdict(lambda: defaultdict(list))
order = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = (r["model"], r["batch"], r["threads"])
    if key not in order:
        order.append(key)
    rows[key][r["side"]].append(r)
def summary(records):
    return (statistics.median(r["ms"] for r in records), min(r["best_ms"] for r in records),
            statistics.median(r["cpu_ms"] for r in records), max(r["peak_mb"] for r in records))
print("| model | input | batch | threads | Cadence ms/step (median / best) | PyTorch ms/step (median / best) "
      "| clips/s Cadence / PyTorch | ratio (median / best) | CPU ms/step Cadence / PyTorch "
      "| peak MB Cadence / PyTorch |")
print("|---|---|---|---|---|---|---|---|---|---|")
for key in order:
    side = rows[key]
    c, p = summary(side["cadence"]), summary(side["pytorch"])
    fmt = side["pytorch"][0].get("format", "")
    batch = key[1]
    print(f"| {NAMES.get(key[0], key[0])} | {side['cadence'][0]['input']} | {batch} | {key[2]} "
          f"| {c[0]:.0f} / {c[1]:.0f} | {p[0]:.0f} / {p[1]:.0f} ({fmt}) "
          f"| {batch / c[0] * 1e3:.2f} / {batch / p[0] * 1e3:.2f} | {p[0] / c[0]:.2f} / {p[1] / c[1]:.2f} "
          f"| {c[2]:.0f} / {p[2]:.0f} | {c[3]:.0f} / {p[3]:.0f} |")
PY
echo
echo "Ratio is PyTorch time / Cadence time (>1: Cadence faster); clips/s = batch / median step time."
echo "Target: training throughput at least PyTorch's (ratio >= 1)."
