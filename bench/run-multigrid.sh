#!/usr/bin/env bash
# Multigrid benchmark: trains the same model on the same clips twice, once with the baseline
# schedule (EPOCHS epochs at the full clip shape) and once with `--multigrid long+short` (the
# paper's budget: 1.5x the epochs, most of them at smaller shapes and larger batches), and reports
# the wall-clock time each run needs to first reach the baseline's final validation accuracy, their
# ratio, and both final accuracies. Both runs share every other option, the seed and the machine,
# and run at the same time on a core each.
# Environment: CADENCE (the release cadence), DATA (default clips/actions), PER_CLASS (training clips
# per class taken from DATA, default 24: the first version of the action set), EPOCHS (default 40),
# THREADS (threads per run, default 1), EXTRA (more `cadence train` options; default the first stage of the bundled
# model's recipe). Two runs of a few hundred clip-epochs each: about 35 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
CADENCE=${CADENCE:-.build/release/cadence}
DATA=${DATA:-clips/actions}
PER_CLASS=${PER_CLASS:-24}
EPOCHS=${EPOCHS:-40}
THREADS=${THREADS:-1}
EXTRA=${EXTRA:---frames 8 --sampling-rate 4 --crop 80 --jitter 80:100 --test-crop 80 --batch 8 --lr 0.02 --warmup-epochs 2 --seed 1}
out=bench/out/multigrid
rm -rf "$out"
mkdir -p "$out"

# The first PER_CLASS training clips of every class (symlinks), and the whole validation split.
subset="$out/data"
for folder in "$DATA"/train/*/; do
    class=$(basename "$folder")
    mkdir -p "$subset/train/$class"
    find "$folder" -maxdepth 1 -type f | sort | head -n "$PER_CLASS" | while read -r clip; do
        ln -s "$(realpath "$clip")" "$subset/train/$class/"
    done
done
ln -s "$(realpath "$DATA/val")" "$subset/val"
DATA=$subset

# Both runs at once, one core each (THREADS per run), so they meet the same machine load.
# shellcheck disable=SC2086
"$CADENCE" train "$DATA" --run "$out/baseline" --epochs "$EPOCHS" --threads "$THREADS" $EXTRA --json \
    > "$out/baseline.log" &
baseline=$!
# shellcheck disable=SC2086
"$CADENCE" train "$DATA" --run "$out/multigrid" --epochs "$EPOCHS" --threads "$THREADS" $EXTRA \
    --multigrid long+short --json > "$out/multigrid.log" &
multigrid=$!
wait "$baseline" && echo "trained the baseline" >&2
wait "$multigrid" && echo "trained with multigrid long+short" >&2

python3 - "$out" <<'PY'
import json, sys
root = sys.argv[1]
def records(name):
    with open(f"{root}/{name}/metrics.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]
def time_to(rows, target):
    elapsed = 0.0
    for row in rows:
        elapsed += row["epoch_seconds"]
        if row["val_top1"] >= target - 1e-9:
            return elapsed, row["epoch"]
    return None, None
base, multi = records("baseline"), records("multigrid")
target = base[-1]["val_top1"]
bt, be = time_to(base, target)
mt, me = time_to(multi, target)
total_b = sum(r["epoch_seconds"] for r in base)
total_m = sum(r["epoch_seconds"] for r in multi)
print(f"| schedule | epochs | wall-clock total | time to {target:.1f}% val top-1 (epoch) | final val top-1 |")
print("|---|---|---|---|---|")
print(f"| baseline | {len(base)} | {total_b:.0f} s | {bt:.0f} s ({be}) | {base[-1]['val_top1']:.1f}% |")
reach = f"{mt:.0f} s ({me})" if mt is not None else "not reached"
print(f"| multigrid long+short | {len(multi)} | {total_m:.0f} s | {reach} | {multi[-1]['val_top1']:.1f}% |")
if mt is not None:
    print(f"\nmultigrid reaches the baseline's final accuracy {bt / mt:.2f}x sooner; "
          f"final accuracy {multi[-1]['val_top1'] - base[-1]['val_top1']:+.1f} points")
print(f"multigrid's whole schedule takes {total_b / total_m:.2f}x less wall-clock time than the baseline's")
PY
