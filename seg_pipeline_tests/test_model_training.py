"""Inputs built from a real DuckDB file, a tiny training run on a toy world with a known answer,
determinism, and scoring from a checkpoint alone."""
from __future__ import annotations

import duckdb
import numpy as np
import pytest
import torch

from seg_pipeline.evaluation.metrics import ranking_metrics
from seg_pipeline.model.batches import ViewTensors
from seg_pipeline.model.checkpoint import save_checkpoint
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.inputs import OOV_INDEX, load_view_inputs
from seg_pipeline.model.predict import score_tensors, score_views
from seg_pipeline.model.train import train_model
from seg_pipeline_tests.test_model_toy import build_toy_warehouse

TINY = dict(d=16, heads=2, layers=1, r=4, max_history_tokens=8, lr=5e-3, batch_size=64, dropout=0.0,
            device="cpu")


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    path = tmp_path_factory.mktemp("toy") / "warehouse.duckdb"
    world = build_toy_warehouse(path, n_users=10, n_videos=120, views_per_user=30)
    with duckdb.connect(str(path), read_only=True) as con:
        inputs = load_view_inputs(con, max_history_tokens=8)
    return path, world, inputs


def test_history_tokens_are_the_latest_viewed_segments_oldest_first(toy):
    _, world, inputs = toy
    labels = world["labels"].set_index("view_id")
    # The 6th view of user u0 (time 5000): earlier views 0..4, each contributing segments
    # 0..watched-1; the 8 most recent of those tokens, oldest first.
    view = int(labels.index[(labels.user_id == "u0") & (labels.time_ms == 5000)][0])
    earlier = labels[(labels.user_id == "u0") & (labels.time_ms < 5000)].sort_values("time_ms")
    tokens = [(v, s) for v, w in zip(earlier.video_id, earlier.watched_segments) for s in range(w)][-8:]
    row = int(np.flatnonzero(inputs.view_ids == view)[0])
    assert inputs.hist_len[row] == len(tokens)
    k = len(tokens)
    assert inputs.hist_pos[row, :k].tolist() == [s for _, s in tokens]
    assert inputs.hist_recency[row, :k].tolist() == list(range(k - 1, -1, -1))
    assert inputs.hist_video_idx[row, :k].tolist() == inputs.vocab.video_index(np.array([v for v, _ in tokens])).tolist()
    expected_rows = inputs.vectors.rows_for(np.array([v for v, _ in tokens], dtype=object), np.array([s for _, s in tokens]))
    assert (inputs.hist_rows[row, :k] == expected_rows).all() and (expected_rows > 0).all()
    assert (inputs.hist_len <= 8).all()
    # The first view of a user has no history.
    first = int(np.flatnonzero(inputs.view_ids == int(labels.index[(labels.user_id == "u0") & (labels.time_ms == 0)][0]))[0])
    assert inputs.hist_len[first] == 0


def test_target_segments_and_vocabularies(toy):
    _, world, inputs = toy
    # seg_rows point at the video's own vectors, segment by segment, and nothing past N.
    row = 0
    n = int(inputs.n_segments[row])
    got = inputs.vectors.matrix[inputs.seg_rows[row, :n]]
    assert (inputs.seg_rows[row, n:] == 0).all()
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    # Vocabularies come from train views only: a cold video maps to the shared OOV index.
    cold = inputs.cold_video
    assert cold.any()
    assert (inputs.video_idx[cold] == OOV_INDEX).all()
    assert (inputs.video_idx[inputs.split == "train"] > OOV_INDEX).all()


def _fit(inputs, **changes):
    config = ModelConfig(**{**TINY, "epochs": 6, "patience": 6, **changes})
    train = inputs.subset(inputs.split == "train")
    valid = inputs.subset(inputs.split == "valid")
    return train_model(config, train, valid)


def test_training_beats_random_where_the_answer_is_known(toy):
    _, _, inputs = toy
    test = inputs.subset(inputs.split == "test")
    result = _fit(inputs, modality="visual")
    scores = score_tensors(result.model, ViewTensors(test))
    model = ranking_metrics(scores, test.n_segments, test.target_slot)
    random = ranking_metrics(np.zeros_like(scores), test.n_segments, test.target_slot)
    # The toy's dull segment takes 85% of the leaves; Random finds it about 1 time in 5.
    assert model["HR@1"] > random["HR@1"] + 0.3
    assert model["NDCG@5"] > random["NDCG@5"] + 0.15
    assert result.best_valid["NDCG@5"] > result.random_valid["NDCG@5"]
    assert 1 <= result.best_epoch <= len(result.epochs)


def test_training_is_deterministic_for_a_seed(toy):
    _, _, inputs = toy
    a = _fit(inputs, modality="both", epochs=2, dropout=0.1)
    b = _fit(inputs, modality="both", epochs=2, dropout=0.1)
    assert [e.train_loss for e in a.epochs] == [e.train_loss for e in b.epochs]
    for (name, x), (_, y) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        torch.testing.assert_close(x, y, rtol=0, atol=0, msg=name)
    c = _fit(inputs, modality="both", epochs=2, dropout=0.1, seed=1)
    assert [e.train_loss for e in a.epochs] != [e.train_loss for e in c.epochs]


def test_a_checkpoint_scores_on_its_own(toy, tmp_path):
    path, _, inputs = toy
    result = _fit(inputs, modality="both", epochs=1)
    checkpoint = save_checkpoint(tmp_path / "both" / "best.pt", result.model, inputs.vocab,
                                 inputs.vectors.dim, (inputs.vectors.model, inputs.vectors.weights))
    test = inputs.subset(inputs.split == "test")
    expected = score_tensors(result.model, ViewTensors(test))
    scored = score_views(checkpoint, path, split="test")
    assert scored.modality == "both"
    assert (scored.view_ids == test.view_ids).all()
    np.testing.assert_allclose(scored.scores, expected, rtol=1e-5, atol=1e-5)
    some = test.view_ids[::3]
    subset = score_views(checkpoint, path, split="test", view_ids=some)
    assert (subset.view_ids == some).all()
    np.testing.assert_allclose(subset.scores, expected[::3], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("changes", [
    {"history_leave_flag": False},  # the leave-flag-off ablation (issue 10: never run before)
    {"video_dropout": 0.5, "stop_on": "loss", "position_term": "duration"},
    {"loss": "bce"},
], ids=["no_leave_flag", "levers", "bce"])
def test_ablations_train_and_beat_random(toy, changes):
    _, _, inputs = toy
    result = _fit(inputs, modality="visual", epochs=3, patience=3, **changes)
    assert result.best_valid["NDCG@5"] > result.random_valid["NDCG@5"]
    assert not hasattr(result.model, "leave_flags") or bool(result.model.leave_flags) == \
        changes.get("history_leave_flag", True)
    if changes.get("stop_on") == "loss":
        assert all("loss" in e.valid for e in result.epochs)  # the stop criterion, logged per epoch
