"""User histories: strictly earlier views only, same-time views never see each other, oldest first."""
from __future__ import annotations

from seg_pipeline.warehouse.checks import check_row
from seg_pipeline.warehouse.db import connect
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER, build_tables, write_csv

# view_id: (user, video, time_ms, playing_time_ms) on 20-s videos (N = 4); watched = skip + 1.
VIEWS = {
    0: ("a", "v0", 100, 1000),  # watched 1
    1: ("a", "v1", 200, 6000),  # watched 2 (batch at t=200)
    2: ("a", "v2", 200, 12000),  # watched 3 (batch at t=200)
    3: ("a", "v3", 300, 20000),  # full watch: watched 4 (batch at t=300)
    4: ("a", "v4", 50, 0),  # earliest view of a, though listed late in the file: watched 1
    5: ("a", "v5", 300, 16000),  # watched 4 (batch at t=300)
    6: ("a", "v6", 400, 5000),  # watched 1
    7: ("b", "v0", 150, 3000),  # user b's only view
}
# Hand-worked order of user a by (time, view_id): 4, 0, 1, 2, 3, 5, 6.
EXPECTED_H20 = {
    0: [4],
    1: [4, 0],
    2: [4, 0],  # not 1: same timestamp
    3: [4, 0, 1, 2],
    4: [],
    5: [4, 0, 1, 2],  # not 3: same timestamp
    6: [4, 0, 1, 2, 3, 5],
    7: [],  # a user with one view has no history
}
EXPECTED_H3 = {0: [4], 1: [4, 0], 2: [4, 0], 3: [0, 1, 2], 4: [], 5: [0, 1, 2], 6: [2, 3, 5], 7: []}
WATCHED = {0: 1, 1: 2, 2: 3, 3: 4, 4: 1, 5: 4, 6: 1, 7: 1}


def _log(tmp_path):
    rows = [(u, v, t, 20000, p) for _, (u, v, t, p) in sorted(VIEWS.items())]
    return write_csv(tmp_path / "log.csv", DEMO_HEADER, rows)


def _histories(con):
    return {
        view: (ids, videos, watched, n)
        for view, ids, videos, watched, n in con.execute(
            "SELECT view_id, history_view_ids, history_video_ids, history_watched_segments, history_length "
            "FROM user_histories"
        ).fetchall()
    }


def test_histories_with_ties_and_single_view_users(data_home, tmp_path):
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, _log(tmp_path), upto="user_histories")
        got = _histories(con)
        leak = check_row(con, "user_histories_no_leak")
    assert {v: h[0] for v, h in got.items()} == EXPECTED_H20
    for view, (ids, videos, watched, n) in got.items():
        assert videos == [VIEWS[i][1] for i in ids]
        assert watched == [WATCHED[i] for i in ids]
        assert n == len(ids)
    assert leak["passed"] and leak["history_items"] == sum(len(h) for h in EXPECTED_H20.values())


def test_history_length_keeps_the_most_recent(data_home, tmp_path):
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, _log(tmp_path), history_length=3, upto="user_histories")
        got = _histories(con)
        assert check_row(con, "user_histories_no_leak")["passed"]
        # The bound comes from history_settings: a table claiming H = 2 fails the length check.
        con.execute("UPDATE history_settings SET history_length = 2")
        short = check_row(con, "user_histories_no_leak")
        assert not short["passed"] and short["bad_lengths"] == 3  # views 3, 5 and 6 hold 3 items each
    assert {v: h[0] for v, h in got.items()} == EXPECTED_H3


def test_leak_check_catches_a_same_time_item(data_home, tmp_path):
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, _log(tmp_path), upto="user_histories")
        con.execute("UPDATE user_histories SET history_view_ids = [4, 0, 1] WHERE view_id = 2")
        leak = check_row(con, "user_histories_no_leak")
    assert not leak["passed"] and leak["same_time_or_later_items"] == 1


def test_leak_check_fails_on_an_empty_or_partial_table(data_home, tmp_path):
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, _log(tmp_path), upto="user_histories")
        con.execute("DELETE FROM user_histories WHERE view_id = 7")
        partial = check_row(con, "user_histories_no_leak")
        con.execute("DELETE FROM user_histories")
        empty = check_row(con, "user_histories_no_leak")
    assert not partial["passed"] and (partial["views"], partial["labelled_views"]) == (7, 8)
    assert not empty["passed"] and empty["views"] == 0
