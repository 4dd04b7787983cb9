"""Command line: write a demo world to the data root, or a large log-only file for benchmarks.

    python -m seg_pipeline.demo --size tiny
    python -m seg_pipeline.demo --log-only --users 1000 --videos 700000 --views 1600000 --out log.parquet
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from seg_pipeline.demo.config import PRESETS, resolve_world_config
from seg_pipeline.demo.log_only import simulate_log_only
from seg_pipeline.demo.world import read_manifest, world_is_current, write_world
from seg_pipeline.errors import ConfigError
from seg_pipeline.paths import DataLayout, resolve_home


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m seg_pipeline.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    world = parser.add_argument_group("demo world (written to $SEG_PIPELINE_HOME/demo/)")
    world.add_argument("--size", choices=sorted(PRESETS), default="default")
    world.add_argument("--videos", type=int, help="override the preset's number of videos")
    world.add_argument("--users", type=int, help="override the number of users")
    world.add_argument("--views-per-user", type=int, help="override the mean views per user")
    world.add_argument("--no-bad-inputs", action="store_true", help="do not plant broken files and rows")
    world.add_argument("--home", help="data root (default: $SEG_PIPELINE_HOME, else ./.seg_pipeline)")
    world.add_argument("--force", action="store_true", help="regenerate even if the world is current")
    log = parser.add_argument_group("log-only mode (no videos)")
    log.add_argument("--log-only", action="store_true")
    log.add_argument("--views", type=int, help="number of views (log-only)")
    log.add_argument("--out", help="output Parquet file (log-only)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.log_only:
        missing = [flag for flag, value in (("--users", args.users), ("--videos", args.videos),
                                            ("--views", args.views), ("--out", args.out)) if value is None]
        if missing:
            print(f"--log-only needs {' '.join(missing)}", file=sys.stderr)
            return 2
        started = time.perf_counter()
        table = simulate_log_only(args.users, args.videos, args.views, seed=args.seed)
        simulated = time.perf_counter() - started
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, args.out)
        print(json.dumps({"out": str(args.out), "rows": table.num_rows, "simulate_s": round(simulated, 2),
                          "total_s": round(time.perf_counter() - started, 2)}))
        return 0
    try:
        config = resolve_world_config(
            size=args.size, seed=args.seed, n_videos=args.videos, n_users=args.users,
            views_per_user=args.views_per_user, inject_bad_inputs=not args.no_bad_inputs,
        )
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    demo_dir = DataLayout(resolve_home(args.home)).ensure().demo_dir
    if not args.force and world_is_current(demo_dir, config):
        manifest, action = read_manifest(demo_dir), "reused"
    else:
        manifest, action = write_world(config, demo_dir), "written"
    print(json.dumps({"demo_dir": str(demo_dir), "action": action, "counts": manifest["counts"],
                      "timings_s": manifest["timings_s"]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
