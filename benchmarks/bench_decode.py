"""Decode + segment sampling throughput: decord batched sampling vs decoding every frame.

Both methods read the same videos in the same run and return the same sampled frames (checked);
the baseline decodes every frame in order and keeps the sampled ones, as a naive loop would.

    python benchmarks/bench_decode.py                      # synthetic videos, 2-s keyframe interval
    python benchmarks/bench_decode.py --videos DIR         # e.g. $SEG_PIPELINE_HOME/demo/videos
    python benchmarks/bench_decode.py --keyframe-interval 250 --k 3
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import decord
import numpy as np

from seg_pipeline.video.frames import read_frames
from seg_pipeline.video.probe import probe_video
from seg_pipeline.video.segments import plan_segments
from seg_pipeline.video.writer import write_mp4


def synthetic_videos(folder: Path, count: int, seconds: float, fps: int, size: tuple[int, int],
                     keyframe_interval: int) -> list[Path]:
    """Moving gradients with noise, so the encoder cannot skip work on static frames."""
    rng = np.random.default_rng(0)
    width, height = size
    y, x = np.mgrid[0:height, 0:width]
    paths = []
    for v in range(count):
        base = rng.integers(0, 255, size=3)

        def frames():
            for i in range(int(seconds * fps)):
                frame = np.empty((height, width, 3), dtype=np.uint8)
                for c in range(3):
                    frame[..., c] = (base[c] + x * (c + 1) + y + 3 * i) % 256
                frame += rng.integers(0, 8, size=frame.shape, dtype=np.uint8)
                yield frame

        paths.append(write_mp4(folder / f"bench{v:03d}.mp4", frames(), fps=fps,
                               keyframe_interval=keyframe_interval, preset="ultrafast"))
    return paths


def sequential_all_frames(path: str, wanted: list[int]) -> np.ndarray:
    """Baseline: decode every frame in order with decord, keep the sampled ones."""
    reader = decord.VideoReader(path, num_threads=1)
    keep = set(wanted)
    kept = {}
    for i in range(len(reader)):
        frame = reader.next().asnumpy()
        if i in keep:
            kept[i] = frame
    return np.stack([kept[i] for i in wanted])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", help="folder of videos (default: generate synthetic ones)")
    parser.add_argument("--count", type=int, default=12)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--keyframe-interval", type=int, default=50, help="frames between keyframes (2 s at 25 fps)")
    parser.add_argument("--k", type=int, default=1, help="frames per segment")
    parser.add_argument("--limit", type=int, default=40, help="at most this many videos from --videos")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.videos:
            paths = sorted(p for p in Path(args.videos).glob("*.mp4") if p.stat().st_size > 0)
            source = f"{args.videos}"
        else:
            started = time.perf_counter()
            paths = synthetic_videos(Path(tmp), args.count, args.seconds, args.fps, (args.width, args.height),
                                     args.keyframe_interval)
            source = (f"{args.count} synthetic videos, {args.seconds:g} s, {args.width}x{args.height} @ {args.fps} fps, "
                      f"keyframe every {args.keyframe_interval} frames (written in {time.perf_counter() - started:.1f} s)")
        plans = []
        for path in paths:
            try:
                info = probe_video(path)
            except Exception:  # broken demo files are not part of a throughput figure
                continue
            if info.decoder != "decord":
                continue
            segs = plan_segments(info.duration_ms, info.fps, info.n_frames, args.k)
            wanted = sorted({i for s in segs for i in s.frame_indices})
            plans.append((str(path), len(segs), wanted, info.n_frames))
            if len(plans) >= args.limit:
                break
        segments = sum(p[1] for p in plans)
        frames_total = sum(p[3] for p in plans)

        timings = {}
        outputs = {}
        for name, fn in (("decord get_batch (sampled only)", lambda p, w: read_frames(p, w, "decord")),
                         ("decode every frame sequentially", sequential_all_frames)):
            started = time.perf_counter()
            outputs[name] = [fn(path, wanted) for path, _, wanted, _ in plans]
            timings[name] = time.perf_counter() - started
        batched, sequential = timings.values()
        same = all(np.array_equal(a, b) for a, b in zip(*outputs.values()))

    print(f"videos: {source}")
    print(f"{len(plans)} videos, {segments} segments (k={args.k}), {frames_total} frames in total, "
          f"cpu count {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")
    for name, seconds in timings.items():
        print(f"  {name:34s} {seconds:7.2f} s  {segments / seconds:8.1f} segments/s  {len(plans) / seconds:6.2f} videos/s")
    print(f"  speed-up of batched sampling: {sequential / batched:.1f}x   identical frames: {same}")


if __name__ == "__main__":
    main()
