"""Position baselines on a hand-made warehouse: every interest value below is worked out by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seg_pipeline.baselines.base import FIT_VIEW_COLUMNS, FitData
from seg_pipeline.baselines.priors import load_fit_data
from seg_pipeline.baselines.registry import BASELINES, DEFAULT_BASELINES, make_baseline
from seg_pipeline.contract import N_SLOTS
from seg_pipeline.errors import ConfigError
from seg_pipeline.evaluation.metrics import ranking_metrics
from seg_pipeline.warehouse.db import connect

# view_id, user, video, N, target_slot, split. Fit views (train + valid): 0-4.
VIEWS = [
    (0, "u1", "vA", 3, 0, "train"),
    (1, "u1", "vA", 3, 0, "train"),
    (2, "u1", "vB", 2, 2, "train"),  # full watch: end slot 2
    (3, "u2", "vB", 2, 1, "valid"),
    (4, "u2", "vC", 4, 3, "train"),
    (5, "u1", "vC", 4, 2, "test"),
    (6, "u3", "vD", 3, 1, "test"),  # unseen user and video, seen N
    (7, "u2", "vE", 1, 0, "test"),  # unseen N
    (8, "u2", "vC", 4, 4, "test"),  # test labels must never reach the statistics
]
# Global leave counts over fit views: slot 0: 2, slots 1, 2, 3: 1 each, of 5 views.
GLOBAL = np.array([0.4, 0.2, 0.2, 0.2, 0.0])


def make_warehouse(path) -> None:
    frame = pd.DataFrame(VIEWS, columns=["view_id", "user_id", "video_id", "n_segments", "target_slot", "split"])
    with connect(path) as con:
        con.register("v", frame)
        con.execute(
            "CREATE TABLE skip_labels AS SELECT view_id::BIGINT AS view_id, user_id, video_id, "
            "view_id * 1000 AS time_ms, n_segments * 5000 AS duration_ms, target_slot * 5000 + 2500 AS "
            "playing_time_ms, n_segments::INTEGER AS n_segments, "
            "CASE WHEN target_slot < n_segments THEN target_slot END::INTEGER AS skip_segment, "
            "target_slot::INTEGER AS target_slot, target_slot = n_segments AS full_watch FROM v"
        )
        con.execute("CREATE TABLE splits AS SELECT view_id::BIGINT AS view_id, user_id, split, "
                    "false AS cold_video FROM v")


@pytest.fixture
def fitted(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    with connect(path) as con:
        fit = load_fit_data(con, ["train", "valid"])
    test = pd.DataFrame([v for v in VIEWS if v[5] == "test"],
                        columns=["view_id", "user_id", "video_id", "n_segments", "target_slot", "split"])
    return fit, test


def first5(matrix: np.ndarray) -> np.ndarray:
    return matrix[:, :5].astype(np.float64)


def test_fit_data_holds_the_labelled_fit_views_only(fitted):
    fit, _ = fitted
    assert tuple(fit.views.columns) == FIT_VIEW_COLUMNS
    assert fit.views["view_id"].tolist() == [0, 1, 2, 3, 4]  # test views 5-8 never reach a baseline
    assert fit.views["split"].tolist() == ["train", "train", "train", "valid", "train"]
    assert fit.views["target_slot"].tolist() == [0, 0, 2, 1, 3]
    assert fit.views["full_watch"].tolist() == [False, False, True, False, False]


def test_position_priors_table_counts_fit_views_only(fitted):
    priors = fitted[0].priors
    overall = priors[priors.prior == "all"].sort_values("slot")
    assert overall[["slot", "skips", "views"]].values.tolist() == [[0, 2, 5], [1, 1, 5], [2, 1, 5], [3, 1, 5]]
    video_c = priors[(priors.prior == "video_id") & (priors.group_key == "vC")]
    assert video_c[["slot", "skips", "views"]].values.tolist() == [[3, 1, 1]]  # test views 5, 8 absent
    assert set(priors.prior) == {"all", "user_id", "video_id", "n_segments"}


def test_all_position_is_negated_global_frequency(fitted):
    fit, test = fitted
    scores = make_baseline("AllPosition").fit(fit).score(test)
    assert scores.shape == (4, N_SLOTS) and scores.dtype == np.float32
    assert first5(scores) == pytest.approx(np.tile(-GLOBAL, (4, 1)))


def test_user_position_backs_off_to_global(fitted):
    fit, test = fitted
    scores = first5(make_baseline("UserPosition").fit(fit).score(test))
    # u1: fit views 0, 1, 2 -> slot 0: 2/3, slot 2: 1/3; ties ordered by GLOBAL / (2 * 3).
    u1 = -(np.array([2, 0, 1, 0, 0]) / 3 + GLOBAL / 6)
    # u2: fit views 3, 4 -> slots 1 and 3 at 1/2 each.
    u2 = -(np.array([0, 1, 0, 1, 0]) / 2 + GLOBAL / 4)
    assert scores[0] == pytest.approx(u1)  # view 5
    assert scores[1] == pytest.approx(-GLOBAL)  # view 6: u3 unseen
    assert scores[2] == pytest.approx(u2)
    assert scores[3] == pytest.approx(u2)


def test_item_position_per_video(fitted):
    fit, test = fitted
    scores = first5(make_baseline("ItemPosition").fit(fit).score(test))
    video_c = -(np.array([0, 0, 0, 1, 0]) / 1 + GLOBAL / 2)  # vC: view 4 left at slot 3
    assert scores[0] == pytest.approx(video_c)
    assert scores[1] == pytest.approx(-GLOBAL)  # vD unseen
    assert scores[2] == pytest.approx(-GLOBAL)  # vE unseen
    assert scores[3] == pytest.approx(video_c)


def test_duration_position_per_segment_count(fitted):
    fit, test = fitted
    scores = first5(make_baseline("DurationPosition").fit(fit).score(test))
    n4 = -(np.array([0, 0, 0, 1, 0]) + GLOBAL / 2)  # N = 4: view 4
    n3 = -(np.array([2, 0, 0, 0, 0]) / 2 + GLOBAL / 4)  # N = 3: views 0, 1
    assert scores[0] == pytest.approx(n4)
    assert scores[1] == pytest.approx(n3)
    assert scores[2] == pytest.approx(-GLOBAL)  # N = 1 never seen
    # View 6 (N = 3, left at slot 1): slot 0 first at -1.1, then slots 1, 2, 3 tie at -.05 -> rank 2..4.
    ranks = ranking_metrics(scores_pad(scores[1:2]), np.array([3]), np.array([1]), seed=0)
    assert ranks["HR@1"] == 0.0 and ranks["HR@5"] == 1.0


def scores_pad(rows: np.ndarray) -> np.ndarray:
    out = np.zeros((len(rows), N_SLOTS), dtype=np.float32)
    out[:, : rows.shape[1]] = rows
    return out


def test_random_is_seeded_per_view(fitted):
    fit, test = fitted
    random = make_baseline("Random", seed=3).fit(fit)
    scores = random.score(test)
    assert ((scores >= 0) & (scores < 1)).all()
    # A view scores the same alone or with others, and the same on a second call.
    alone = random.score(test.iloc[[2]])
    assert np.array_equal(alone[0], scores[2])
    assert np.array_equal(scores, random.score(test))
    assert not np.array_equal(scores, make_baseline("Random", seed=4).score(test))


def test_random_hit_rate_matches_chance():
    views = pd.DataFrame({"view_id": np.arange(4000), "user_id": "u", "video_id": "v",
                          "n_segments": np.tile([1, 3], 2000)})
    scores = make_baseline("Random", seed=0).score(views)
    got = ranking_metrics(scores, views.n_segments.values, np.zeros(4000, dtype=int))
    assert got["HR@1"] == pytest.approx((1 / 2 + 1 / 4) / 2, abs=0.025)


def test_registry_names_every_baseline():
    assert set(BASELINES) == {"Random", "AllPosition", "UserPosition", "ItemPosition", "DurationPosition",
                              "GBDTHazard", "WideDeep", "DIN"}
    assert set(BASELINES) - set(DEFAULT_BASELINES) == {"DIN"}  # opt-in: the costliest
    with pytest.raises(ConfigError, match="unknown baseline.*Popularity.*choose from.*AllPosition"):
        make_baseline("Popularity")


def test_position_priors_score_the_same_from_fit_data_or_priors_alone(fitted):
    """FitData widens the input; the position priors read only its priors."""
    fit, test = fitted
    for name in ("AllPosition", "UserPosition", "ItemPosition", "DurationPosition"):
        full = make_baseline(name).fit(fit).score(test)
        assert np.array_equal(full, make_baseline(name).fit(FitData(priors=fit.priors)).score(test))


def test_prior_leave_distribution_is_its_frequencies_not_a_softmax(fitted):
    """AllPosition's leave distribution is the global frequency renormalised over slots 0..N."""
    fit, test = fitted
    prior = make_baseline("AllPosition").fit(fit)
    probs = prior.leave_distribution(test)
    # view 5 (N = 4): slots 0..4 carry 0.4, 0.2, 0.2, 0.2, 0 (sum 1); view 7 (N = 1): 0.4, 0.2 -> 2/3, 1/3
    np.testing.assert_allclose(probs[0, :5], [0.4, 0.2, 0.2, 0.2, 0.0])
    np.testing.assert_allclose(probs[2, :2], [2 / 3, 1 / 3])
    assert (probs[0, 5:] == 0).all() and np.allclose(probs.sum(axis=1), 1.0)


def test_prior_watch_time_mae_by_hand(fitted):
    """MAE from AllPosition's frequencies, worked out by hand; the old softmax(-frequency) rule gives
    a different (nearly uniform) answer, so this fails on the old behaviour."""
    from seg_pipeline.evaluation.metrics import watch_time_mae

    fit, test = fitted
    prior = make_baseline("AllPosition").fit(fit)
    one = test.iloc[[2]]  # view 7: N = 1 (duration 5 s), left in segment 0, played 2.5 s
    probs = prior.leave_distribution(one)
    # expected time: 2/3 * 2.5 s (segment 0's midpoint) + 1/3 * 5 s (end slot = duration) = 10/3 s;
    # actual 2.5 s, so MAE = 10/3 - 5/2 = 5/6 s
    got = watch_time_mae(prior.score(one), one["n_segments"].to_numpy(), np.array([5000]), np.array([2500]), probs)
    assert got["MAE"] == pytest.approx(5 / 6)
    old = watch_time_mae(prior.score(one), one["n_segments"].to_numpy(), np.array([5000]), np.array([2500]))
    # softmax(0.4, 0.2) = (0.5498, 0.4502): 0.5498 * 2.5 + 0.4502 * 5 - 2.5 = 1.1255 s
    assert old["MAE"] == pytest.approx(1.1255, abs=1e-4)
