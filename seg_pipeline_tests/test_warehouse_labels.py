"""Skip labels (SPEC 1) at every boundary, and SegMM / KuaiRand logs read through their formats."""
from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from seg_pipeline.warehouse.checks import check_row
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.labels import build_people_view
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER, build_tables, write_csv

# (duration_ms, playing_time_ms) -> (n_segments, skip_segment, target_slot, watched_segments, full_watch),
# worked out by hand from N = ceil(d / 5000), skip = max(ceil(p / 5000), 1) - 1.
BOUNDARIES = [
    ((10000, 0), (2, 0, 0, 1, False)),  # left at once: still segment 0
    ((10000, 1), (2, 0, 0, 1, False)),
    ((10000, 5000), (2, 0, 0, 1, False)),  # exactly one segment played: ceil(1) = 1 -> segment 0
    ((10000, 5001), (2, 1, 1, 2, False)),  # 1 ms into segment 1
    ((10000, 9999), (2, 1, 1, 2, False)),
    ((10000, 10000), (2, None, 2, 2, True)),  # played == duration (exactly 5000*k): full watch, end slot
    ((10000, 25000), (2, None, 2, 2, True)),  # replayed beyond the duration
    ((12345, 12344), (3, 2, 2, 3, False)),  # last, partial segment
    ((12345, 12345), (3, None, 3, 3, True)),
    ((5000, 4999), (1, 0, 0, 1, False)),  # shortest video in scope: one segment
    ((5001, 5000), (2, 0, 0, 1, False)),
    ((200000, 199999), (40, 39, 39, 40, False)),  # longest video in scope
    ((200000, 200000), (40, None, 40, 40, True)),
]


def test_skip_labels_at_boundaries(data_home, tmp_path):
    rows = [("u1", f"v{i}", 1000 + i, d, p) for i, ((d, p), _) in enumerate(BOUNDARIES)]
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, rows)
    with connect(data_home.warehouse) as con:
        counts = build_tables(con, data_home, log, upto="skip_labels")
        got = con.execute(
            "SELECT n_segments, skip_segment, target_slot, watched_segments, full_watch "
            "FROM skip_labels ORDER BY view_id"
        ).fetchall()
        assert check_row(con, "skip_labels_in_range")["passed"]
    assert counts.accepted == len(BOUNDARIES)
    assert got == [expected for _, expected in BOUNDARIES]


def test_people_views_count_reaching_and_leaving(data_home, tmp_path):
    # Three views of a 3-segment video leaving in segments 0, 1 and a full watch.
    rows = [("u1", "v1", 1, 15000, 100), ("u1", "v1", 2, 15000, 7000), ("u2", "v1", 3, 15000, 15000)]
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, rows)
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, log, upto="skip_labels")
        build_people_view(con, "position_skip_rates")
        build_people_view(con, "video_skip_histogram")
        rates = con.execute("SELECT segment_idx, views_reaching, views_skipping, skip_rate FROM position_skip_rates").fetchall()
        hist = con.execute("SELECT target_slot, full_watch, views FROM video_skip_histogram").fetchall()
    # Segment 0 reached by 3, one left; segment 1 by 2, one left; segment 2 by the full watch only.
    assert rates == [(0, 3, 1, 1 / 3), (1, 2, 1, 0.5), (2, 1, 0, 0.0)]
    assert hist == [(0, False, 1), (1, False, 1), (3, True, 1)]


def test_segmm_format_reproduces_label_1d(data_home, tmp_path):
    """A SegMM-format CSV (playing_time, numpy-printed label_1D, wrapped over lines) read as-is."""
    long_label = "[ 1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1  1\n  0 -1 -1]"
    rows = [
        # user_id, video_id, time_ms, duration_ms, playing_time, label_1D (written by hand)
        (1, 316602, 205739830, 32366, 1623, "[ 0 -1 -1 -1 -1 -1 -1]"),
        (1, 427053, 205660527, 7366, 2877, "[ 0 -1]"),
        (1, 96826, 208570946, 13866, 13866, "[1 1 1]"),
        (2, 11, 5, 10000, 5000, "[ 0 -1]"),
        (2, 12, 6, 10000, 5001, "[ 1  0]"),
        (2, 13, 7, 10000, 31000, "[1 1]"),
        (3, 14, 8, 135000, 120001, long_label),
    ]
    log = write_csv(tmp_path / "segmm.csv", ("user_id", "video_id", "time_ms", "duration_ms", "playing_time", "label_1D"), rows)
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, log, fmt="segmm", upto="skip_labels")
        agreement = check_row(con, "skip_labels_source_label")
        ids = con.execute("SELECT user_id, video_id, playing_time_ms FROM interactions ORDER BY view_id LIMIT 1").fetchone()
    assert agreement["views_with_source_label"] == 7
    assert agreement["matching"] == 7 and agreement["passed"]
    assert ids == ("1", "316602", 1623)  # ids are text, playing_time mapped onto playing_time_ms


def test_segmm_label_mismatch_is_reported(data_home, tmp_path):
    rows = [(1, 1, 1, 10000, 100, "[ 0 -1]"), (1, 2, 2, 10000, 100, "[ 1  0]")]  # second label is wrong
    log = write_csv(tmp_path / "segmm.csv", ("user_id", "video_id", "time_ms", "duration_ms", "playing_time", "label_1D"), rows)
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, log, fmt="segmm", upto="skip_labels")
        agreement = check_row(con, "skip_labels_source_label")
    assert (agreement["matching"], agreement["first_mismatch_view_id"], agreement["passed"]) == (1, 1, False)


def test_kuairand_parquet_maps_play_time_and_ignores_extra_columns(data_home, tmp_path):
    table = pa.table(
        {
            "user_id": pa.array([7, 7, 8], pa.int64()),
            "video_id": pa.array([100, 101, 100], pa.int64()),
            "date": pa.array([20220408] * 3, pa.int64()),
            "time_ms": pa.array([1649400000000, 1649400001000, 1649400000500], pa.int64()),
            "is_click": pa.array([1, 0, 1], pa.int64()),
            "play_time_ms": pa.array([4000, 30000, 0], pa.int64()),
            "duration_ms": pa.array([20000, 30000, 20000], pa.int64()),
        }
    )
    path = tmp_path / "kuairand.parquet"
    pq.write_table(table, path)
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, path, fmt="kuairand", upto="skip_labels")
        got = con.execute(
            "SELECT view_id, user_id, video_id, time_ms, playing_time_ms, n_segments, target_slot "
            "FROM skip_labels ORDER BY view_id"
        ).fetchall()
        columns = [c for c, in con.execute("SELECT column_name FROM (DESCRIBE interactions)").fetchall()]
    assert got == [
        (0, "7", "100", 1649400000000, 4000, 4, 0),
        (1, "7", "101", 1649400001000, 30000, 6, 6),
        (2, "8", "100", 1649400000500, 0, 4, 0),
    ]
    assert "is_click" not in columns and "date" not in columns


def test_column_mapping_override(data_home, tmp_path):
    log = write_csv(tmp_path / "custom.csv", ("uid", "item", "ts", "dur", "watch"), [("a", "x", 1, 9000, 6000)])
    mapping = {"user_id": "uid", "video_id": "item", "time_ms": "ts", "duration_ms": "dur", "playing_time_ms": "watch"}
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, log, fmt="demo", columns=mapping, upto="skip_labels")
        assert con.execute("SELECT user_id, video_id, skip_segment FROM skip_labels").fetchall() == [("a", "x", 1)]


def test_source_rows_follow_the_file_order(data_home, tmp_path):
    """view_id is the row number in the file, even when DuckDB reads the file in parallel."""
    n = 30000
    rows = [(f"u{i % 97}", f"v{i}", i, 10000, i % 10000) for i in range(n)]
    log = write_csv(tmp_path / "big.csv", DEMO_HEADER, rows)
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, log, upto="interactions")
        wrong = con.execute("SELECT count(*) FROM interactions WHERE time_ms <> view_id").fetchone()[0]
        assert con.execute("SELECT count(*) FROM interactions").fetchone()[0] == n
    assert wrong == 0


def test_warehouse_is_plain_duckdb(data_home, tmp_path):
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, [("u1", "v1", 1, 10000, 100)])
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, log)
    reader = duckdb.connect(str(data_home.warehouse), read_only=True)
    try:
        tables = {r[0] for r in reader.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    finally:
        reader.close()
    assert {"interaction_log", "source_labels", "interactions", "rejected_interactions", "skip_labels",
            "user_histories", "splits", "split_settings"} <= tables
    assert not {"raw_interactions", "interaction_validation", "known_videos", "log_mapped"} & tables
