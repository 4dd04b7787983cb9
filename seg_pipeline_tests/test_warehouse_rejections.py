"""Every bad row is rejected with its reason; accepted + rejected = input rows; config errors fail fast."""
from __future__ import annotations

import pytest

from seg_pipeline.errors import ConfigError
from seg_pipeline.warehouse.checks import check_row
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.logs import resolve_log
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER, build_tables, write_csv

ROWS = [
    # source_row: user_id, video_id, time_ms, duration_ms, playing_time_ms -> expected verdict
    ("u1", "v1", 1000, 10000, 3000),  # 0 ok
    (None, "v1", 1000, 10000, 3000),  # 1 null_field (user_id)
    ("u1", "v1", "abc", 10000, 3000),  # 2 non_numeric
    ("u1", "v1", 1000, 10000, -5),  # 3 negative_time
    ("u1", "v1", 1000, 4999, 3000),  # 4 duration_out_of_scope (< 5 s)
    ("u1", "v1", 1000, 200001, 3000),  # 5 duration_out_of_scope (N = 41 > 40)
    ("u1", "v1", 1000, 10000, 3000),  # 6 duplicate of row 0
    ("u1", "v9", 2000, 10000, 3000),  # 7 ok (unknown_video when only v1 is a known video)
    ("u1", "v1", 1000, 200000, 3000),  # 8 ok: exactly 200 s, N = 40
    ("u1", "v1", "1000.0", 10000, 3000),  # 9 duplicate: the same numbers as row 0, written differently
    ("u1", "v1", "nan", 10000, 3000),  # 10 non_numeric (not finite)
    ("u2", "v1", 1000, 5000, 0),  # 11 ok: exactly 5 s
    ("  ", "v1", 1000, 10000, 3000),  # 12 null_field (blank)
    ("u2", "v1", 1000, None, None),  # 13 null_field (two fields)
    ("u2", "v1", -1, 10000, 3000),  # 14 negative_time
    ("u1", "v1", 1000, 10000, 3000),  # 15 duplicate of row 0 again
]
EXPECTED_REJECTED = {
    1: "null_field",
    2: "non_numeric",
    3: "negative_time",
    4: "duration_out_of_scope",
    5: "duration_out_of_scope",
    6: "duplicate",
    9: "duplicate",
    10: "non_numeric",
    12: "null_field",
    13: "null_field",
    14: "negative_time",
    15: "duplicate",
}


def test_each_rejection_reason(data_home, tmp_path):
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, ROWS)
    with connect(data_home.warehouse) as con:
        counts = build_tables(con, data_home, log, upto="interactions")
        rejected = dict(con.execute("SELECT source_row, reason FROM rejected_interactions").fetchall())
        details = dict(con.execute("SELECT source_row, detail FROM rejected_interactions").fetchall())
        raw = con.execute("SELECT user_id, time_ms, playing_time_ms FROM rejected_interactions WHERE source_row = 2").fetchone()
        accepted = [r for r, in con.execute("SELECT view_id FROM interactions ORDER BY view_id").fetchall()]
        accounted = check_row(con, "interactions_accounted")
    assert rejected == EXPECTED_REJECTED
    assert accepted == [0, 7, 8, 11]
    assert (counts.input_rows, counts.accepted, counts.rejected) == (16, 4, 12)
    assert counts.rejected_by_reason == {
        "null_field": 3, "non_numeric": 2, "negative_time": 2, "duration_out_of_scope": 2, "duplicate": 3,
    }
    assert accounted["passed"] and accounted["input_rows"] == 16
    assert raw == ("u1", "abc", "3000")  # raw text is kept for rejected rows
    assert details[13] == "missing duration_ms, playing_time_ms"
    assert details[6] == "same as source_row 0"
    assert details[5] == "duration_ms=200001 outside [5000, 200000]"


def test_unknown_video_only_when_videos_are_present(data_home, tmp_path):
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, ROWS)
    with connect(data_home.warehouse) as con:
        # No videos table: nothing to check against, v9 is accepted.
        build_tables(con, data_home, log, check_videos=True, upto="interactions")
        assert con.execute("SELECT count(*) FROM interactions WHERE video_id = 'v9'").fetchone()[0] == 1
        con.execute("CREATE TABLE videos AS SELECT 'v1' AS video_id, 'v1.mp4' AS path")
        counts = build_tables(con, data_home, log, check_videos=True, upto="interactions")
        reason, detail = con.execute("SELECT reason, detail FROM rejected_interactions WHERE source_row = 7").fetchone()
        # The same videos table, but this run reads IDs only (video_source none): not checked.
        off = build_tables(con, data_home, log, check_videos=False, upto="interactions")
    assert (reason, detail) == ("unknown_video", "video v9 is not in the videos table")
    assert counts.checked_videos and counts.rejected_by_reason["unknown_video"] == 1
    assert counts.accepted + counts.rejected == 16
    assert not off.checked_videos and "unknown_video" not in off.rejected_by_reason


def test_missing_file_names_the_field(data_home, tmp_path):
    with connect(data_home.warehouse) as con, pytest.raises(ConfigError) as err:
        resolve_log(con, data_home, str(tmp_path / "nope.csv"), "segmm")
    assert err.value.field == "log_source.path"


def test_demo_log_missing_says_materialize_demo_world(data_home):
    with connect(data_home.warehouse) as con, pytest.raises(ConfigError, match="demo_world"):
        resolve_log(con, data_home, "demo", "demo")


def test_wrong_format_names_the_field_and_the_columns(data_home, tmp_path):
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, [("u1", "v1", 1, 10000, 1)])
    with connect(data_home.warehouse) as con:
        with pytest.raises(ConfigError) as err:
            resolve_log(con, data_home, str(log), "segmm")  # SegMM calls it playing_time
        assert err.value.field == "log_source.format"
        assert "playing_time" in str(err.value) and "playing_time_ms" in str(err.value)
        with pytest.raises(ConfigError) as err:
            resolve_log(con, data_home, str(log), "demo", {"video_id": "item_id"})
        assert err.value.field == "log_source.columns.video_id"
        with pytest.raises(ConfigError) as err:
            resolve_log(con, data_home, str(log), "demo", {"watch_ratio": "x"})
        assert err.value.field == "log_source.columns"
        with pytest.raises(ConfigError) as err:
            resolve_log(con, data_home, str(log), "movielens")
        assert err.value.field == "log_source.format"


def test_unknown_file_type_fails_fast(data_home, tmp_path):
    path = tmp_path / "log.json"
    path.write_text("{}")
    with connect(data_home.warehouse) as con, pytest.raises(ConfigError) as err:
        resolve_log(con, data_home, str(path), "demo")
    assert err.value.field == "log_source.path"


def test_huge_numbers_are_out_of_range_not_non_finite(data_home, tmp_path):
    rows = [("u1", "v1", "1e30", 10000, 3000), ("u1", "v1", "inf", 10000, "-1e16"), ("u1", "v1", 1000, 10000, 3000)]
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, rows)
    with connect(data_home.warehouse) as con:
        counts = build_tables(con, data_home, log, upto="interactions")
        rejected = con.execute("SELECT source_row, reason, detail FROM rejected_interactions ORDER BY 1").fetchall()
    assert rejected == [
        (0, "out_of_range", "out of range (1e15 ms or more): time_ms=1e30"),
        (1, "non_numeric", "not a finite number: time_ms=inf"),  # not finite comes first
    ]
    assert counts.facts()["rejected_out_of_range"] == 1 and counts.accepted == 1
