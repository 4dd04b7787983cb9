"""SegRec throughput and metric cost on a synthetic world shaped like the default demo world.

    python benchmarks/bench_segrec.py [--views 15000] [--visual-dim 512] [--threads 1]

Prints training throughput (train views per second, one epoch) for each backbone x weighting,
and the rank-based AUC against a straightforward pairwise AUC (all positive x negative pairs).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from seg_pipeline.contract import MAX_SEGMENTS
from seg_pipeline.segrec.data import SegRecData
from seg_pipeline.segrec.metrics import auc
from seg_pipeline.segrec.config import TrainConfig
from seg_pipeline.segrec.train import fit_variant
from seg_pipeline.segrec.variants import BASE_VARIANTS, segrec_variant


def synthetic(n: int, n_users: int, n_videos: int, dim: int, seed: int = 0) -> SegRecData:
    rng = np.random.default_rng(seed)
    user = rng.integers(1, n_users + 1, n)
    video = rng.integers(1, n_videos + 1, n)
    n_seg = np.minimum(rng.geometric(0.2, n), MAX_SEGMENTS)
    hist = rng.integers(1, n_videos + 1, (n, 20))
    vectors = rng.normal(size=(n_videos + 1, MAX_SEGMENTS, dim)).astype(np.float32) if dim else None
    split = np.where(np.arange(n) % 10 < 8, "train", np.where(np.arange(n) % 10 == 8, "valid", "test")).astype(object)
    return SegRecData(
        view_id=np.arange(n), user_ids=user.astype(object), video_ids=video.astype(object), split=split,
        user=user, video=video, n_segments=n_seg, label=rng.integers(0, 2, n).astype(np.float32),
        history_videos=hist, history_mask=np.ones_like(hist, dtype=bool), n_users=n_users, n_videos=n_videos,
        video_rows=video if dim else None, history_rows=hist if dim else None, segment_vectors=vectors,
        video_vectors=None if vectors is None else vectors.mean(axis=1),
        interest={"id": rng.normal(size=(n, MAX_SEGMENTS)).astype(np.float32)},
    )


def pairwise_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    pos, neg = scores[labels == 1], scores[labels == 0]
    wins = 0.0
    for p in pos:
        wins += float(np.sum(p > neg)) + 0.5 * float(np.sum(p == neg))
    return wins / (len(pos) * len(neg))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--views", type=int, default=15000)
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--videos", type=int, default=160)
    parser.add_argument("--visual-dim", type=int, default=512)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = synthetic(args.views, args.users, args.videos, args.visual_dim)
    n_train = len(data.rows("train"))
    cfg = TrainConfig(max_epochs=1, patience=1)
    print(f"{args.views} views ({n_train} train), visual dim {args.visual_dim}, {args.threads} torch thread(s)")
    fit_variant(data, "WideDeep", BASE_VARIANTS[0], 0, cfg)  # warm-up: first-call allocations and imports
    for backbone in ("WideDeep", "DIN"):
        for variant in (BASE_VARIANTS[0], BASE_VARIANTS[1], BASE_VARIANTS[2], segrec_variant("id")):
            fit = fit_variant(data, backbone, variant, 0, cfg)
            print(f"  {backbone:8s} {variant.name:10s} one epoch + valid/test scoring {fit.seconds:6.2f} s "
                  f"-> {n_train / fit.seconds:8.0f} train views/s")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 20000)
    scores = rng.normal(size=20000).round(2)  # rounded: plenty of ties
    t = time.perf_counter()
    fast = auc(labels, scores)
    t_fast = time.perf_counter() - t
    t = time.perf_counter()
    slow = pairwise_auc(labels, scores)
    t_slow = time.perf_counter() - t
    print(f"AUC on 20000 rows: ranks {t_fast * 1e3:.1f} ms vs pairwise {t_slow * 1e3:.0f} ms "
          f"(x{t_slow / t_fast:.0f}), values {fast:.6f} / {slow:.6f}")


if __name__ == "__main__":
    main()
