"""CLIP image-encoding throughput (images/s) on the available device, preprocessing included.

Random-init weights: throughput does not depend on the weight values, and no download is needed.

    python benchmarks/bench_clip.py                                  # default model + ViT-B-32
    python benchmarks/bench_clip.py --models ViT-L-14-336 --device cuda --batch-size 128
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from seg_pipeline.features.encoder import EncoderSettings, load_encoder
from seg_pipeline.features.models import TINY_MODEL


def images_per_second(model: str, device: str, batch_size: int, batches: int, frame_size: tuple[int, int]) -> dict:
    encoder = load_encoder(EncoderSettings(model=model, weights="none", device=device, batch_size=batch_size))
    height, width = frame_size
    frames = np.random.default_rng(0).integers(0, 256, size=(batch_size, height, width, 3), dtype=np.uint8)
    encoder.encode(frames)  # warm-up: kernels, allocator, autocast caches
    if encoder.device.type == "cuda":
        torch.cuda.synchronize()
    prepare_s = encode_s = 0.0
    for _ in range(batches):
        started = time.perf_counter()
        prepared = encoder.prepare(frames)
        if encoder.device.type == "cuda":
            torch.cuda.synchronize()
        prepare_s += time.perf_counter() - started
        started = time.perf_counter()
        out = encoder.encode_prepared(prepared)  # returns host numpy: the batch is complete when timed
        encode_s += time.perf_counter() - started
    images = batches * batch_size
    params = sum(p.numel() for p in encoder.visual.parameters())
    return {"model": model, "device": str(encoder.device), "precision": encoder.precision, "dim": out.shape[1],
            "vision_params_m": params / 1e6, "images_per_s": images / (prepare_s + encode_s),
            "model_images_per_s": images / encode_s, "prepare_ms_per_100": 1e5 * prepare_s / images,
            "encode_ms_per_100": 1e5 * encode_s / images}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=[TINY_MODEL, "ViT-B-32"])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--frame-size", type=int, nargs=2, default=(120, 160), metavar=("H", "W"))
    args = parser.parse_args()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, cpu count {os.cpu_count()}, "
          f"cuda {torch.cuda.is_available()}, load average {os.getloadavg()[0]:.1f}, "
          f"frames {args.frame_size[0]}x{args.frame_size[1]}, batch {args.batch_size} x {args.batches}")
    for model in args.models:
        r = images_per_second(model, args.device, args.batch_size, args.batches, tuple(args.frame_size))
        print(f"  {r['model']:14s} {r['device']:6s} {r['precision']:8s} d={r['dim']:4d} "
              f"vision {r['vision_params_m']:6.2f} M params  {r['images_per_s']:8.1f} images/s "
              f"(model alone {r['model_images_per_s']:8.1f}/s; per 100 images: preprocess "
              f"{r['prepare_ms_per_100']:7.1f} ms, encode {r['encode_ms_per_100']:8.1f} ms)")


if __name__ == "__main__":
    main()
