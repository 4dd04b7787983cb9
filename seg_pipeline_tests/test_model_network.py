"""The network on hand-built batches: every modality and ablation runs, padding never matters, the
encoder's output is its last layer's output, and a seed makes it deterministic."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from seg_pipeline.model.batches import Batch
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.network import PAD_SCORE, SegmentInterestModel

N_USERS, N_VIDEOS, DIM = 5, 9, 6


def _batch(width: int = 4, history: int = 3) -> Batch:
    """Two views: video of 3 segments with 2 history tokens, video of 1 segment with none."""
    torch.manual_seed(123)
    vectors = torch.nn.functional.normalize(torch.randn(20, DIM), dim=1)
    vectors[0] = 0.0
    seg_rows = torch.zeros(2, width, dtype=torch.long)
    seg_rows[0, :3] = torch.tensor([1, 2, 3])
    seg_rows[1, :1] = torch.tensor([4])
    hist_mask = torch.zeros(2, history, dtype=torch.bool)
    hist_mask[0, :2] = True
    hist_rows = torch.zeros(2, history, dtype=torch.long)
    hist_rows[0, :2] = torch.tensor([5, 6])
    hist_video = torch.zeros(2, history, dtype=torch.long)
    hist_video[0, :2] = torch.tensor([3, 4])
    hist_pos = torch.zeros(2, history, dtype=torch.long)
    hist_pos[0, :2] = torch.tensor([0, 1])
    hist_recency = torch.zeros(2, history, dtype=torch.long)
    hist_recency[0, :2] = torch.tensor([1, 0])
    return Batch(
        user_idx=torch.tensor([2, 3]), video_idx=torch.tensor([5, 1]), n_segments=torch.tensor([3, 1]),
        target_slot=torch.tensor([1, 1]), hist_video_idx=hist_video, hist_pos=hist_pos,
        hist_recency=hist_recency, hist_mask=hist_mask, hist_rows=hist_rows, seg_rows=seg_rows, vectors=vectors,
    )


def _model(**changes) -> SegmentInterestModel:
    torch.manual_seed(0)
    settings = dict(d=8, heads=2, layers=2, r=3, max_history_tokens=4, dropout=0.0)
    config = ModelConfig(**{**settings, **changes})
    return SegmentInterestModel(config, N_USERS, N_VIDEOS, DIM).eval()


VARIANTS = [
    dict(modality=m, **ablation)
    for m in ("id", "visual", "both")
    for ablation in ({}, {"cross_attention": False}, {"position": False}, {"loss": "intra_video"},
                     {"loss": "bce"}, {"loss": "bpr_max"}, {"loss": "softmax"}, {"loss": "survival"},
                     {"history_leave_flag": True}, {"interest_scale": 0.0})
]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(str(x) for x in v.values()))
def test_every_modality_and_ablation_scores_and_trains(variant):
    model = _model(**variant).train()
    batch = _batch()
    loss = model.loss(batch)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is None or torch.isfinite(p.grad).all() for p in model.parameters())
    scores = model.eval().score(batch)
    assert scores.shape == (2, 41)
    assert torch.isfinite(scores).all()
    assert (scores[0, 4:] == PAD_SCORE).all() and (scores[1, 2:] == PAD_SCORE).all()
    assert (scores[0, :4] < PAD_SCORE).all()


@pytest.mark.parametrize("modality", ["id", "visual", "both"])
def test_padding_never_changes_the_scores(modality):
    model = _model(modality=modality)
    batch = _batch()
    reference = model.score(batch)
    noisy = batch.replace(
        seg_rows=batch.seg_rows.clone().index_put_((torch.tensor([0, 1, 1]), torch.tensor([3, 1, 2])),
                                                   torch.tensor([7, 8, 9])),
        hist_rows=torch.tensor([[5, 6, 10], [11, 12, 13]]),
        hist_video_idx=torch.tensor([[3, 4, 8], [7, 6, 5]]),
        hist_pos=torch.tensor([[0, 1, 9], [4, 5, 6]]),
        hist_recency=torch.tensor([[1, 0, 3], [2, 1, 0]]),
    )
    torch.testing.assert_close(model.score(noisy), reference)
    # Wider padding (a batch cut to a longer video / history) changes nothing either.
    wide = _batch(width=40, history=4)
    torch.testing.assert_close(model.score(wide), reference)


def test_survival_interest_is_the_continue_logit_and_skip_scores_derive_from_it():
    """Under the survival loss the interest p is what the model learns per segment; the skip score
    -log P(leave at i) adds the chance of reaching i. View 0 has 3 segments: checked by hand."""
    model = _model(loss="survival")
    batch = _batch()
    skip, interest = model.outputs(batch)
    p = model.interest(batch)[0, :3]
    torch.testing.assert_close(interest[0, :3], p)
    assert (interest[0, 3:] == PAD_SCORE).all() and (interest[1, 1:] == PAD_SCORE).all()
    log_sig = torch.nn.functional.logsigmoid
    expected = torch.stack([
        -log_sig(-p[0]),
        -(log_sig(p[0]) + log_sig(-p[1])),
        -(log_sig(p[0]) + log_sig(p[1]) + log_sig(-p[2])),
        -(log_sig(p[0]) + log_sig(p[1]) + log_sig(p[2])),  # the end slot: every segment watched
    ])
    torch.testing.assert_close(skip[0, :4], expected)
    torch.testing.assert_close(model.score(batch), skip)


def test_other_losses_rank_slots_by_the_interest_itself():
    model = _model(loss="softmax")
    skip, interest = model.outputs(_batch())
    torch.testing.assert_close(interest[0, :3], skip[0, :3])
    assert interest[0, 3] == PAD_SCORE and skip[0, 3] < PAD_SCORE  # the end slot is a slot, not a segment


def test_real_history_and_segments_do_change_the_scores():
    model = _model(modality="visual")
    batch = _batch()
    reference = model.score(batch)
    other_history = batch.replace(hist_rows=torch.tensor([[14, 15, 0], [0, 0, 0]]))
    assert not torch.allclose(model.score(other_history)[0, :4], reference[0, :4])
    other_segments = batch.replace(seg_rows=torch.tensor([[1, 16, 3, 0], [4, 0, 0, 0]]))
    assert not torch.allclose(model.score(other_segments)[0, :4], reference[0, :4])


def test_no_cross_attention_ignores_the_user():
    model = _model(modality="visual", cross_attention=False)
    batch = _batch()
    other_history = batch.replace(hist_rows=torch.tensor([[14, 15, 0], [0, 0, 0]]))
    torch.testing.assert_close(model.score(other_history), model.score(batch))


def test_encoder_output_is_the_last_layers_output():
    # SPEC 7: the published encoder returned the input of its last layer. Here the last layer's
    # weights must matter.
    model = _model(modality="id")
    batch = _batch()
    reference = model.score(batch)
    with torch.no_grad():
        model.encoders["id"].layers[-1].feed_forward[-1].weight.mul_(3.0)
    assert not torch.allclose(model.score(batch)[:, :4], reference[:, :4])


def test_position_bias_is_on_by_default_and_off_in_the_ablation():
    assert hasattr(_model(modality="id"), "w_p")
    assert not hasattr(_model(modality="id", position=False), "w_p")


def test_same_seed_same_model_and_gradients():
    def run():
        model = _model(modality="both", dropout=0.2).train()
        torch.manual_seed(1)
        loss = model.loss(_batch())
        loss.backward()
        return loss.detach(), [p.grad.clone() for p in model.parameters() if p.grad is not None]

    (loss_a, grads_a), (loss_b, grads_b) = run(), run()
    torch.testing.assert_close(loss_a, loss_b)
    for a, b in zip(grads_a, grads_b):
        torch.testing.assert_close(a, b)


def test_config_errors_name_the_field():
    from seg_pipeline.errors import ConfigError

    with pytest.raises(ConfigError, match="heads"):
        ModelConfig(d=10, heads=3).validate()
    with pytest.raises(ConfigError, match="'loss': 'hinge' is unknown.*bce, bpr_max, intra_video, softmax, survival"):
        ModelConfig(loss="hinge").validate()
    with pytest.raises(ValueError, match="segment vectors"):
        SegmentInterestModel(dataclasses.replace(ModelConfig(), modality="visual"), 3, 3, 0)


def test_issue10_levers_run_and_start_at_the_plain_model():
    """duration position term (zero init), side features, stacked offset and video-id dropout."""
    batch = _batch()
    width = batch.n_slots
    offset = torch.zeros(2, width)
    offset[0, 1] = 2.0  # GBDT says: likely to leave at slot 1 of view 0
    batch = batch.replace(slot_features=torch.randn(2, width, 4), slot_offset=offset)
    plain = _model(modality="both").interest(batch)
    torch.testing.assert_close(_model(modality="both", position_term="duration").interest(batch), plain)
    torch.testing.assert_close(_model(modality="both", stacked=True).interest(batch), plain - offset)
    model = _model(modality="id", side_features=4, video_dropout=0.5).train()
    loss = model.loss(batch)
    loss.backward()
    assert torch.isfinite(loss) and model.side[0].weight.grad is not None
    with pytest.raises(ValueError, match="slot_features"):
        _model(modality="id", side_features=4).interest(batch.replace(slot_features=None))


def test_video_dropout_changes_nothing_in_eval_mode_and_something_in_training():
    batch = _batch()
    plain, dropped = _model(modality="id"), _model(modality="id", video_dropout=0.9)
    torch.testing.assert_close(dropped.eval().interest(batch), plain.eval().interest(batch))
    torch.testing.assert_close(dropped.eval().score(batch), plain.eval().score(batch))
    torch.manual_seed(1)
    trained_view = dropped.train().interest(batch)
    assert not torch.allclose(trained_view, plain.train().interest(batch))


def test_lever_config_errors_name_the_field():
    for field, value in (("video_dropout", 1.0), ("position_term", "cubic"), ("side_features", -1),
                         ("stop_on", "HR@1")):
        with pytest.raises(ValueError, match=field):
            ModelConfig(**{field: value}).validate()
    with pytest.raises(ValueError, match="stacked"):
        ModelConfig(stacked=True, loss="bce").validate()
