#!/usr/bin/env python3
"""Reference side of the extraction benchmark (bench/run-extract.sh): PyTorch + decord doing the work
`cadence extract --model x3d_s --layer head_features --clips N` does.

    extract_reference.py weights W.safetensors            # random X3D-S with PySlowFast keys (one-time)
    extract_reference.py run --weights W --out DIR --threads T --clips N VIDEO...
    extract_reference.py compare A.npy B.npy              # relative difference of two feature files

Per video: decord VideoReader(num_threads=T); N uniform test clips (PySlowFast's start
`delta * i / N`, `linspace(start, start + clipSize - 1, 13)` clamped and truncated, clipSize =
13 * 6 / 30 * fps); get_batch of the clip's frames; short side scaled to 182 (bilinear, long side
floored, as PySlowFast); centre crop 182; (x / 255 - 0.45) / 0.225; X3D-S (eval, no_grad) up to the
head's lin_5 + ReLU, averaged over positions; [N, 2048] saved as DIR/NAME.npy.
"""
import argparse
import json
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))

FRAMES, SAMPLING_RATE, TEST_SIZE, TRAIN_CROP = 13, 6, 182, 160
MEAN, STD = 0.45, 0.225


def x3d_s_config():
    return {"MODEL": {"ARCH": "x3d", "NUM_CLASSES": 400},
            "DATA": {"NUM_FRAMES": FRAMES, "TRAIN_CROP_SIZE": TRAIN_CROP},
            "X3D": {"WIDTH_FACTOR": 2.0, "DEPTH_FACTOR": 2.2, "BOTTLENECK_FACTOR": 2.25,
                    "DIM_C1": 12, "DIM_C5": 2048, "SCALE_RES2": False, "BN_LIN5": False,
                    "CHANNELWISE_3x3x3": True}}


def build_model():
    import reference_models as rm
    return rm.build(x3d_s_config())


# ---- safetensors, by hand (the venv need not have the package) ----

DTYPES = {torch.float32: "F32", torch.int64: "I64"}
NUMPY = {"F32": np.float32, "I64": np.int64}


def save_safetensors(tensors, path):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for key in sorted(tensors):
        raw = tensors[key].contiguous().numpy().tobytes()
        header[key] = {"dtype": DTYPES[tensors[key].dtype], "shape": list(tensors[key].shape),
                       "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keeps the data 8-byte aligned
    Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def load_safetensors(path):
    data = Path(path).read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + size])
    header.pop("__metadata__", None)
    body = memoryview(data)[8 + size:]
    out = {}
    for key, info in header.items():
        start, end = info["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=NUMPY[info["dtype"]]).reshape(info["shape"])
        out[key] = torch.from_numpy(array.copy())
    return out


def make_weights(path):
    """Random but well-scaled X3D-S weights (fixture recipe: fan-in init, BN calibrated on noise)."""
    from models import calibrate_bn, randomize
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = build_model()
    randomize(model, gen)
    calibrate_bn(model, [torch.randn(1, 3, FRAMES, TRAIN_CROP, TRAIN_CROP, generator=gen)], gen)
    save_safetensors({k: v.detach().contiguous() for k, v in model.state_dict().items()}, path)


# ---- sampling and preprocessing, mirroring ExtractionClips / TemporalSampling ----

def clip_indices(view, views, video_frames, fps):
    size = max(1.0, SAMPLING_RATE * FRAMES / 30.0 * fps)
    delta = max(video_frames - size, 0.0)
    start = delta * view / views
    index = torch.linspace(start, start + size - 1, FRAMES)
    return torch.clamp(index, 0, max(video_frames - 1, 0)).long().tolist()


def scaled_size(width, height, side):
    if (width <= height and width == side) or (height <= width and height == side):
        return width, height
    if width < height:
        return side, int(math.floor(height / width * side))
    return int(math.floor(width / height * side)), side


def preprocess(frames):
    """uint8 [T, H, W, 3] -> float [1, 3, T, 182, 182]."""
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float()  # T, 3, H, W
    height, width = x.shape[2], x.shape[3]
    w, h = scaled_size(width, height, TEST_SIZE)
    if (w, h) != (width, height):
        x = F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    y0, x0 = math.ceil((h - TEST_SIZE) / 2), math.ceil((w - TEST_SIZE) / 2)
    x = x[:, :, y0:y0 + TEST_SIZE, x0:x0 + TEST_SIZE]
    x = (x / 255.0 - MEAN) / STD
    return x.permute(1, 0, 2, 3).unsqueeze(0)


def head_features(model, x):
    """The pooled embedding before the classifier: lin_5 + ReLU, averaged over positions -> [2048]."""
    feats = [x]
    for name in ("s1", "s2", "s3", "s4", "s5"):
        feats = getattr(model, name)(feats)
    head = model.head
    y = head.conv_5_relu(head.conv_5_bn(head.conv_5(feats[0])))
    y = head.lin_5_relu(head.lin_5(head.avg_pool(y)))
    return y.mean(dim=(2, 3, 4))[0]


def run(args):
    import decord
    torch.set_num_threads(args.threads)
    model = build_model()
    model.load_state_dict(load_safetensors(args.weights))
    model.eval()
    fmt = torch.channels_last_3d if args.format == "channels_last_3d" else torch.contiguous_format
    model = model.to(memory_format=fmt)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with torch.no_grad():
        for path in args.videos:
            reader = decord.VideoReader(path, num_threads=args.threads)
            count, fps = len(reader), reader.get_avg_fps() or 30.0
            rows = []
            for view in range(args.clips):
                frames = reader.get_batch(clip_indices(view, args.clips, count, fps)).asnumpy()
                x = preprocess(frames).contiguous(memory_format=fmt)
                rows.append(head_features(model, x).numpy())
            np.save(out / (Path(path).name + ".npy"), np.stack(rows).astype(np.float32))
    print(json.dumps({"videos": len(args.videos), "seconds": round(time.perf_counter() - start, 3)}),
          file=sys.stderr)


def compare(a, b):
    x, y = np.load(a).astype(np.float64), np.load(b).astype(np.float64)
    if x.shape != y.shape:
        sys.exit(f"shapes differ: {x.shape} vs {y.shape}")
    rel = np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-30)
    cos = float((x * y).sum() / max(np.linalg.norm(x) * np.linalg.norm(y), 1e-30))
    print(f"shape {list(x.shape)}: relative L2 difference {rel:.4f}, cosine similarity {cos:.5f}, "
          f"max |diff| {np.abs(x - y).max():.4g} (max |ref| {np.abs(y).max():.4g})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("weights")
    w.add_argument("path")
    r = sub.add_parser("run")
    r.add_argument("--weights", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--threads", type=int, default=1)
    r.add_argument("--clips", type=int, default=2)
    r.add_argument("--format", choices=["channels_last_3d", "contiguous"], default="channels_last_3d")
    r.add_argument("videos", nargs="+")
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    args = parser.parse_args()
    if args.command == "weights":
        make_weights(args.path)
    elif args.command == "run":
        run(args)
    else:
        compare(args.a, args.b)


if __name__ == "__main__":
    main()
