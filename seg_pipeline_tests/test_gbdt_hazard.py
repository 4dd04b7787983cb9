"""GBDTHazard and its features on a hand-made warehouse; every statistic below is worked out by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seg_pipeline.baselines.base import FitData
from seg_pipeline.baselines.gbdt_hazard import GBDTHazard, log_leave_from_hazard
from seg_pipeline.baselines.view_features import N_FOLDS, view_features
from seg_pipeline.contract import N_SLOTS
from seg_pipeline.warehouse.db import connect, run_sql

# view_id, user, video, N, target_slot, split (full watch iff target_slot == N)
VIEWS = [
    (0, "u1", "vA", 3, 0, "train"),
    (1, "u1", "vA", 3, 3, "train"),  # full watch
    (2, "u1", "vA", 3, 1, "valid"),
    (3, "u1", "vA", 3, 2, "test"),
    (4, "u2", "vA", 3, 0, "test"),
]
# history (strictly earlier views of the user); view 1's history holds test view 3, which a train
# example must not see (only possible under the 'published' protocol)
HISTORY = {0: [], 1: [0, 3], 2: [0, 1], 3: [0, 1, 2], 4: []}


def make_warehouse(path, views=VIEWS, history=HISTORY) -> None:
    frame = pd.DataFrame(views, columns=["view_id", "user_id", "video_id", "n_segments", "target_slot", "split"])
    frame["full_watch"] = frame["target_slot"] == frame["n_segments"]
    frame["watched_segments"] = np.where(frame["full_watch"], frame["n_segments"], frame["target_slot"] + 1)
    frame["duration_ms"] = frame["n_segments"] * 5000
    hist = pd.DataFrame({"view_id": list(history), "history_view_ids": list(history.values())})
    with connect(path) as con:
        con.register("v", frame)
        con.register("h", hist)
        con.execute("CREATE TABLE skip_labels AS SELECT view_id::BIGINT AS view_id, user_id, video_id, "
                    "n_segments::INTEGER AS n_segments, target_slot::INTEGER AS target_slot, full_watch, "
                    "watched_segments::INTEGER AS watched_segments, duration_ms::BIGINT AS duration_ms FROM v")
        con.execute("CREATE TABLE splits AS SELECT view_id::BIGINT AS view_id, user_id, video_id, split, "
                    "false AS cold_video FROM v")
        con.execute("CREATE TABLE user_histories AS SELECT view_id::BIGINT AS view_id, "
                    "CAST(history_view_ids AS BIGINT[]) AS history_view_ids FROM h")


def test_statistics_never_see_own_or_later_labels(tmp_path):
    path = tmp_path / "w.duckdb"
    make_warehouse(path)
    with connect(path, read_only=True) as con:
        raw = run_sql(con, "baseline_view_features", {"fit_splits": ["train", "valid"]}).df().set_index("view_id")
        train_only = run_sql(con, "baseline_view_features", {"fit_splits": ["train"]}).df().set_index("view_id")
    # video vA: train view 0 sees train view 1 only (leave-one-out), 1 sees 0, valid view 2 sees
    # both train views, test views 3 and 4 see train + valid (0, 1, 2)
    assert raw["video_views"].tolist() == [1, 1, 2, 3, 3]
    assert raw["video_first_skips"].tolist() == [0, 1, 1, 1, 1]
    assert raw["video_fulls"].tolist() == [1, 0, 1, 1, 1]
    assert raw.loc[2, "video_frac_sum"] == pytest.approx(1 / 3 + 1)
    # with fit splits = train only, the test views see the two train views only
    assert train_only["video_views"].tolist() == [1, 1, 2, 2, 2]
    # user: view 1 (train) drops test view 3 from its history and keeps view 0
    assert raw["user_views"].tolist() == [0, 1, 2, 3, 0]
    assert raw.loc[1, "user_first_skips"] == 1 and raw.loc[3, "user_fulls"] == 1


def test_duration_hazard_is_out_of_fold_on_train_rows(tmp_path):
    # views 0 and 5 fall in fold 0 (view_id % 5), so train view 0 must not see view 5's leave at slot 0
    views = VIEWS + [(5, "u3", "vB", 3, 0, "train")]
    path = tmp_path / "w.duckdb"
    make_warehouse(path, views, {**HISTORY, 5: []})
    with connect(path, read_only=True) as con:
        feats = view_features(con).set_index("view_id")
    assert N_FOLDS == 5
    # global hazard over train views 0, 1, 5 (N = 3): slot 0: 2 leaves of 3 reached -> (2 + 1) / (3 + 2)
    global0 = 3 / 5
    # view 0 (fold 0) sees only view 1 (fold 1) among N = 3 train views: 0 leaves of 1 reached at slot 0
    assert feats.loc[0, "slot_stats"][0, 0] == pytest.approx((0 + 5 * global0) / (1 + 5))
    # view 1 (fold 1) sees views 0 and 5: 2 leaves of 2 reached at slot 0
    assert feats.loc[1, "slot_stats"][0, 0] == pytest.approx((2 + 5 * global0) / (2 + 5))


def test_leave_distribution_from_hazards_by_hand():
    # N = 2, hazards 1/2 and 1/4: leave at 0: 1/2, at 1: 1/2 * 1/4 = 1/8, end slot 1/2 * 3/4 = 3/8
    hazard = np.zeros((1, N_SLOTS))
    hazard[0, :2] = [0.5, 0.25]
    p = np.exp(log_leave_from_hazard(hazard, np.array([2])))
    np.testing.assert_allclose(p[0, :3], [0.5, 0.125, 0.375])
    assert (p[0, 3:] == 0).all()


def planted_world(tmp_path):
    """600 views of N = 4: users leave at slot 0 with probability 0.7 on half the videos, else 0.05."""
    rng = np.random.default_rng(0)
    rows, hist = [], {}
    for v in range(600):
        leave0 = rng.random() < (0.7 if (v % 60) < 30 else 0.05)
        target = 0 if leave0 else int(rng.integers(1, 5))
        split = "train" if v < 400 else ("valid" if v < 500 else "test")
        rows.append((v, f"u{v % 7}", f"v{v % 60}", 4, target, split))
        hist[v] = []
    path = tmp_path / "w.duckdb"
    make_warehouse(path, rows, hist)
    with connect(path, read_only=True) as con:
        return view_features(con)


def test_gbdt_learns_a_planted_hazard(tmp_path):
    feats = planted_world(tmp_path)
    model = GBDTHazard(seed=0, rounds=100, patience=10).fit(FitData(features=feats))
    test = feats[feats["split"] == "test"]
    scores = model.score(test)
    bad = np.array([int(v[1:]) < 30 for v in test["video_id"]])
    first = scores[:, :5].argmin(axis=1)
    assert (first[bad] == 0).mean() > 0.9 and (first[~bad] == 0).mean() < 0.5
    dist = model.leave_distribution(test)
    np.testing.assert_allclose(dist.sum(axis=1), 1.0, rtol=1e-6)
    assert (dist[:, 5:] == 0).all() and (scores[:, 5:] == 1.0e4).all()
    # the end slot gets prod_j (1 - h_j), each segment h_i prod_{j<i} (1 - h_j)
    h = model.hazard(test)[:, :4]
    np.testing.assert_allclose(dist[:, 4], np.prod(1 - h, axis=1), rtol=1e-6)
    np.testing.assert_allclose(dist[:, 2], h[:, 2] * (1 - h[:, 0]) * (1 - h[:, 1]), rtol=1e-6)
    # deterministic given its seed
    again = GBDTHazard(seed=0, rounds=100, patience=10).fit(FitData(features=feats)).score(test)
    np.testing.assert_array_equal(scores, again)


def test_gbdt_refuses_views_without_features(tmp_path):
    feats = planted_world(tmp_path)
    model = GBDTHazard(seed=0, rounds=5, patience=2).fit(FitData(features=feats))
    with pytest.raises(ValueError, match="feature columns"):
        model.score(feats[["view_id", "user_id", "video_id", "n_segments"]])
    with pytest.raises(ValueError, match="FitData.features"):
        GBDTHazard().fit(FitData())
