"""Backbones and weighting variants: shapes, masking, frozen interest weights, a short fit."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from seg_pipeline.contract import MAX_SEGMENTS
from seg_pipeline.errors import ConfigError
from seg_pipeline.segrec.backbones import BACKBONES, make_backbone
from seg_pipeline.segrec.backbones.base import BackboneSpec
from seg_pipeline.segrec.batch import VIDEO_POSITION
from seg_pipeline.segrec.data import SegRecData
from seg_pipeline.segrec.metrics import auc
from seg_pipeline.segrec.config import BACKBONE_PARAMS, DINParams, TrainConfig, backbone_params
from seg_pipeline.segrec.model import SegRecModel
from seg_pipeline.segrec.train import fit_variant
from seg_pipeline.segrec.variants import BASE_VARIANTS, Variant, segrec_variant

VARIANTS = list(BASE_VARIANTS) + [segrec_variant("id")]


def toy_data(n: int = 240, n_users: int = 6, n_videos: int = 12, dim: int = 8, seed: int = 0) -> SegRecData:
    """Views whose label is 1 for even users: learnable from the user id alone."""
    rng = np.random.default_rng(seed)
    user = rng.integers(1, n_users + 1, n)
    video = rng.integers(1, n_videos + 1, n)
    n_seg = rng.integers(1, 7, n_videos + 1)[video]  # a video always has the same segment count
    hist = rng.integers(0, n_videos + 1, (n, 5))
    vectors = rng.normal(size=(n_videos + 1, MAX_SEGMENTS, dim)).astype(np.float32)
    vectors[0] = 0
    split = np.array(["train"] * (n // 2) + ["valid"] * (n // 4) + ["test"] * (n - n // 2 - n // 4), dtype=object)
    return SegRecData(
        view_id=np.arange(n), user_ids=user.astype(str).astype(object), video_ids=video.astype(str).astype(object),
        split=split, user=user, video=video, n_segments=n_seg,
        label=(user % 2 == 0).astype(np.float32),
        history_videos=hist, history_mask=hist > 0, n_users=n_users, n_videos=n_videos,
        video_rows=video, history_rows=hist, segment_vectors=vectors, video_vectors=vectors.mean(axis=1),
        interest={"id": rng.normal(size=(n, MAX_SEGMENTS)).astype(np.float32),
                  "ItemPosition": rng.normal(size=(n, MAX_SEGMENTS)).astype(np.float32)},
    )


def spec_for(data: SegRecData, visual: bool = True) -> BackboneSpec:
    return BackboneSpec(n_users=data.n_users, n_videos=data.n_videos,
                        visual_dim=data.visual_dim if visual else 0, dim=4, hidden=(8,))


@pytest.mark.parametrize("name", sorted(BACKBONES))
@pytest.mark.parametrize("visual", [True, False])
def test_backbone_scores_every_segment_slot(name, visual):
    data = toy_data()
    batch = data.batch(np.arange(10), visual=visual)
    torch.manual_seed(0)
    z = make_backbone(name, spec_for(data, visual))(batch)
    assert z.shape == batch.positions.shape == (10, int(data.n_segments[:10].max()))
    assert torch.isfinite(z).all()


@pytest.mark.parametrize("name", sorted(BACKBONES))
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_output_ignores_padded_slots(name, variant):
    """Extra padded slots with garbage scores, and garbage vectors past each video's last
    segment, change no prediction."""
    data = toy_data()
    idx = np.arange(16)
    batch = data.batch(idx, interest=variant.interest)
    torch.manual_seed(0)
    model = SegRecModel(make_backbone(name, spec_for(data)), variant).eval()
    with torch.no_grad():
        y = model(batch)
    b, extra = len(idx), 3
    table = batch.segment_table.clone()
    for row, n in zip(data.video_rows[idx], data.n_segments[idx]):
        table[row, n:] = 100 * torch.randn(MAX_SEGMENTS - n, data.visual_dim)
    padded = replace(
        batch,
        positions=torch.cat([batch.positions, torch.zeros(b, extra, dtype=torch.long)], dim=1),
        mask=torch.cat([batch.mask, torch.zeros(b, extra, dtype=torch.bool)], dim=1),
        segment_table=table,
        interest=None if batch.interest is None else torch.cat([batch.interest, 100 * torch.randn(b, extra)], 1),
    )
    with torch.no_grad():
        y_padded = model(padded)
    assert y.shape == (16,)
    torch.testing.assert_close(y, y_padded)


def test_weights_sum_to_one_over_real_segments_and_follow_the_scores():
    data = toy_data()
    batch = data.batch(np.arange(8), interest="id")
    model = SegRecModel(make_backbone("WideDeep", spec_for(data)), segrec_variant("id"))
    _, w = model.segment_logits_and_weights(batch)
    torch.testing.assert_close(w.sum(dim=1), torch.ones(8))
    assert (w[~batch.mask] == 0).all()
    expected = torch.softmax(batch.interest[0, : int(data.n_segments[0])], dim=0)
    torch.testing.assert_close(w[0, : int(data.n_segments[0])], expected)


def test_video_variant_scores_one_pseudo_segment():
    data = toy_data()
    batch = data.batch(np.arange(4))
    model = SegRecModel(make_backbone("DIN", spec_for(data)), Variant("Video", "video"))
    z, w = model.segment_logits_and_weights(batch)
    assert z.shape == w.shape == (4, 1)
    assert (batch.as_video_level().positions == VIDEO_POSITION).all()


def test_frozen_interest_gets_no_gradient_and_is_not_changed_by_training():
    data = toy_data()
    before = {k: v.copy() for k, v in data.interest.items()}
    batch = data.batch(np.arange(32), interest="id")
    batch.interest.requires_grad_(True)
    model = SegRecModel(make_backbone("WideDeep", spec_for(data)), segrec_variant("id"))
    assert list(model.weighting.parameters()) == []  # nothing to learn in the weights
    torch.nn.functional.binary_cross_entropy_with_logits(model(batch), batch.label).backward()
    assert batch.interest.grad is None
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.backbone.parameters())
    fit_variant(data, "WideDeep", segrec_variant("id"), seed=0, cfg=TrainConfig(dim=4, hidden=(8,), max_epochs=2))
    for k in before:
        np.testing.assert_array_equal(before[k], data.interest[k])


def test_segadjust_learns_position_weights():
    data = toy_data()
    batch = data.batch(np.arange(32))
    model = SegRecModel(make_backbone("WideDeep", spec_for(data)), Variant("SegAdjust", "learned"))
    torch.nn.functional.binary_cross_entropy_with_logits(model(batch), batch.label).backward()
    assert model.weighting.position_logits.grad.abs().sum() > 0


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_short_fit_learns_a_learnable_label_and_is_seeded(name):
    data = toy_data()
    cfg = TrainConfig(dim=4, hidden=(8,), lr=0.05, batch_size=32, max_epochs=6, patience=6)
    first = fit_variant(data, name, Variant("SegSum", "uniform"), seed=1, cfg=cfg)
    again = fit_variant(data, name, Variant("SegSum", "uniform"), seed=1, cfg=cfg)
    test = data.rows("test")
    labels = data.label[test]
    assert first.test_probs.shape == (len(test),)
    # label = user parity: test AUC well above chance
    assert auc(labels, first.test_probs) > 0.9
    np.testing.assert_allclose(first.test_probs, again.test_probs)


def test_every_backbone_declares_its_knobs_and_defaults_are_unchanged():
    assert set(BACKBONES) == set(BACKBONE_PARAMS)
    assert backbone_params("DIN") == DINParams(attention_hidden=32)
    assert backbone_params("WideDeep").cross_buckets == 1 << 17


def test_backbone_knobs_reach_the_backbone_and_unknown_ones_are_named():
    data = toy_data()
    cfg = TrainConfig(dim=4, hidden=(8,), backbone_params={"DIN": {"attention_hidden": 5},
                                                           "WideDeep": {"cross_buckets": 7}}).validate()
    din = make_backbone("DIN", spec_for(data), cfg.params_for("DIN"))
    assert din.attention_out.in_features == 5
    wide = make_backbone("WideDeep", spec_for(data), cfg.params_for("WideDeep"))
    assert wide.wide_cross.num_embeddings == 7
    assert make_backbone("DIN", spec_for(data)).attention_out.in_features == 32  # default
    with pytest.raises(ConfigError, match="backbone_params.DIN.*unknown knob 'heads'.*attention_hidden"):
        TrainConfig(backbone_params={"DIN": {"heads": 2}}).validate()
    with pytest.raises(ConfigError, match="unknown backbone 'GRU4Rec'"):
        TrainConfig(backbone_params={"GRU4Rec": {}}).validate()
    with pytest.raises(ConfigError, match="attention_hidden.*positive integer"):
        TrainConfig(backbone_params={"DIN": {"attention_hidden": 0}}).validate()
