"""Plan and write a demo world: real H.264 videos, a view log, and the latent interest behind it.

`plan_world` is pure (arrays and Arrow tables, no files); `write_world` puts the plan on disk under
the demo folder and finishes with world.json, so a half-written world is never mistaken for a
complete one.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from seg_pipeline.demo.bad_inputs import inject_bad_rows, write_broken_videos
from seg_pipeline.demo.behaviour import (
    Users,
    continue_probability,
    draw_leave_slots,
    draw_playing_time_ms,
    draw_users,
    expand_views,
)
from seg_pipeline.demo.catalog import LATE_RELEASE, VideoPlan, plan_catalog
from seg_pipeline.demo.config import GENERATOR_VERSION, WorldConfig
from seg_pipeline.demo.ids import user_id_array, video_id_array
from seg_pipeline.demo.render import TOPIC_NAMES, video_frames
from seg_pipeline.demo.schedule import Schedule, popularity_weights, schedule_views, views_per_user
from seg_pipeline.video.writer import write_mp4

# Independent random streams: changing the number of users does not change the catalog, etc.
STREAM_CATALOG, STREAM_USERS, STREAM_SCHEDULE, STREAM_OUTCOME, STREAM_BAD, STREAM_RENDER = range(1, 7)

INTERACTIONS_SCHEMA = pa.schema([
    ("user_id", pa.string()),
    ("video_id", pa.string()),
    ("time_ms", pa.int64()),
    ("duration_ms", pa.int64()),
    ("playing_time_ms", pa.int64()),
])
MANIFEST = "world.json"
# x264 "ultrafast" costs ~3x less CPU per frame than "veryfast" on these tiny flat-coloured frames;
# one encoder thread per file, with files encoded in parallel, wastes the least on thread hand-offs.
ENCODER_PRESET = "ultrafast"


def stream(seed: int, which: int) -> np.random.Generator:
    return np.random.default_rng([seed, which])


@dataclass(frozen=True)
class WorldPlan:
    config: WorldConfig
    videos: list[VideoPlan]
    users: Users
    schedule: Schedule
    leave_slot: np.ndarray  # per view: skip segment, or n_segments for a full watch
    interactions: pa.Table  # the clean log (bad rows are added only when writing)
    ground_truth: pa.Table
    catalog: pa.Table

    @property
    def n_segments_per_view(self) -> np.ndarray:
        return np.array([v.n_segments for v in self.videos], dtype=np.int64)[self.schedule.video_idx]


def _flat_view_segments(videos: list[VideoPlan], video_idx: np.ndarray):
    """(n_segments per view, flat segment topics, flat positions) for a list of views."""
    n_seg_video = np.array([v.n_segments for v in videos], dtype=np.int64)
    topic_table = np.concatenate([v.segment_topics for v in videos])
    return expand_views(n_seg_video, topic_table, video_idx)


def plan_world(config: WorldConfig) -> WorldPlan:
    """Everything about the world except the pixels and the injected bad inputs."""
    videos = plan_catalog(config, stream(config.seed, STREAM_CATALOG))
    users = draw_users(config.n_users, config.n_topics, stream(config.seed, STREAM_USERS))
    sched_rng = stream(config.seed, STREAM_SCHEDULE)
    counts = views_per_user(config.n_users, config.views_per_user, sched_rng)
    weights = popularity_weights(config.n_videos, sched_rng)
    release = np.array([v.release for v in videos])
    schedule = schedule_views(counts, weights, release, sched_rng)

    quality = np.array([v.quality for v in videos])
    duration_ms = np.array([v.duration_ms for v in videos], dtype=np.int64)
    n_segments, topics, positions = _flat_view_segments(videos, schedule.video_idx)
    view_user = np.repeat(schedule.user_idx, n_segments)
    view_video = np.repeat(schedule.video_idx, n_segments)
    p_continue = continue_probability(users, view_user, topics, positions, quality[view_video])
    outcome_rng = stream(config.seed, STREAM_OUTCOME)
    slots = draw_leave_slots(p_continue, n_segments, outcome_rng)
    playing = draw_playing_time_ms(slots, n_segments, duration_ms[schedule.video_idx], outcome_rng)

    user_names = user_id_array(config.n_users)
    video_names = video_id_array(config.n_videos)
    interactions = pa.table(
        {
            "user_id": user_names.take(pa.array(schedule.user_idx)),
            "video_id": video_names.take(pa.array(schedule.video_idx)),
            "time_ms": schedule.time_ms,
            "duration_ms": duration_ms[schedule.video_idx],
            "playing_time_ms": playing,
        },
        schema=INTERACTIONS_SCHEMA,
    )
    return WorldPlan(
        config=config,
        videos=videos,
        users=users,
        schedule=schedule,
        leave_slot=slots,
        interactions=interactions,
        ground_truth=_ground_truth(videos, users, schedule, quality, user_names, video_names),
        catalog=_catalog_table(videos),
    )


def _ground_truth(videos, users, schedule, quality, user_names, video_names) -> pa.Table:
    """Continue probability of every segment of every (user, video) pair in the log."""
    pair = np.unique(schedule.user_idx * len(videos) + schedule.video_idx)
    pair_user, pair_video = pair // len(videos), pair % len(videos)
    n_segments, topics, positions = _flat_view_segments(videos, pair_video)
    flat_user = np.repeat(pair_user, n_segments)
    flat_video = np.repeat(pair_video, n_segments)
    interest = continue_probability(users, flat_user, topics, positions, quality[flat_video])
    return pa.table({
        "user_id": user_names.take(pa.array(flat_user)),
        "video_id": video_names.take(pa.array(flat_video)),
        "segment_idx": pa.array(positions.astype(np.int32)),
        "interest": pa.array(interest, pa.float64()),
        "topic": pa.array(topics.astype(np.int32)),
    })


def _catalog_table(videos: list[VideoPlan]) -> pa.Table:
    scene_type = pa.struct([("start_ms", pa.int64()), ("end_ms", pa.int64()), ("topic", pa.int32())])
    return pa.table({
        "video_id": [v.video_id for v in videos],
        "duration_ms": pa.array([v.duration_ms for v in videos], pa.int64()),
        "n_frames": pa.array([v.n_frames for v in videos], pa.int32()),
        "fps": pa.array([v.fps for v in videos], pa.int32()),
        "n_segments": pa.array([v.n_segments for v in videos], pa.int32()),
        "segment_topics": pa.array([v.segment_topics.tolist() for v in videos], pa.list_(pa.int32())),
        "scenes": pa.array(
            [[{"start_ms": s.start_frame * 1000 // v.fps, "end_ms": s.end_frame * 1000 // v.fps,
               "topic": s.topic} for s in v.scenes] for v in videos],
            pa.list_(scene_type),
        ),
        "quality": pa.array([v.quality for v in videos], pa.float64()),
        "release_fraction": pa.array([v.release for v in videos], pa.float64()),
    })


def world_summary(plan: WorldPlan) -> dict:
    """Counts computed from the plan (clean log only; injected bad rows are counted separately)."""
    n_segments = plan.n_segments_per_view
    full = plan.leave_slot >= n_segments
    late = np.array([v.release >= LATE_RELEASE[0] for v in plan.videos])
    return {
        "videos": len(plan.videos),
        "users": plan.config.n_users,
        "views": plan.interactions.num_rows,
        "video_segments": int(sum(v.n_segments for v in plan.videos)),
        "view_segments": int(n_segments.sum()),
        "ground_truth_rows": plan.ground_truth.num_rows,
        "full_watch_share": round(float(full.mean()), 4),
        "first_segment_skip_share": round(float((plan.leave_slot[~full] == 0).mean()), 4) if (~full).any() else 0.0,
        "late_release_videos": int(late.sum()),
        "video_seconds": round(sum(v.n_frames / v.fps for v in plan.videos), 1),
        "frames": int(sum(v.n_frames for v in plan.videos)),
    }


def read_manifest(demo_dir: Path) -> Optional[dict]:
    path = Path(demo_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def manifest_facts(manifest: dict) -> dict:
    """The numbers a person checks first about a written world, flat."""
    counts, timings = manifest["counts"], manifest["timings_s"]
    keys = ("videos", "users", "views", "video_segments", "view_segments", "ground_truth_rows", "full_watch_share",
            "first_segment_skip_share", "late_release_videos", "video_seconds", "injected_bad_videos",
            "injected_bad_log_rows")
    return {
        **{k: counts[k] for k in keys},
        "bad_inputs": manifest["bad_inputs"],
        "generation_seconds": timings["total"],
        "video_write_seconds": timings["videos"],
        "video_frames_per_s": timings["video_frames_per_s"],
    }


def world_is_current(demo_dir: Path, config: WorldConfig) -> bool:
    """True when world.json was written for this exact config and its video files are all there."""
    manifest = read_manifest(demo_dir)
    if manifest is None or manifest.get("fingerprint") != config.fingerprint():
        return False
    demo_dir = Path(demo_dir)
    needed = [demo_dir / name for name in manifest.get("files", {}).values()]
    needed += [demo_dir / "videos" / f"{vid}.mp4" for vid in manifest.get("video_ids", [])]
    return all(p.exists() for p in needed)


def write_videos(plan: WorldPlan, videos_dir: Path, workers: int) -> None:
    """Encode every planned video; threads overlap numpy rendering with x264 encoding."""
    config = plan.config
    render_seed = (config.seed, STREAM_RENDER)

    def write_one(video: VideoPlan) -> None:
        frames = video_frames(video, config.height, config.width, seed=render_seed)
        write_mp4(videos_dir / f"{video.video_id}.mp4", frames, fps=config.fps,
                  preset=ENCODER_PRESET, threads=1)

    if workers <= 1:
        for video in plan.videos:
            write_one(video)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(write_one, plan.videos))


def write_world(config: WorldConfig, demo_dir: Path, workers: Optional[int] = None) -> dict:
    """Replace whatever is in `demo_dir` with the world `config` describes; returns world.json's content."""
    demo_dir = Path(demo_dir)
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    started = time.perf_counter()
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    videos_dir = demo_dir / "videos"
    videos_dir.mkdir(parents=True)

    plan = plan_world(config)
    planned = time.perf_counter()
    write_videos(plan, videos_dir, workers)
    encoded = time.perf_counter()

    log = plan.interactions
    bad = {"videos": [], "log_rows": []}
    if config.inject_bad_inputs:
        bad["videos"] = write_broken_videos(videos_dir, config.fps, config.height, config.width,
                                            seed=(config.seed, STREAM_BAD))
        log, bad["log_rows"] = inject_bad_rows(log, stream(config.seed, STREAM_BAD))

    files = {
        "interactions": "interactions.parquet",
        "ground_truth": "ground_truth_interest.parquet",
        "catalog": "catalog.parquet",
    }
    pq.write_table(log, demo_dir / files["interactions"])
    pq.write_table(plan.ground_truth, demo_dir / files["ground_truth"])
    pq.write_table(plan.catalog, demo_dir / files["catalog"])

    counts = world_summary(plan)
    counts["log_rows"] = log.num_rows
    counts["injected_bad_videos"] = len(bad["videos"])
    counts["injected_bad_log_rows"] = len(bad["log_rows"])
    finished = time.perf_counter()
    manifest = {
        "generator": GENERATOR_VERSION,
        "fingerprint": config.fingerprint(),
        "seed": config.seed,
        "config": config.to_dict(),
        "counts": counts,
        "topics": TOPIC_NAMES[: config.n_topics],
        "bad_inputs": bad,
        "files": files,
        "video_ids": [v.video_id for v in plan.videos],
        "timings_s": {
            "plan": round(planned - started, 3),
            "videos": round(encoded - planned, 3),
            "total": round(finished - started, 3),
            "video_frames_per_s": round(counts["frames"] / max(encoded - planned, 1e-9), 1),
            "encode_workers": workers,
        },
    }
    (demo_dir / MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def ensure_world(config: WorldConfig, demo_dir: Path, force: bool = False) -> tuple[dict, str]:
    """(manifest, what happened): the world on disk is reused when its world.json matches `config`
    (unless `force`), else written afresh."""
    if not force and world_is_current(demo_dir, config):
        return read_manifest(demo_dir), "reused (world.json matches the config)"
    return write_world(config, demo_dir), "written"


def check_world_files(demo_dir: Path) -> list[str]:
    """Problems with a written world (empty list = consistent); cheap, no decoding.

    Every catalog video has its file, the clean log rows carry their video's real duration, and
    the planted bad inputs are all present.
    """
    demo_dir = Path(demo_dir)
    manifest = read_manifest(demo_dir)
    if manifest is None:
        return [f"no readable {MANIFEST} in {demo_dir}"]
    problems = []
    missing = [name for name in manifest["files"].values() if not (demo_dir / name).is_file()]
    if missing:
        return [f"missing files: {missing}"]
    catalog = pq.read_table(demo_dir / manifest["files"]["catalog"], columns=["video_id", "duration_ms"])
    absent = [v for v in catalog["video_id"].to_pylist() if not (demo_dir / "videos" / f"{v}.mp4").is_file()]
    if absent:
        problems.append(f"{len(absent)} catalog videos have no file, e.g. {absent[:3]}")
    for bad in manifest["bad_inputs"]["videos"]:
        if not (demo_dir / "videos" / bad["file"]).exists():
            problems.append(f"planted bad video {bad['file']} is missing")
    log = pq.read_table(demo_dir / manifest["files"]["interactions"]).to_pandas()
    bad_rows = [r["row"] for r in manifest["bad_inputs"]["log_rows"]]
    clean = log.drop(index=bad_rows)
    durations = dict(zip(catalog["video_id"].to_pylist(), catalog["duration_ms"].to_pylist()))
    mismatched = int((clean["duration_ms"] != clean["video_id"].map(durations)).sum())
    if mismatched:
        problems.append(f"{mismatched} clean log rows disagree with their video's duration")
    if len(log) != manifest["counts"]["log_rows"]:
        problems.append(f"log has {len(log)} rows, world.json says {manifest['counts']['log_rows']}")
    return problems
