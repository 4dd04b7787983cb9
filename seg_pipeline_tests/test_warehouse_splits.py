"""Splits: the temporal rule (with same-time batches), the published protocol, cold videos."""
from __future__ import annotations

import hashlib

import pytest

from seg_pipeline.errors import ConfigError
from seg_pipeline.warehouse.checks import check_row
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.splits import SplitSettings
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER, build_tables, write_csv


def _split_of(con) -> dict[int, str]:
    return dict(con.execute("SELECT view_id, split FROM splits").fetchall())


def _build(con, data_home, tmp_path, rows, settings=None):
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, rows)
    build_tables(con, data_home, log, split_settings=settings)


def test_temporal_rule_by_hand(data_home, tmp_path):
    rows = []
    # user "ten": 10 views at distinct times, listed newest first -> ranks are reversed view ids.
    rows += [("ten", f"t{i}", 1000 - i, 10000, 100) for i in range(10)]  # view_ids 0..9
    rows += [("one", "o0", 5, 10000, 100)]  # view 10: a single view is train
    rows += [("two", "w0", 5, 10000, 100), ("two", "w1", 6, 10000, 100)]  # views 11, 12: both train
    rows += [("five", f"f{i}", i, 10000, 100) for i in range(5)]  # views 13..17: ranks 0-3 train, 4 valid
    with connect(data_home.warehouse) as con:
        _build(con, data_home, tmp_path, rows)
        split = _split_of(con)
        order = check_row(con, "splits_time_order")
    # ten: ranks 0..7 (views 9..2) train; rank 8 (view 1) valid; rank 9 (view 0) test.
    assert [split[v] for v in range(10)] == ["test", "valid"] + ["train"] * 8
    assert split[10] == "train" and split[11] == split[12] == "train"
    assert [split[v] for v in range(13, 18)] == ["train"] * 4 + ["valid"]
    assert order["passed"]


@pytest.mark.parametrize(
    "tied_ranks, expected",
    [
        # batch of ranks 7-8: middle 7.5 < 8 -> train; rank 9: 9 >= 9 -> test.
        ((7, 8), ["train"] * 9 + ["test"]),
        # batch of ranks 8-9: middle 8.5 in [8, 9) -> valid, both.
        ((8, 9), ["train"] * 8 + ["valid", "valid"]),
        # batch of ranks 6-8: middle 7 -> train, all three; rank 9 -> test.
        ((6, 7, 8), ["train"] * 9 + ["test"]),
        # batch of ranks 7-9: middle 8 -> valid, all three.
        ((7, 8, 9), ["train"] * 7 + ["valid"] * 3),
    ],
)
def test_same_time_views_stay_together(data_home, tmp_path, tied_ranks, expected):
    times = [10 * r for r in range(10)]
    for r in tied_ranks:
        times[r] = 10 * tied_ranks[0]
    rows = [("u", f"v{r}", times[r], 10000, 100) for r in range(10)]
    with connect(data_home.warehouse) as con:
        _build(con, data_home, tmp_path, rows)
        split = _split_of(con)
        assert check_row(con, "splits_time_order")["passed"]
    assert [split[r] for r in range(10)] == expected


def test_cold_video_flags(data_home, tmp_path):
    # u1: 10 views of videos a..j by time; u2: 10 views, train part sees video "j".
    rows = [("u1", v, i, 10000, 100) for i, v in enumerate("abcdefghij")]  # i (view 8) valid, j (view 9) test
    rows += [("u2", f"x{i}", i, 10000, 100) for i in range(8)] + [("u2", "j", 8, 10000, 100), ("u2", "a", 9, 10000, 100)]
    with connect(data_home.warehouse) as con:
        _build(con, data_home, tmp_path, rows)
        as_tuple = {v: (s, c) for v, s, c in con.execute("SELECT view_id, split, cold_video FROM splits").fetchall()}
    assert as_tuple[8] == ("valid", True)  # "i" is in nobody's train views
    assert as_tuple[9] == ("test", True)  # "j" only in u2's valid view: still cold
    assert as_tuple[18] == ("valid", True)
    assert as_tuple[19] == ("test", False)  # "a" is u1's train view
    assert all(not cold for split, cold in as_tuple.values() if split == "train")


def test_keep_full_watches_off_drops_them_from_splits_only(data_home, tmp_path):
    rows = [("u", f"v{i}", i, 10000, 10000 if i % 2 else 100) for i in range(10)]
    with connect(data_home.warehouse) as con:
        _build(con, data_home, tmp_path, rows, SplitSettings(keep_full_watches=False))
        split = _split_of(con)
        histories = con.execute("SELECT history_view_ids FROM user_histories WHERE view_id = 9").fetchone()[0]
    assert sorted(split) == [0, 2, 4, 6, 8]  # ranks 0-3 train (ceil(0.8 * 5) = 4), rank 4 valid
    assert [split[v] for v in (0, 2, 4, 6, 8)] == ["train"] * 4 + ["valid"]
    assert histories == list(range(9))  # full watches still count as history


def test_published_protocol_is_reproducible_outside_sql(data_home, tmp_path):
    seed = 2024
    rows = [("small", f"s{i}", i, 10000, 100) for i in range(4)]  # views 0-3: fewer than 5 views, dropped
    rows += [("big", f"b{i}", 100 - i, 10000, 100) for i in range(12)]  # views 4-15, newest first
    settings = SplitSettings(protocol="published", min_user_views=5, history_only_views=2, seed=seed)
    with connect(data_home.warehouse) as con:
        _build(con, data_home, tmp_path, rows, settings)
        split = _split_of(con)
        protocols = {p for p, in con.execute("SELECT DISTINCT protocol FROM splits").fetchall()}
    # History only: big's two earliest views (times 89 and 90) are views 15 and 14.
    examples = list(range(4, 14))
    assert sorted(split) == examples
    # The same draw in Python: rank by md5 of '<seed>:<view_id>' (first 8 bytes, little endian).
    key = {v: int.from_bytes(hashlib.md5(f"{seed}:{v}".encode()).digest()[:8], "little") for v in examples}
    ranked = sorted(examples, key=lambda v: (key[v], v))
    # m = 10: rank < 8.1 train (9 views), rank < 9.0 valid (none), else test (1 view).
    expected = {v: "train" if r < 9 else "test" for r, v in enumerate(ranked)}
    assert split == expected and protocols == {"published"}


def test_split_settings_fail_fast():
    with pytest.raises(ConfigError, match="protocol"):
        SplitSettings(protocol="random").resolved()
    with pytest.raises(ConfigError, match="valid_fraction"):
        SplitSettings(train_fraction=0.8, valid_fraction=0.3).resolved()
    assert SplitSettings(protocol="published").resolved().train_fraction == 0.81


def test_split_fraction_check(data_home, tmp_path):
    rows = [(f"u{u}", f"v{i}", i, 10000, 100) for u in range(3) for i in range(20)]
    with connect(data_home.warehouse) as con:
        _build(con, data_home, tmp_path, rows)
        good = check_row(con, "split_fractions")
        con.execute("UPDATE splits SET split = 'train' WHERE split = 'test'")
        bad = check_row(con, "split_fractions")
    assert (good["train"], good["valid"], good["test"]) == (48, 6, 6) and good["passed"]
    assert not bad["passed"]
    # actual shares and targets under different names (issue 11)
    assert (good["test_share"], good["test_fraction_target"]) == (0.1, 0.1) and "test_fraction" not in good
    assert (bad["test_share"], bad["test_fraction_target"]) == (0.0, 0.1)
