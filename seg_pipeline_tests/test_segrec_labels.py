"""Effective-view labels on a hand-made warehouse: train-only thresholds, buckets, tie rule."""
from __future__ import annotations

import pytest

from seg_pipeline.errors import ConfigError
from seg_pipeline.segrec.labels import build_effective_views
from seg_pipeline.warehouse.db import connect

# (view_id, duration_ms, playing_time_ms, split); user/video ids do not matter to the label.
VIEWS = [
    # bucket 0 (duration <= 10 s): train ratios .2 .5 .9 -> train median .5
    (0, 10_000, 2_000, "train"),
    (1, 10_000, 5_000, "train"),
    (2, 10_000, 9_000, "train"),
    # bucket 1 (duration > 10 s): train ratios .2, 1 (replay capped), .5 -> median .5
    (3, 20_000, 4_000, "train"),
    (4, 20_000, 30_000, "train"),
    (5, 20_000, 10_000, "train"),
    # test views in bucket 0 pulling an all-split median down to .15 (must not matter)
    (6, 10_000, 1_000, "test"),
    (7, 10_000, 1_000, "test"),
    (8, 10_000, 1_000, "test"),
    (9, 10_000, 1_000, "test"),
    (10, 10_000, 6_000, "valid"),  # .6 > .5 -> positive
    (11, 20_000, 10_000, "test"),  # exactly the median: negative under gt, positive under ge
    (12, 20_000, 20_000, "test"),  # full watch -> positive
]
UNSPLIT_VIEW = (13, 10_000, 10_000)


def _make_warehouse(con, views, unsplit=()):
    con.execute(
        "CREATE TABLE interactions (view_id BIGINT, user_id VARCHAR, video_id VARCHAR, time_ms BIGINT,"
        " duration_ms BIGINT, playing_time_ms BIGINT, n_segments INTEGER)"
    )
    con.execute("CREATE TABLE splits (view_id BIGINT, split VARCHAR, cold_video BOOLEAN, protocol VARCHAR)")
    for view_id, duration, playing, split in views:
        con.execute(
            "INSERT INTO interactions VALUES ($v, 'u1', 'v' || $v, $v, $d, $p, ceil($d / 5000))",
            {"v": view_id, "d": duration, "p": playing},
        )
        con.execute("INSERT INTO splits VALUES ($v, $s, false, 'temporal')", {"v": view_id, "s": split})
    for view_id, duration, playing in unsplit:
        con.execute(
            "INSERT INTO interactions VALUES ($v, 'u1', 'v' || $v, $v, $d, $p, ceil($d / 5000))",
            {"v": view_id, "d": duration, "p": playing},
        )


def _labels(con):
    return dict(con.execute("SELECT view_id, label FROM effective_views").fetchall())


def test_train_only_thresholds_and_buckets(data_home):
    with connect(data_home.warehouse) as con:
        _make_warehouse(con, VIEWS, [UNSPLIT_VIEW])
        summary = build_effective_views(con, n_buckets=2, label_rule="gt")
        labels = _labels(con)
        buckets = dict(con.execute("SELECT view_id, bucket FROM effective_views").fetchall())
        thresholds = dict(con.execute("SELECT bucket, min(threshold) FROM effective_views GROUP BY 1").fetchall())
        edges = con.execute(
            "SELECT DISTINCT bucket, bucket_lower_ms, bucket_upper_ms FROM effective_views ORDER BY 1"
        ).fetchall()
    assert buckets == {v: (0 if d <= 10_000 else 1) for v, d, _, _ in VIEWS}
    assert edges == [(0, None, 10_000), (1, 10_000, None)]
    assert thresholds == {0: pytest.approx(0.5), 1: pytest.approx(0.5)}
    assert labels == {0: 0, 1: 0, 2: 1, 3: 0, 4: 1, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0, 10: 1, 11: 0, 12: 1}
    assert summary.labelled == len(VIEWS)
    assert summary.unsplit_views == 1
    assert summary.positive_rate["train"] == pytest.approx(2 / 6)
    assert summary.degenerate_buckets == []


def test_ge_rule_counts_ties_with_the_median(data_home):
    with connect(data_home.warehouse) as con:
        _make_warehouse(con, VIEWS)
        build_effective_views(con, n_buckets=2, label_rule="ge")
        labels = _labels(con)
    assert labels[11] == 1 and labels[1] == 1 and labels[5] == 1
    assert labels[0] == 0 and labels[6] == 0


def test_full_watch_median_makes_a_degenerate_bucket_and_empty_bucket_uses_global_median(data_home):
    views = [
        (0, 10_000, 10_000, "train"),
        (1, 10_000, 12_000, "train"),
        (2, 10_000, 2_000, "train"),
        (3, 30_000, 29_000, "test"),  # longer than every train video: bucket 1 has no train views
    ]
    with connect(data_home.warehouse) as con:
        _make_warehouse(con, views)
        summary = build_effective_views(con, n_buckets=2, label_rule="gt")
        rows = con.execute(
            "SELECT view_id, bucket, threshold, threshold_source, label FROM effective_views ORDER BY 1"
        ).fetchall()
    # train median ratio is 1 (two full watches out of three): nothing exceeds it under 'gt'
    assert summary.degenerate_buckets == [0]
    assert rows[3] == (3, 1, pytest.approx(1.0), "global", 0)
    assert [r[4] for r in rows[:3]] == [0, 0, 0]


@pytest.mark.parametrize("field,kwargs", [("n_buckets", {"n_buckets": 0}), ("label_rule", {"label_rule": "x"})])
def test_bad_config_names_the_field(data_home, field, kwargs):
    with connect(data_home.warehouse) as con:
        _make_warehouse(con, VIEWS)
        with pytest.raises(ConfigError, match=field):
            build_effective_views(con, **kwargs)


def test_missing_upstream_table_is_a_clear_error(data_home):
    with connect(data_home.warehouse) as con:
        with pytest.raises(RuntimeError, match="interactions"):
            build_effective_views(con)
