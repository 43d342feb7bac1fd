#!/usr/bin/env bash
# Whole-model benchmark: batch-1 inference latency and peak memory of Cadence (cadence-bench models)
# and PyTorch (bench/models_reference.py) on the same models, inputs and thread counts (1 and 2).
# Every measurement is a fresh process, so its peak RSS belongs to that model alone. The two sides
# alternate (Cadence, PyTorch, Cadence, PyTorch, ...) for ROUNDS rounds so that both see the same
# machine state; the table gives the median of the rounds' medians and the best single run. Both sides
# warm up for at least 0.3 s before timing (their --warmup-seconds default).
# Environment: PYTHON (default .venv/bin/python), BENCH (the release cadence-bench), ROUNDS (default 2),
# RUNS (timed runs per process; default 7 for X3D-XS/S, 3 for the larger models), MODELS, THREADS.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
PYTHON=${PYTHON:-.venv/bin/python}
BENCH=${BENCH:-.build/release/cadence-bench}
ROUNDS=${ROUNDS:-2}
MODELS=${MODELS:-x3d_xs x3d_s x3d_m slowfast_8x8 mvit_b_16x4}
THREADS=${THREADS:-1 2}
out=bench/out/models.jsonl
mkdir -p bench/out
: > "$out"

# The reference script names SlowFast 8x8 without the depth; Cadence's preset has it.
cadence_name() { [ "$1" = slowfast_8x8 ] && echo slowfast_r50_8x8 || echo "$1"; }
runs_for() {
    if [ -n "${RUNS:-}" ]; then echo "$RUNS"; else case $1 in x3d_xs|x3d_s) echo 7 ;; *) echo 3 ;; esac; fi
}

for threads in $THREADS; do
    for model in $MODELS; do
        runs=$(runs_for "$model")
        for _ in $(seq "$ROUNDS"); do
            OMP_NUM_THREADS=$threads "$BENCH" models --model "$(cadence_name "$model")" --threads "$threads" \
                --runs "$runs" | sed "s/^{/{\"side\":\"cadence\",\"key\":\"$model\",/" >> "$out"
            "$PYTHON" bench/models_reference.py --models "$model" --threads "$threads" --runs "$runs" \
                | sed "s/^{/{\"side\":\"pytorch\",\"key\":\"$model\",/" >> "$out"
        done
        echo "measured $model, $threads thread(s)" >&2
    done
done

"$PYTHON" - "$out" <<'PY'
import json, statistics, sys
from collections import defaultdict
NAMES = {"x3d_xs": "X3D-XS", "x3d_s": "X3D-S", "x3d_m": "X3D-M", "slowfast_8x8": "SlowFast R50 8x8",
         "mvit_b_16x4": "MViT-B 16x4"}
rows = defaultdict(lambda: defaultdict(list))
order = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = (r["key"], r["threads"])
    if key not in order:
        order.append(key)
    rows[key][r["side"]].append(r)
def summary(records):
    return (statistics.median(r["ms"] for r in records), min(r["best_ms"] for r in records),
            max(r["peak_mb"] for r in records))
print("| model | input | threads | Cadence ms (median / best) | PyTorch ms (median / best) | ratio (median / best) "
      "| Cadence peak MB | PyTorch peak MB |")
print("|---|---|---|---|---|---|---|---|")
for key in order:
    side = rows[key]
    c, p = summary(side["cadence"]), summary(side["pytorch"])
    fmt = side["pytorch"][0].get("format", "")
    print(f"| {NAMES.get(key[0], key[0])} | {side['cadence'][0]['input']} | {key[1]} | {c[0]:.1f} / {c[1]:.1f} "
          f"| {p[0]:.1f} / {p[1]:.1f} ({fmt}) | {p[0] / c[0]:.2f} / {p[1] / c[1]:.2f} | {c[2]:.0f} | {p[2]:.0f} |")
PY
echo
echo "Ratio is PyTorch time / Cadence time (>1: Cadence faster). Peak MB is the peak RSS of a fresh process"
echo "per model (runtime, weights and activations). Targets: X3D at most half PyTorch's time (ratio >= 2),"
echo "SlowFast and MViT no slower (ratio >= 1), peak memory no higher than PyTorch's."
