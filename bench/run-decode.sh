#!/usr/bin/env bash
# Decode benchmark: Cadence's VideoReader against the ffmpeg CLI, PyAV and decord, same files, same
# threads, same run. Makes a 360p and a 720p H.264 clip of 20 s in bench/out/ (not committed), then
# times every frame to RGB at native size, every frame resized to short side 256 (bicubic everywhere),
# and 32 uniformly spaced frames. Implementations take turns for ROUNDS rounds (default 3) and the
# fastest round of each counts, so a burst of load elsewhere on the machine hurts all of them alike.
# THREADS (default: the number of cores) sets the decoding threads of every implementation.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${THREADS:-$(nproc)}
rounds=${ROUNDS:-3}
python=.venv/bin/python
bench=.build/release/cadence-bench
out=bench/out
mkdir -p "$out"

make_clip() {  # name size: 20 s at 30 fps, lightly textured (about 3 Mbit/s at 720p), B-frames, a keyframe every 2 s
    local file="$out/$1.mp4"
    [ -s "$file" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=$2:rate=30,noise=alls=5:allf=t" -t 20 \
        -c:v libx264 -preset veryfast -crf 23 -g 60 -pix_fmt yuv420p "$file"
    echo "$file"
}
clips=("$(make_clip h264-360p 640x360)" "$(make_clip h264-720p 1280x720)")

results="$out/decode-results.jsonl"
: > "$results"
for round in $(seq "$rounds"); do
    for clip in "${clips[@]}"; do
        for mode in full resize sample; do
            "$bench" decode --video "$clip" --mode "$mode" --threads "$threads" --repeats 1 >> "$results"
            impls=(pyav decord)
            [ "$mode" = sample ] || impls=(ffmpeg-null ffmpeg-rgb24 "${impls[@]}")
            for impl in "${impls[@]}"; do
                "$python" bench/decode_reference.py run --impl "$impl" --video "$clip" --mode "$mode" \
                    --threads "$threads" --repeats 1 >> "$results" || echo "($impl $mode failed)" >&2
            done
        done
    done
done
echo "Decode, frames/s ($threads threads, fastest of $rounds rounds; sample mode counts the 32 returned frames):"
"$python" bench/decode_reference.py table "$results"
echo "Targets: resize >= 1.3x PyAV, sample >= 1.0x decord, full >= 0.9x ffmpeg-rgb24."

# Bounded memory: streaming every frame of a 1080p video keeps peak resident memory flat, whatever
# the video's length.
echo
echo "Streaming 1080p H.264 to RGB, peak resident memory:"
for seconds in 5 60; do
    file="$out/h264-1080p-${seconds}s.mp4"
    [ -s "$file" ] || ffmpeg -v error -y -f lavfi -i "testsrc2=size=1920x1080:rate=30" -t "$seconds" \
        -c:v libx264 -preset ultrafast -g 60 -pix_fmt yuv420p "$file"
    "$bench" decode --video "$file" --mode full --threads "$threads" --repeats 1 \
        | "$python" -c 'import json,sys; r=json.loads(sys.stdin.read()); print("  %5d frames: %.0f MiB peak" % (r["frames"], r["peak_rss_mb"]))'
done
