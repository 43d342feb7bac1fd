#!/usr/bin/env bash
# Speediness section of `make bench`: how well the bundled SpeedNet separates natural speed from 2x
# on the real clips it was not trained on (the held-out list in clips/README.md), as per-clip mean
# P(sped up) at 1x and 2x, per-clip AUC, and overall accuracy and ROC AUC over every window.
# Environment: BENCH (the release cadence-bench), WEIGHTS (default the bundled model), VIEWS
# (windows per clip and speed, default 8), THREADS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH=${BENCH:-.build/release/cadence-bench}
WEIGHTS=${WEIGHTS:-Sources/cadence/Resources/speednet.safetensors}
VIEWS=${VIEWS:-8}
THREADS=${THREADS:-2}
held_out=()
for name in hand-cup campus-walk plant coin-push diver ball-throw; do held_out+=("clips/real/$name.mp4"); done
"$BENCH" speediness --weights "$WEIGHTS" --views "$VIEWS" --threads "$THREADS" "${held_out[@]}"
