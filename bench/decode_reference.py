#!/usr/bin/env python3
"""Reference side of the decode benchmark (bench/run-decode.sh).

`run` times one implementation (ffmpeg CLI, PyAV or decord) on one video in one mode and prints a JSON
line shaped like `cadence-bench decode`'s; `table` reads all JSON lines and prints a markdown table.
Modes: full (every frame to RGB at native size), resize (every frame to RGB, short side scaled),
sample (N uniformly spaced frames, opening included).
"""
import argparse
import json
import subprocess
import sys
import time


def short_side_size(width, height, side):
    # PySlowFast's rule, as Cadence's Resize.shortSide: long side floored.
    if width <= height:
        return side, int(height / width * side)
    return int(width / height * side), side


def uniform_indices(count, frames):
    import numpy as np
    return np.linspace(0, frames - 1, count, dtype=np.float32).astype(np.int64).tolist()


def probe(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                          "-show_entries", "stream=width,height,nb_read_packets", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    stream = json.loads(out)["streams"][0]
    return stream["width"], stream["height"], int(stream["nb_read_packets"])


def ffmpeg_cli(path, mode, threads, side, output):
    width, height, frames = probe(path)
    args = ["ffmpeg", "-v", "error", "-threads", str(threads), "-i", path]
    if mode == "resize":
        w, h = short_side_size(width, height, side)
        args += ["-vf", f"scale={w}:{h}"]
    if output == "null":
        args += ["-f", "null", "-"]
    else:
        args += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-y", "/dev/null"]
    subprocess.run(args, check=True)
    return frames


def pyav(path, mode, threads, side, count):
    import av
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = threads
        size = None
        if mode == "resize":
            size = short_side_size(stream.codec_context.width, stream.codec_context.height, side)
        wanted = None
        if mode == "sample":
            # PyTorchVideo's PyAV path: decode everything, keep the sampled frames.
            wanted = set(uniform_indices(count, stream.frames))
        n = 0
        for i, frame in enumerate(container.decode(stream)):
            if wanted is not None and i not in wanted:
                continue
            if size:
                # Bicubic, as Cadence and the ffmpeg CLI scale (PyAV's default is bilinear).
                frame.reformat(width=size[0], height=size[1], format="rgb24", interpolation="BICUBIC").to_ndarray()
            else:
                frame.to_ndarray(format="rgb24")
            n += 1
        return n


def decord_reader(path, mode, threads, side, count):
    import decord
    if mode == "resize":
        probe_reader = decord.VideoReader(path)
        h, w, _ = probe_reader[0].shape
        del probe_reader
        tw, th = short_side_size(w, h, side)
        reader = decord.VideoReader(path, num_threads=threads, width=tw, height=th)
    else:
        reader = decord.VideoReader(path, num_threads=threads)
    total = len(reader)
    if mode == "sample":
        return len(reader.get_batch(uniform_indices(count, total)).asnumpy())
    n = 0
    for start in range(0, total, 32):
        n += len(reader.get_batch(list(range(start, min(start + 32, total)))).asnumpy())
    return n


def run(args):
    best, frames = float("inf"), 0
    for _ in range(args.repeats):
        start = time.perf_counter()
        if args.impl in ("ffmpeg-null", "ffmpeg-rgb24"):
            frames = ffmpeg_cli(args.video, args.mode, args.threads, args.short_side, args.impl.split("-")[1])
        elif args.impl == "pyav":
            frames = pyav(args.video, args.mode, args.threads, args.short_side, args.frames)
        else:
            frames = decord_reader(args.video, args.mode, args.threads, args.short_side, args.frames)
        best = min(best, time.perf_counter() - start)
    print(json.dumps({"bench": "decode", "impl": args.impl, "mode": args.mode, "video": args.video,
                      "threads": args.threads, "frames": frames, "seconds": best, "fps": frames / best},
                     sort_keys=True))


def table(path):
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    impls = ["cadence", "ffmpeg-null", "ffmpeg-rgb24", "pyav", "decord"]
    fps = {}
    for r in rows:  # the fastest of the interleaved rounds
        key = (r["video"], r["mode"], r["impl"])
        fps[key] = max(fps.get(key, 0), r["fps"])
    videos = sorted({r["video"] for r in rows})
    print("| video | mode | " + " | ".join(f"{i} frames/s" for i in impls) + " | cadence / ffmpeg-rgb24 | cadence / ffmpeg-null | cadence / PyAV | cadence / decord |")
    print("|---|---|" + "---:|" * (len(impls) + 4))
    for video in videos:
        for mode in ["full", "resize", "sample"]:
            ours = fps.get((video, mode, "cadence"))
            if ours is None:
                continue
            cells = [f"{fps[(video, mode, i)]:.1f}" if (video, mode, i) in fps else "–" for i in impls]
            ratios = []
            for other in ["ffmpeg-rgb24", "ffmpeg-null", "pyav", "decord"]:
                theirs = fps.get((video, mode, other))
                ratios.append(f"{ours / theirs:.2f}x" if theirs else "–")
            print(f"| {video.split('/')[-1]} | {mode} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--impl", required=True, choices=["ffmpeg-null", "ffmpeg-rgb24", "pyav", "decord"])
    r.add_argument("--video", required=True)
    r.add_argument("--mode", required=True, choices=["full", "resize", "sample"])
    r.add_argument("--threads", type=int, default=0)
    r.add_argument("--short-side", type=int, default=256)
    r.add_argument("--frames", type=int, default=32)
    r.add_argument("--repeats", type=int, default=3)
    t = sub.add_parser("table")
    t.add_argument("results")
    args = parser.parse_args()
    if args.command == "run":
        run(args)
    else:
        table(args.results)


if __name__ == "__main__":
    sys.exit(main())
