"""Issue 11, cases 3, 4 and 6: one bad line never refuses the log; an empty result fails the asset
that found it; ids that differ only in number formatting are reported (and merged on request)."""
from __future__ import annotations

import pytest
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.warehouse.interactions import interactions
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, LogSource, VideoSource
from seg_pipeline.warehouse.checks import check_row
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.logs import resolve_log
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER, build_tables, write_csv

HEADER = ",".join(DEMO_HEADER)


def _good(i: int) -> str:
    return f"u{i % 3},v{i % 5},{1000 * i},10000,{500 * i}"


def _write(path, lines, encoding="utf-8"):
    path.write_bytes(b"".join((line if isinstance(line, bytes) else line.encode(encoding)) + b"\n" for line in lines))
    return path


def _rejected(con):
    return con.execute("SELECT source_row, line, reason, detail, raw_line FROM rejected_interactions "
                       "ORDER BY source_row").fetchall()


def test_ragged_lines_are_rejected_with_their_line_numbers(data_home, tmp_path):
    lines = [HEADER, _good(0), "u1,v1", _good(1), "u1,v1,5,10000", _good(2), "u1,v1,5,10000,1,extra", _good(3)]
    log = _write(tmp_path / "ragged.csv", lines)
    with connect(data_home.warehouse) as con:
        counts = build_tables(con, data_home, log, upto="interactions")
        rejected = _rejected(con)
        accepted = [r for r, in con.execute("SELECT view_id FROM interactions ORDER BY 1").fetchall()]
        accounted = check_row(con, "interactions_accounted")
    assert (counts.input_rows, counts.accepted, counts.rejected) == (7, 4, 3)
    assert [(row, line, reason) for row, line, reason, _, _ in rejected] == [
        (1, 3, "malformed_line"), (3, 5, "malformed_line"), (5, 7, "malformed_line")]
    assert "Found: 2" in rejected[0][3] and rejected[0][4] == "u1,v1"
    assert accepted == [0, 2, 4, 6]  # view_id = the row's place in the file, gaps where lines were rejected
    assert accounted["passed"]


def test_a_non_utf8_byte_rejects_one_line_and_latin1_reads_it(data_home, tmp_path):
    lines = [HEADER] + [_good(i) for i in range(40)]
    lines[31] = b"u9,v\xe9,31000,10000,100"  # line 32 of the file
    log = _write(tmp_path / "latin.csv", lines)
    with connect(data_home.warehouse) as con:
        counts = build_tables(con, data_home, log, upto="interactions")
        rejected = _rejected(con)
        assert (counts.input_rows, counts.accepted) == (40, 39)
        assert [(r[0], r[1], r[2]) for r in rejected] == [(30, 32, "invalid_encoding")]
        spec = resolve_log(con, data_home, str(log), "demo", encoding="latin-1")
        from seg_pipeline.warehouse.interactions import build_interactions
        latin = build_interactions(con, spec, min_duration_ms=5000, max_duration_ms=200000, check_videos=False)
        video = con.execute("SELECT video_id FROM interactions WHERE view_id = 30").fetchone()[0]
    assert latin.accepted == 40 and video == "v\u00e9"


def test_delimiter_setting_reads_a_pipe_log(data_home, tmp_path):
    log = _write(tmp_path / "pipes.csv", ["|".join(DEMO_HEADER)] + [_good(i).replace(",", "|") for i in range(5)])
    with connect(data_home.warehouse) as con:
        auto = build_tables(con, data_home, log, upto="interactions")  # 'auto': the header's delimiter
        spec = resolve_log(con, data_home, str(log), "demo", delimiter="|")
    assert auto.accepted == 5 and spec.delimiter == "|"


def _materialize(data_home, log, **log_settings):
    return materialize(
        [interactions],
        resources={"home": DataHome(root=str(data_home.root)), "log_source": LogSource(path=str(log), format="demo",
                                                                                        **log_settings),
                   "video_source": VideoSource(video_dir="none")},
        instance=DagsterInstance.ephemeral(), raise_on_error=False,
    )


def _failure(result) -> str:
    assert not result.success
    return str(next(e for e in result.all_events if e.is_step_failure).step_failure_data.error)


def test_comma_header_over_pipe_rows_names_the_cause(data_home, tmp_path):
    log = _write(tmp_path / "mixed.csv", [HEADER] + [_good(i).replace(",", "|") for i in range(6)])
    message = _failure(_materialize(data_home, log))
    assert "all 6 rows of the log were rejected (malformed_line 6)" in message
    assert "log_source.delimiter" in message and "header" in message
    with connect(data_home.warehouse, read_only=True) as con:  # the rejections are there to read
        assert con.execute("SELECT count(*) FROM rejected_interactions WHERE line IS NOT NULL").fetchone()[0] == 6
        with pytest.raises(ConfigError, match="header line splits on ','"):
            resolve_log(con, data_home, str(log), "demo", delimiter="|")


def test_all_rejected_and_header_only_logs_fail_the_asset_with_reason_counts(data_home, tmp_path):
    decimal_commas = write_csv(tmp_path / "decimal.csv", DEMO_HEADER,
                               [("u1", "v1", "1,5", "10000", "2,5"), ("u1", "v2", "2,5", "x", "1")])
    message = _failure(_materialize(data_home, decimal_commas))
    assert "all 2 rows of the log were rejected (non_numeric 2)" in message
    header_only = write_csv(tmp_path / "header.csv", DEMO_HEADER, [])
    assert "the log has no rows" in _failure(_materialize(data_home, header_only))
    fine = write_csv(tmp_path / "fine.csv", DEMO_HEADER, [("u1", "v1", 1, 10000, 5)])
    assert _materialize(data_home, fine).success


NUMERIC_IDS = [("100", "7", 1000), ("00100", "7", 2000), ("100.0", "7.0", 3000), ("1e2", "x7", 4000),
               ("12345678901234567890", "a", 5000), ("12345678901234567891", "a", 6000)]


def test_numeric_id_collisions_are_reported_and_optionally_merged(data_home, tmp_path):
    log = write_csv(tmp_path / "ids.csv", DEMO_HEADER, [(u, v, t, 10000, 100) for u, v, t in NUMERIC_IDS])
    result = _materialize(data_home, log)
    assert result.success
    metadata = result.asset_materializations_for_node("interactions")[0].metadata
    # 100 = 00100 = 100.0 = 1e2 (4 rows) and 7 = 7.0 (3 rows); the long ids differ and stay apart
    assert metadata["numeric_id_collisions"].value == {"user_id": 1, "video_id": 1}
    assert metadata["rows_with_colliding_numeric_ids"].value == 7
    with connect(data_home.warehouse, read_only=True) as con:
        table = con.execute("SELECT id_column, numeric_id, spellings, rows FROM interaction_id_collisions").fetchall()
        users = con.execute("SELECT count(DISTINCT user_id) FROM interactions").fetchone()[0]
    assert table == [("user_id", "100", ["00100", "100", "100.0", "1e2"], 4), ("video_id", "7", ["7", "7.0"], 3)]
    assert users == 6
    assert _materialize(data_home, log, normalize_numeric_ids=True).success
    with connect(data_home.warehouse, read_only=True) as con:
        users = sorted(u for u, in con.execute("SELECT DISTINCT user_id FROM interactions").fetchall())
        videos = sorted(v for v, in con.execute("SELECT DISTINCT video_id FROM interactions").fetchall())
    assert users == ["100", "12345678901234567890", "12345678901234567891"]
    assert videos == ["7", "a", "x7"]
