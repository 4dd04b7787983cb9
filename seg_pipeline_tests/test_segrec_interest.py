"""Out-of-fold interest scores: a train view's weights never come from its own skip."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seg_pipeline.segrec.interest import (
    ALL_TRAIN,
    attach_interest,
    fold_of,
    interest_frame,
    item_position_scores,
    model_scores,
)
from seg_pipeline.warehouse.db import connect

# view_id, video_id, split, target_slot (all videos have 3 segments)
VIEWS = [(0, "A", "train", 2), (1, "A", "train", 0), (2, "B", "train", 1), (3, "A", "test", 1)]


def _warehouse(con):
    con.execute("CREATE TABLE skip_labels (view_id BIGINT, user_id VARCHAR, video_id VARCHAR, "
                "n_segments INTEGER, target_slot INTEGER)")
    con.execute("CREATE TABLE splits (view_id BIGINT, split VARCHAR)")
    for view_id, video, split, target in VIEWS:
        con.execute("INSERT INTO skip_labels VALUES ($v, 'u', $video, 3, $t)", {"v": view_id, "video": video, "t": target})
        con.execute("INSERT INTO splits VALUES ($v, $s)", {"v": view_id, "s": split})


def test_folds_by_view_id_and_all_train_for_evaluation_rows():
    folds = fold_of(np.array([0, 1, 2, 3, 4]), np.array(["train", "train", "train", "valid", "test"]), 2)
    np.testing.assert_array_equal(folds, [0, 1, 0, ALL_TRAIN, ALL_TRAIN])


def test_item_position_scores_are_out_of_fold(data_home):
    views = pd.DataFrame(VIEWS, columns=["view_id", "video_id", "split", "target_slot"]).assign(
        user_id="u", n_segments=3)
    folds = fold_of(views["view_id"].to_numpy(), views["split"].to_numpy(), 2)
    with connect(data_home.warehouse) as con:
        _warehouse(con)
        got = item_position_scores(con, views, folds, 2).scores[:, :3]
    # Weights = the share of the prior's viewers still watching at each real segment,
    # S_i = 1 - sum_{j<i} P(leave at j) with P the ItemPosition leave distribution (group frequency +
    # global frequency / (2 n), the back-off, normalised over slots 0..N), normalised over the real
    # segments; stored as logs so softmax returns them.
    weights = np.exp(got)
    # view 0 (fold 0): fit on view 1 only -> video A left at slot 0: P = (1, 0, 0, 0), S = (1, 0, 0)
    np.testing.assert_allclose(weights[0], [1, 1e-6, 1e-6], rtol=1e-5)
    # view 1 (fold 1): fit on views 0 and 2 -> frequencies (0, .25, 1.25) -> P = (0, 1/6, 5/6, 0),
    # S = (1, 1, 5/6), sum 17/6 -> (6/17, 6/17, 5/17)
    np.testing.assert_allclose(weights[1], [6 / 17, 6 / 17, 5 / 17], rtol=1e-5)
    # view 2 (fold 0): video B unseen in fold 1 -> the global frequency of fold 1 (slot 0)
    np.testing.assert_allclose(weights[2], [1, 1e-6, 1e-6], rtol=1e-5)
    # view 3 (test): every train view; video A left at slots 0 and 2 once each of n = 2:
    # frequencies (1/2 + 1/12, 1/12, 1/2 + 1/12) -> P = (7/15, 1/15, 7/15, 0), S = (1, 8/15, 7/15),
    # sum 2 -> (1/2, 4/15, 7/30)
    np.testing.assert_allclose(weights[3], [1 / 2, 4 / 15, 7 / 30], rtol=1e-5)
    # SegRec's softmax (temperature 1) gives the weights back; the old rule, softmax of the raw prior
    # scores -(7/12, 1/12, 7/12), was nearly flat: (0.274, 0.452, 0.274).
    soft = np.exp(got[3] - got[3].max()) / np.exp(got[3] - got[3].max()).sum()
    np.testing.assert_allclose(soft, [1 / 2, 4 / 15, 7 / 30], rtol=1e-5)
    old = np.exp([-7 / 12, -1 / 12, -7 / 12]) / np.exp([-7 / 12, -1 / 12, -7 / 12]).sum()
    np.testing.assert_allclose(old, [0.27407, 0.45186, 0.27407], rtol=1e-4)


def test_model_scores_route_each_fold_to_its_scorer():
    view_ids = np.array([10, 11, 12, 13])
    folds = np.array([0, 1, ALL_TRAIN, 0])
    calls = []

    def full(ids):
        calls.append(("all", list(ids)))
        return np.full((len(ids), 41), 9.0)

    def oof(fold, ids):
        calls.append((fold, list(ids)))
        return np.tile(np.arange(41, dtype=float) + fold, (len(ids), 1))

    got = model_scores("id", view_ids, folds, full, oof)
    assert sorted(calls, key=str) == sorted([("all", [12]), (0, [10, 13]), (1, [11])], key=str)
    assert got.scores.shape == (4, 40)
    np.testing.assert_array_equal(got.scores[2], np.full(40, 9.0))
    np.testing.assert_array_equal(got.scores[1], np.arange(40) + 1)


def test_frame_round_trip_keeps_only_real_segments():
    from seg_pipeline.segrec.interest import InterestScores

    class Rows:  # the two fields attach_interest reads from SegRecData
        view_id = np.array([5, 6])
        interest: dict = {}

    scores = np.arange(80, dtype=np.float32).reshape(2, 40)
    frame = interest_frame(np.array([5, 6]), [InterestScores("id", scores, np.array([0, ALL_TRAIN]))], np.array([2, 3]))
    assert frame["scores"].map(len).tolist() == [2, 3]
    data = Rows()
    assert attach_interest(data, frame.iloc[::-1]) == ["id"]
    np.testing.assert_array_equal(data.interest["id"][0, :3], [0, 1, 0])
    np.testing.assert_array_equal(data.interest["id"][1, :4], [40, 41, 42, 0])
    with pytest.raises(RuntimeError, match="does not cover"):
        attach_interest(data, frame.iloc[:1])
