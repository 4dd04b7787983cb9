"""Issue 11, case 2: a stage that writes several tables leaves the old state or the new one, never a mix.

A subprocess replaces a small log's tables with those of a 1 M-row log and is killed with SIGKILL at
several points (while staging the log, and inside the write transaction); after each kill the file
must open, and accepted + rejected = interaction_log's input rows, for the old log or the new one.
"""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pyarrow as pa
import pytest

from seg_pipeline.video.rejections import Rejection
from seg_pipeline.warehouse import db
from seg_pipeline.warehouse.checks import check_row
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.video_tables import write_videos
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER, build_tables, write_csv

BIG_ROWS = 1_000_000

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import seg_pipeline.warehouse.interactions as interactions
    from seg_pipeline.paths import DataLayout
    from seg_pipeline.warehouse.db import connect
    from seg_pipeline.warehouse.logs import resolve_log

    staged = interactions.stage_log
    def stage_then_say(con, spec):
        rows = staged(con, spec)
        print("staged", flush=True)          # the write transaction starts next
        return rows
    interactions.stage_log = stage_then_say
    layout = DataLayout(Path(sys.argv[1])).ensure()
    with connect(layout.warehouse) as con:
        spec = resolve_log(con, layout, sys.argv[2], "demo")
        print("start", flush=True)
        interactions.build_interactions(con, spec, min_duration_ms=5000, max_duration_ms=200000, check_videos=False)
    print("done", flush=True)
    """
)


def _big_log(path):
    """A 1 M-row log made by DuckDB (no Python loop); every 97th row has a negative time (rejected)."""
    with duckdb.connect() as con:
        con.execute(
            "COPY (SELECT 'u' || (i % 5000) AS user_id, 'v' || (i % 700) AS video_id, "
            "CASE WHEN i % 97 = 0 THEN -1 ELSE i * 10 END AS time_ms, 10000 + (i % 50) * 1000 AS duration_ms, "
            "i % 9000 AS playing_time_ms FROM range($n) t(i)) TO '" + str(path).replace("'", "''") + "' (HEADER)",
            {"n": BIG_ROWS},
        )
    return path


def _kill_at(data_home, log, marker: str, delay_s: float) -> bool:
    """Run the writer, SIGKILL it `delay_s` after it prints `marker`; True if it was still running."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(data_home.root), str(log)],
                              stdout=subprocess.PIPE, text=True)
    try:
        for line in writer.stdout:
            if line.strip() == marker:
                break
        time.sleep(delay_s)
        alive = writer.poll() is None
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(timeout=60)
        writer.stdout.close()
    return alive


@pytest.mark.parametrize("marker, delay_s", [("start", 0.2), ("staged", 0.0), ("staged", 0.3), ("staged", 0.8)])
def test_sigkill_during_interactions_leaves_old_or_new_state(data_home, tmp_path, marker, delay_s):
    small = write_csv(tmp_path / "small.csv", DEMO_HEADER, [("u1", f"v{i}", i, 10000, 1000) for i in range(50)])
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, small, upto="interactions")
    killed_while_running = _kill_at(data_home, _big_log(tmp_path / "big.csv"), marker, delay_s)
    with connect(data_home.warehouse) as con:  # opens after the kill (DuckDB replays or drops its WAL)
        accounted = check_row(con, "interactions_accounted")
        path = con.execute("SELECT path FROM interaction_log").fetchone()[0]
    assert accounted["passed"], accounted
    assert (path, accounted["input_rows"]) in {(str(small), 50), (str(tmp_path / "big.csv"), BIG_ROWS)}
    if killed_while_running:
        print(f"killed {delay_s} s after {marker!r}: state of {path.rsplit('/', 1)[-1]}")


def test_videos_and_video_errors_commit_together(data_home, monkeypatch):
    videos = pa.table({"video_id": ["a"], "path": ["/x/a.mp4"], "size_bytes": [1], "content_hash": ["h"],
                       "duration_ms": [6000], "n_segments": [2], "fps": [10.0], "width": [4], "height": [4],
                       "n_frames": [60], "declared_frames": [60], "codec": ["h264"], "decoder": ["decord"]})
    bad = [Rejection("/x/b.mp4", "b", "corrupt", "cut short", 5)]
    with connect(data_home.warehouse) as con:
        write_videos(con, videos, bad, probed_at=None, run_id="r1")
    original = db.write_frame

    def fail_on_errors(con, table, frame, params=None):
        if table == "video_errors":
            raise RuntimeError("crash between the two tables")
        return original(con, table, frame, params)

    monkeypatch.setattr(db, "write_frame", fail_on_errors)
    with connect(data_home.warehouse) as con:
        with pytest.raises(RuntimeError):
            write_videos(con, videos.slice(0, 0), [], probed_at=None, run_id="r2")
        assert con.execute("SELECT count(*) FROM videos").fetchone()[0] == 1  # the old videos, not the new empty set
        assert con.execute("SELECT run_id FROM video_errors").fetchall() == [("r1",)]
