"""Warehouse at KuaiRand scale: build every table from a 1.6 M-view log; time, memory, naive ratio.

    python benchmarks/bench_warehouse.py                  # 1,000 users, 700,000 videos, 1.6 M views
    python benchmarks/bench_warehouse.py --views 200000   # quicker
    python benchmarks/bench_warehouse.py --segmm ../shared/data/SegMM_inter_sample.csv
    python benchmarks/bench_warehouse.py --scaling 160000,1600000 --memory-limit 4GB   # scaling table

1. The demo world's log-only mode writes the log (Parquet).
2. A child process builds interactions (+ rejected, interaction_log), skip_labels, user_histories,
   splits and the people views in a fresh warehouse, then runs the invariant checks; its wall time
   per step and its peak RSS (the parent reads it with getrusage(RUSAGE_CHILDREN)) are reported.
3. A straightforward pandas row-by-row implementation of the same skip labels and histories runs
   on a few users' views; its output must equal the warehouse's rows for those views, and the
   ratio of time per view is printed.
4. With --segmm (default: the shared SegMM sample when present), the same build on that real log:
   accepted/rejected, label_1D reproduction, split sizes and cold share for both protocols.

--scaling N1,N2,...: instead of 1-4, a scaling table. For each number of views (users and videos
grow with it: 1,600 views per user, 0.4375 videos per view, as the 1.6 M default), the log is
written by `python -m seg_pipeline.demo --log-only` and a fresh child process builds every table
under DuckDB's `memory_limit` / `temp_directory` (so a build larger than memory spills to disk);
wall time, CPU time and peak RSS per size, and the growth ratio per 10x, are printed.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from seg_pipeline.contract import SEGMENT_MS  # noqa: E402
from seg_pipeline.paths import DataLayout  # noqa: E402
from seg_pipeline.warehouse.checks import check_row  # noqa: E402
from seg_pipeline.warehouse.db import connect  # noqa: E402
from seg_pipeline.warehouse.histories import build_user_histories  # noqa: E402
from seg_pipeline.warehouse.interactions import build_interactions  # noqa: E402
from seg_pipeline.warehouse.labels import PEOPLE_VIEWS, build_people_view, build_skip_labels  # noqa: E402
from seg_pipeline.warehouse.logs import resolve_log  # noqa: E402
from seg_pipeline.warehouse.splits import SplitSettings, build_splits  # noqa: E402

H = 20
DEFAULT_SEGMM = REPO.parent / "shared" / "data" / "SegMM_inter_sample.csv"


def build_everything(log: Path, home: Path, fmt: str, protocol: str = "temporal",
                     duckdb_settings: dict | None = None) -> dict:
    """Every warehouse table from one log, timed per step, then the checks."""
    layout = DataLayout(home).ensure()
    steps: dict[str, float] = {}
    cpu: dict[str, float] = {}
    out: dict = {"steps_s": steps, "steps_cpu_s": cpu, "load_before": os.getloadavg()}
    started, started_cpu = time.perf_counter(), time.process_time()

    def timed(step, fn):
        t, c = time.perf_counter(), time.process_time()  # process time counts DuckDB's threads too
        result = fn()
        steps[step], cpu[step] = time.perf_counter() - t, time.process_time() - c
        return result

    with connect(layout.warehouse, duckdb_settings=duckdb_settings) as con:
        counts = timed(
            "interactions",
            lambda: build_interactions(
                con, resolve_log(con, layout, str(log), fmt), min_duration_ms=5000, max_duration_ms=200000,
                check_videos=False,
            ),
        )
        out["skip_labels"] = timed("skip_labels", lambda: build_skip_labels(con))
        out["user_histories"] = timed("user_histories", lambda: build_user_histories(con, H))
        out["splits"] = timed("splits", lambda: build_splits(con, SplitSettings(protocol=protocol)))
        timed("people_views", lambda: [build_people_view(con, view) for view in PEOPLE_VIEWS])
        out["position_skip_rates_rows"] = con.execute("SELECT count(*) FROM position_skip_rates").fetchall()[0][0]
        out["build_s"] = time.perf_counter() - started
        out["build_cpu_s"] = time.process_time() - started_cpu
        out["load_after"] = os.getloadavg()
        out["duckdb_threads"] = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        out["duckdb_memory_limit"] = con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
        t = time.perf_counter()
        out["checks"] = {
            "interactions_accounted": check_row(con, "interactions_accounted"),
            "skip_labels_in_range": check_row(con, "skip_labels_in_range"),
            "source_label": check_row(con, "skip_labels_source_label"),
            "histories_no_leak": check_row(con, "user_histories_no_leak"),
            "split_fractions": check_row(con, "split_fractions"),
            "splits_time_order": check_row(con, "splits_time_order"),
        }
        out["checks_s"] = time.perf_counter() - t
        out["segments"] = con.execute("SELECT sum(n_segments) FROM interactions").fetchall()[0][0]
    out["interactions"] = {
        "input_rows": counts.input_rows,
        "accepted": counts.accepted,
        "rejected_by_reason": counts.rejected_by_reason,
    }
    out["warehouse_mib"] = layout.warehouse.stat().st_size / 2**20
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # this process's own peak
    return out


# ------------------------------------------------------------------ the naive reference (pandas)


def naive_skip_labels(views: pd.DataFrame) -> pd.DataFrame:
    """SPEC 1, one row at a time."""
    rows = []
    for row in views.itertuples(index=False):
        n = math.ceil(row.duration_ms / SEGMENT_MS)
        if row.playing_time_ms >= row.duration_ms:
            skip, target, watched = None, n, n
        else:
            skip = max(math.ceil(row.playing_time_ms / SEGMENT_MS), 1) - 1
            target, watched = skip, skip + 1
        rows.append((row.view_id, row.user_id, row.video_id, row.time_ms, n, skip, target, watched))
    return pd.DataFrame(
        rows, columns=["view_id", "user_id", "video_id", "time_ms", "n_segments", "skip_segment", "target_slot", "watched_segments"]
    )


def naive_histories(labels: pd.DataFrame) -> dict[int, tuple[list, list, list]]:
    """For each view: filter the user's strictly earlier views, sort, keep the last H."""
    out = {}
    for row in labels.itertuples(index=False):
        mine = labels[(labels.user_id == row.user_id) & (labels.time_ms < row.time_ms)]
        mine = mine.sort_values(["time_ms", "view_id"]).tail(H)
        out[row.view_id] = (list(mine.view_id), list(mine.video_id), list(mine.watched_segments))
    return out


def naive_comparison(log: Path, warehouse: Path, n_users: int) -> dict:
    table = pq.read_table(log).to_pandas()
    table["view_id"] = range(len(table))
    users = sorted(table.user_id.unique())[:n_users]
    views = table[table.user_id.isin(users)].reset_index(drop=True)
    t, c = time.perf_counter(), time.process_time()
    labels = naive_skip_labels(views)
    labels_s, labels_cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    histories = naive_histories(labels)
    histories_s, histories_cpu = time.perf_counter() - t, time.process_time() - c

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        ours = con.execute(
            "SELECT view_id, n_segments, skip_segment, target_slot, watched_segments FROM skip_labels "
            "WHERE list_contains($users, user_id) ORDER BY view_id",
            {"users": users},
        ).df()
        ours_h = {
            v: (list(a), list(b), list(c))
            for v, a, b, c in con.execute(
                "SELECT view_id, history_view_ids, history_video_ids, history_watched_segments FROM user_histories "
                "WHERE list_contains($users, user_id)",
                {"users": users},
            ).fetchall()
        }
    finally:
        con.close()
    naive = labels.sort_values("view_id").reset_index(drop=True)
    same_labels = (
        len(naive) == len(ours)
        and (naive.view_id.values == ours.view_id.values).all()
        and (naive.n_segments.values == ours.n_segments.values).all()
        and (naive.target_slot.values == ours.target_slot.values).all()
        and (naive.watched_segments.values == ours.watched_segments.values).all()
        and naive.skip_segment.isna().equals(ours.skip_segment.isna())
    )
    same_histories = histories == ours_h
    return {
        "users": len(users),
        "views": len(views),
        "skip_labels_s": labels_s,
        "histories_s": histories_s,
        "skip_labels_cpu_s": labels_cpu,
        "histories_cpu_s": histories_cpu,
        "same_labels": bool(same_labels),
        "same_histories": bool(same_histories),
    }


# ------------------------------------------------------------------ driver


def _duckdb_settings(args) -> dict:
    settings = {}
    if args.memory_limit:
        settings["memory_limit"] = args.memory_limit
    if args.temp_dir:
        settings["temp_directory"] = args.temp_dir
    if args.threads:
        settings["threads"] = args.threads
    return settings


def _child(args) -> None:
    result = build_everything(Path(args.build), Path(args.home), args.format, args.protocol, _duckdb_settings(args))
    print("RESULT " + json.dumps(result, default=str))


def _run_child(log: Path, home: Path, fmt: str, protocol: str = "temporal", settings_args: list[str] = ()
               ) -> tuple[dict, float]:
    proc = subprocess.run(
        [sys.executable, __file__, "--build", str(log), "--home", str(home), "--format", fmt, "--protocol", protocol,
         *settings_args],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"build failed:\n{proc.stderr[-4000:]}")
    line = next(l for l in proc.stdout.splitlines() if l.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    return result, result["peak_rss_mib"]


def _settings_args(args) -> list[str]:
    out = []
    for flag, value in (("--memory-limit", args.memory_limit), ("--temp-dir", args.temp_dir), ("--threads", args.threads)):
        if value:
            out += [flag, str(value)]
    return out


def scaling_table(args, workdir: Path) -> None:
    """One fresh log and one fresh build per size; wall, CPU, peak RSS and the ratio per 10x."""
    rows = []
    for views in [int(v) for v in args.scaling.split(",")]:
        users, videos = max(1, round(views / 1600)), max(1, round(views * 0.4375))
        log = workdir / f"log_{views}_seed{args.seed}.parquet"  # reused when present (generation is not timed)
        t = time.perf_counter()
        if not log.is_file():
            subprocess.run([sys.executable, "-m", "seg_pipeline.demo", "--log-only", "--users", str(users), "--videos",
                            str(videos), "--views", str(views), "--seed", str(args.seed), "--out", str(log)],
                           check=True, capture_output=True, cwd=REPO)
        gen_s = time.perf_counter() - t
        temp_dir = Path(args.temp_dir or workdir / f"duckdb_tmp_{views}")
        settings = _settings_args(argparse.Namespace(memory_limit=args.memory_limit, temp_dir=str(temp_dir),
                                                     threads=args.threads))
        home = workdir / f"home_{views}"
        if home.exists():
            shutil.rmtree(home)  # a fresh warehouse every time
        result, peak = _run_child(log, home, "demo", settings_args=settings)
        rows.append({"views": views, "users": users, "videos": videos, "accepted": result["interactions"]["accepted"],
                     "generate_s": gen_s, "build_s": result["build_s"], "build_cpu_s": result["build_cpu_s"],
                     "checks_s": result["checks_s"], "peak_rss_mib": peak, "warehouse_mib": result["warehouse_mib"],
                     "steps_s": result["steps_s"], "steps_cpu_s": result["steps_cpu_s"],
                     "load_before": result["load_before"][0], "load_after": result["load_after"][0],
                     "checks_passed": all(c["passed"] for c in result["checks"].values()),
                     "memory_limit": result["duckdb_memory_limit"], "threads": result["duckdb_threads"]})
        r = rows[-1]
        print(f"{views:>11,} views: build {r['build_s']:7.1f} s wall {r['build_cpu_s']:7.1f} s CPU, checks "
              f"{r['checks_s']:.1f} s, peak RSS {peak:6.0f} MiB, warehouse {r['warehouse_mib']:.0f} MiB, load "
              f"{r['load_before']:.1f}->{r['load_after']:.1f}, checks passed {r['checks_passed']}", flush=True)
        print("    steps (wall s): " + ", ".join(f"{k} {v:.1f}" for k, v in r["steps_s"].items()), flush=True)
    print("\n| views | users | videos | build wall s | build CPU s | checks s | peak RSS MiB | warehouse MiB |"
          " wall x per 10x | CPU x per 10x | RSS x per 10x |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, r in enumerate(rows):
        def ratio(key):
            if i == 0:
                return "-"
            prev = rows[i - 1]
            per10 = (r[key] / prev[key]) ** (1 / math.log10(r["views"] / prev["views"]))
            return f"{per10:.1f}"
        print(f"| {r['views']:,} | {r['users']:,} | {r['videos']:,} | {r['build_s']:.1f} | {r['build_cpu_s']:.1f} | "
              f"{r['checks_s']:.1f} | {r['peak_rss_mib']:.0f} | {r['warehouse_mib']:.0f} | {ratio('build_s')} | "
              f"{ratio('build_cpu_s')} | {ratio('peak_rss_mib')} |")
    print(f"DuckDB memory_limit {rows[0]['memory_limit']}, threads {rows[0]['threads']}, {os.cpu_count()} cores")
    (workdir / "bench_warehouse_scaling.json").write_text(json.dumps(rows, indent=2, default=str))
    print(f"details: {workdir / 'bench_warehouse_scaling.json'}")


def _segmm_report(path: Path, workdir: Path) -> dict:
    report = {}
    for protocol in ("temporal", "published"):
        result, _ = _run_child(path, workdir / f"segmm_{protocol}", "segmm", protocol)
        report[protocol] = result
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--videos", type=int, default=700_000)
    parser.add_argument("--views", type=int, default=1_600_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--naive-users", type=int, default=4, help="users in the pandas row-by-row subsample")
    parser.add_argument("--segmm", default=str(DEFAULT_SEGMM), help="SegMM-format CSV to report on ('' to skip)")
    parser.add_argument("--workdir", default="", help="where the log and warehouses go (default: a temp dir)")
    parser.add_argument("--scaling", default="", help="comma-separated view counts: print the scaling table only")
    parser.add_argument("--memory-limit", default="", help="DuckDB memory_limit of the build, e.g. 4GB")
    parser.add_argument("--temp-dir", default="", help="DuckDB temp_directory (spill files; default: in the workdir "
                        "with --scaling, DuckDB's own otherwise)")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0 = DuckDB's default: all cores)")
    # internal: the child process that builds
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--format", default="demo", help=argparse.SUPPRESS)
    parser.add_argument("--protocol", default="temporal", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        _child(args)
        return

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="bench_warehouse_"))
    workdir.mkdir(parents=True, exist_ok=True)
    if args.scaling:
        scaling_table(args, workdir)
        return
    from seg_pipeline.demo.log_only import simulate_log_only

    t = time.perf_counter()
    log = workdir / "log.parquet"
    pq.write_table(simulate_log_only(args.users, args.videos, args.views, seed=args.seed), log)
    gen_s = time.perf_counter() - t

    result, peak_mib = _run_child(log, workdir / "home", "demo", settings_args=_settings_args(args))
    naive = naive_comparison(log, workdir / "home" / "warehouse.duckdb", args.naive_users)

    views = result["interactions"]["accepted"]
    duck_label_per_view = result["steps_s"]["skip_labels"] / views
    duck_hist_per_view = result["steps_s"]["user_histories"] / views
    naive_label_per_view = naive["skip_labels_s"] / naive["views"]
    naive_hist_per_view = naive["histories_s"] / naive["views"]

    print(f"log: {args.users} users, {args.videos} videos, {args.views} views, "
          f"{result['segments']} segments (generated in {gen_s:.1f} s) -> {workdir}")
    print(f"interactions: {result['interactions']}")
    for step, seconds in result["steps_s"].items():
        print(f"  {step:<16} {seconds:7.2f} s wall {result['steps_cpu_s'][step]:7.2f} s CPU")
    print(f"whole build: {result['build_s']:.1f} s wall, {result['build_cpu_s']:.1f} s CPU on "
          f"{result['duckdb_threads']} DuckDB threads (load average before/after: "
          f"{result['load_before'][0]:.1f}/{result['load_after'][0]:.1f} on {os.cpu_count()} cores); "
          f"checks {result['checks_s']:.1f} s; peak RSS {peak_mib:.0f} MiB; warehouse file {result['warehouse_mib']:.0f} MiB")
    print(f"checks passed: { {k: v['passed'] for k, v in result['checks'].items()} }")
    print(f"splits: {result['splits']['counts']} fractions "
          f"{ {k: round(v, 4) for k, v in result['splits']['fractions'].items()} } cold share {result['splits']['cold_share']:.4f}")
    print(f"naive pandas row-by-row on {naive['users']} users / {naive['views']} views: "
          f"labels {naive['skip_labels_s']:.2f} s, histories {naive['histories_s']:.2f} s; "
          f"same labels: {naive['same_labels']}, same histories: {naive['same_histories']}")
    print(f"per view: skip labels naive {naive_label_per_view * 1e6:.1f} us vs DuckDB {duck_label_per_view * 1e6:.3f} us "
          f"(x{naive_label_per_view / duck_label_per_view:.0f}); histories naive {naive_hist_per_view * 1e6:.0f} us vs "
          f"DuckDB {duck_hist_per_view * 1e6:.2f} us (x{naive_hist_per_view / duck_hist_per_view:.0f})")
    cpu_ratio_labels = (naive["skip_labels_cpu_s"] / naive["views"]) / (result["steps_cpu_s"]["skip_labels"] / views)
    cpu_ratio_hist = (naive["histories_cpu_s"] / naive["views"]) / (result["steps_cpu_s"]["user_histories"] / views)
    print(f"per view in CPU time (fair under a shared machine's load): skip labels x{cpu_ratio_labels:.0f}, "
          f"histories x{cpu_ratio_hist:.0f}")
    print(f"naive estimate for all {views} views: {(naive_label_per_view + naive_hist_per_view) * views / 60:.0f} min "
          f"(the subsample's users have ~{naive['views'] / naive['users']:.0f} views each; the naive history cost "
          f"grows with views per user)")

    summary = {"generate_s": gen_s, "build": result, "peak_rss_mib": peak_mib, "naive": naive}
    if args.segmm and Path(args.segmm).is_file():
        segmm = _segmm_report(Path(args.segmm), workdir)
        summary["segmm"] = segmm
        for protocol, r in segmm.items():
            src = r["checks"]["source_label"]
            print(f"SegMM ({protocol}): input {r['interactions']['input_rows']}, accepted {r['interactions']['accepted']}, "
                  f"rejected {r['interactions']['rejected_by_reason']}; label_1D reproduced "
                  f"{src['matching']}/{src['views_with_source_label']}; splits {r['splits']['counts']}; "
                  f"cold share (valid+test) {r['splits']['cold_share']:.4f}, test {r['splits']['test_cold_share']:.4f}; "
                  f"checks {all(c['passed'] for k, c in r['checks'].items() if k != 'split_fractions')}")
    (workdir / "bench_warehouse.json").write_text(json.dumps(summary, indent=2, default=str))
    print(f"details: {workdir / 'bench_warehouse.json'}")


if __name__ == "__main__":
    main()
