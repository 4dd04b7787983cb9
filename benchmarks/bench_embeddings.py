"""segment_embeddings, engine local vs engine ray, on a demo world: videos/s, the ratio, and where the time goes.

    python benchmarks/bench_embeddings.py                    # default world (160 videos), tiny CLIP, CPU
    python benchmarks/bench_embeddings.py --size tiny        # quicker
    python benchmarks/bench_embeddings.py --model ViT-B-32 --device cuda --num-gpus 0.5   # on a GPU machine
    python benchmarks/bench_embeddings.py --address 127.0.0.1:6379   # join a running cluster

The world is written once (`python -m seg_pipeline.demo`), raw_videos and video_segments run once, then
the segment_embeddings asset runs once per engine with use_cache false (every video embedded), in this
process, as Dagster runs it. Both engines must give the same rows (max |difference| is printed).
Timings: `embed s` is the asset's embedding phase (Ray: cluster start included); `cluster start s` is
ray.init; `first result s` is from submitting the dataset to the first finished batch (actor processes
importing torch and loading the encoder, then one batch); `Ray Data s` is the whole dataset; `decode s`
and `encode s` are summed over workers (worker-seconds: they can exceed the wall time with 2 workers).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dagster import DagsterInstance, materialize  # noqa: E402

from seg_pipeline.assets.videos.raw_videos import raw_videos  # noqa: E402
from seg_pipeline.assets.videos.segment_embeddings import segment_embeddings  # noqa: E402
from seg_pipeline.assets.videos.video_segments import video_segments  # noqa: E402
from seg_pipeline.paths import DataLayout  # noqa: E402
from seg_pipeline.resources import DataHome, RunSettings, VideoSource  # noqa: E402

ROWS = "SELECT video_id, segment_idx, embedding FROM segment_embeddings ORDER BY video_id, segment_idx"


def _metadata(result) -> dict:
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == "segment_embeddings"]
    return {k: v.value for k, v in events[-1].materialization.metadata.items()}


def run_engine(home: Path, args, engine: str) -> tuple[dict, float, np.ndarray]:
    resources = {"home": DataHome(root=str(home)), "video_source": VideoSource(),
                 "run_settings": RunSettings(device=args.device)}
    config = {"model": args.model, "weights": "none", "batch_size": args.batch_size, "use_cache": False,
              "engine": engine}
    if engine == "ray":
        config["ray"] = {"address": args.address, "workers": args.workers, "num_gpus": args.num_gpus,
                         "cpus_per_worker": args.cpus_per_worker, "videos_per_task": args.videos_per_task,
                         "local_cpus": args.local_cpus}
    started = time.perf_counter()
    result = materialize([segment_embeddings], resources=resources, instance=DagsterInstance.ephemeral(),
                         run_config={"ops": {"segment_embeddings": {"config": config}}})
    wall = time.perf_counter() - started
    with duckdb.connect(str(DataLayout(home).warehouse), read_only=True) as con:
        vectors = np.array([r[2] for r in con.execute(ROWS).fetchall()], dtype=np.float32)
    return _metadata(result), wall, vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="default", help="demo world preset (default: 160 videos; tiny: 20)")
    parser.add_argument("--model", default="seg-tiny-vit")
    parser.add_argument("--device", default="cpu", help="engine local's device (run_settings.device)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--engines", default="local,ray")
    parser.add_argument("--address", default="local", help="ray address: local (start one here), auto, host:port")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--num-gpus", type=float, default=0.0, help="GPUs per Ray worker")
    parser.add_argument("--cpus-per-worker", type=float, default=1.0)
    parser.add_argument("--videos-per-task", type=int, default=8)
    parser.add_argument("--local-cpus", type=int, default=0)
    parser.add_argument("--workdir", default="", help="data root (default: a temp dir); the world is reused")
    args = parser.parse_args()

    home = Path(args.workdir or tempfile.mkdtemp(prefix="bench_embeddings_"))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "seg_pipeline.demo", "--size", args.size, "--home", str(home)],
                   check=True, capture_output=True)
    world_s = time.perf_counter() - t
    resources = {"home": DataHome(root=str(home)), "video_source": VideoSource(), "run_settings": RunSettings()}
    t = time.perf_counter()
    assert materialize([raw_videos, video_segments], resources=resources, instance=DagsterInstance.ephemeral()).success
    plan_s = time.perf_counter() - t

    runs = {}
    for engine in args.engines.split(","):
        runs[engine] = run_engine(home, args, engine)
    print(f"\ndemo world {args.size!r} in {home} (written {world_s:.1f} s; raw_videos + video_segments {plan_s:.1f} s); "
          f"model {args.model}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    print("| engine | videos | segments | asset wall s | embed s | videos/s | cluster start s | first result s | "
          "Ray Data s | encoder load s | decode s | encode s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for engine, (meta, wall, _) in runs.items():
        startup = meta.get("ray_connect_seconds", 0.0)
        load = meta.get("ray_encoder_load_seconds", float("nan"))
        label = engine if engine == "local" else f"ray ({meta.get('ray_workers')} workers, {meta.get('ray_nodes')} node(s))"
        first = meta.get("ray_first_result_seconds", float("nan"))
        dataset = meta.get("ray_dataset_seconds", float("nan"))
        print(f"| {label} | {meta['embedded_videos']} | {meta['embedded_segments']} | {wall:.1f} | {meta['seconds']:.1f} | "
              f"{meta['embedded_videos'] / meta['seconds']:.2f} | {startup:.1f} | {first:.1f} | {dataset:.1f} | {load:.1f} | "
              f"{meta['decode_seconds']:.1f} | {meta['encode_seconds']:.1f} |")
    if "local" in runs and "ray" in runs:
        local, ray = runs["local"], runs["ray"]
        rate = lambda m: m["embedded_videos"] / m["seconds"]  # noqa: E731
        steady = ray[0]["seconds"] - ray[0]["ray_connect_seconds"]
        print(f"videos/s ray/local: x{rate(ray[0]) / rate(local[0]):.2f} (embedding phase incl. cluster start); "
              f"excluding the cluster start ({ray[0]['ray_connect_seconds']:.1f} s): "
              f"x{(ray[0]['embedded_videos'] / steady) / rate(local[0]):.2f}")
        same_shape = local[2].shape == ray[2].shape
        diff = float(np.abs(local[2] - ray[2]).max()) if same_shape and local[2].size else float("nan")
        print(f"same rows: {same_shape}, max |local - ray| = {diff:.2e}")


if __name__ == "__main__":
    main()
