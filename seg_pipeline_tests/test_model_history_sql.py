"""sql/model_history_tokens.sql on a hand-made history: which segments become tokens, where
`left_here` (the model's `hist_left`) is set, the token budget, and no later-split view in a train
example's history (issue 10's `published`-protocol leak)."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from seg_pipeline.model.inputs import Vocab, history_requests, load_history

# One user, five views of 3-segment videos, in time order. Under the published protocol view 12
# is a TEST view logged before the TRAIN view 13.
LABELS = pd.DataFrame({
    "view_id": [10, 11, 12, 13, 14],
    "user_id": ["u"] * 5,
    "video_id": ["a", "b", "c", "d", "e"],
    "time_ms": [0, 1000, 2000, 3000, 4000],
    "watched_segments": [2, 3, 1, 3, 1],  # 10 left in segment 1; 11 full watch; 12 left in 0; 13 left in 2
    "full_watch": [False, True, False, False, False],
})
SPLITS = {10: "train", 11: "train", 12: "test", 13: "train", 14: "test"}


@pytest.fixture()
def con():
    con = duckdb.connect()
    con.register("labels_frame", LABELS)
    con.execute("CREATE TABLE skip_labels AS SELECT * FROM labels_frame")
    rows = []
    for k, view in enumerate(LABELS["view_id"]):
        earlier = LABELS.iloc[:k]
        rows.append({"view_id": view, "history_view_ids": earlier["view_id"].tolist(),
                     "history_video_ids": earlier["video_id"].tolist(),
                     "history_watched_segments": earlier["watched_segments"].tolist()})
    con.register("histories_frame", pd.DataFrame(rows))
    con.execute("CREATE TABLE user_histories AS SELECT * FROM histories_frame")
    con.register("splits_frame", pd.DataFrame({"view_id": list(SPLITS), "split": list(SPLITS.values())}))
    con.execute("CREATE TABLE splits AS SELECT * FROM splits_frame")
    con.execute("CREATE TABLE history_settings AS SELECT 20 AS history_length")
    yield con
    con.close()


def _tokens(con, view: int, max_tokens: int = 16):
    vocab = Vocab.from_train(np.array(["u"], dtype=object), LABELS["video_id"].to_numpy(dtype=object))
    h = load_history(con, history_requests(view_ids=[view]), max_tokens, vocab, None)
    k = int(h.length[0])
    videos = [vocab.videos[i - 2] for i in h.video_idx[0, :k]]
    return list(zip(videos, h.pos[0, :k].tolist(), h.left[0, :k].tolist())), h.recency[0, :k].tolist()


def test_left_here_marks_the_segment_an_earlier_view_ended_in_and_never_a_full_watch(con):
    tokens, recency = _tokens(con, 12)
    # 10 watched segments 0-1 and left in 1; 11 watched all 3 segments (a full watch: no leave)
    assert tokens == [("a", 0, 0), ("a", 1, 1), ("b", 0, 0), ("b", 1, 0), ("b", 2, 0)]
    assert recency == [4, 3, 2, 1, 0]


def test_a_train_example_never_sees_a_later_split_view(con):
    tokens, _ = _tokens(con, 13)  # train view 13: test view 12 (and its leave at segment 0) is left out
    assert tokens == [("a", 0, 0), ("a", 1, 1), ("b", 0, 0), ("b", 1, 0), ("b", 2, 0)]
    tokens, _ = _tokens(con, 14)  # test view 14 keeps every earlier view
    assert [t for t in tokens if t[0] == "c"] == [("c", 0, 1)]
    assert tokens[-3:] == [("d", 0, 0), ("d", 1, 0), ("d", 2, 1)]


def test_the_token_budget_keeps_the_most_recent_segments_oldest_first(con):
    tokens, recency = _tokens(con, 14, max_tokens=4)
    assert tokens == [("c", 0, 1), ("d", 0, 0), ("d", 1, 0), ("d", 2, 1)] and recency == [3, 2, 1, 0]
