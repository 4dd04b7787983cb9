"""The per-segment skip baselines (WideDeep, DIN): they train and score through the model's own
contract, each slot's score depends on that slot alone (what makes them per-segment baselines), they
read the history, a checkpoint restores them, and the model asset refuses to train them as the model."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from seg_pipeline.assets.model.training import SegmentInterestModelConfig
from seg_pipeline.errors import ConfigError
from seg_pipeline.model.architectures import build_network
from seg_pipeline.model.checkpoint import load_checkpoint, save_checkpoint
from seg_pipeline.model.config import ModelConfig
from seg_pipeline.model.inputs import Vocab
from seg_pipeline.model.network import PAD_SCORE
from seg_pipeline.model.per_segment import DINSkip, WideDeepSkip
from seg_pipeline_tests.test_model_network import DIM, N_USERS, N_VIDEOS, _batch

PER_SEGMENT = ("widedeep", "din")


def _net(architecture: str, **changes):
    torch.manual_seed(0)
    config = ModelConfig(**{"architecture": architecture, "d": 8, "heads": 2, "max_history_tokens": 4, **changes})
    return build_network(config, N_USERS, N_VIDEOS, DIM).eval()


@pytest.mark.parametrize("modality", ["id", "visual", "both"])
@pytest.mark.parametrize("architecture", PER_SEGMENT)
def test_trains_and_scores_through_the_model_contract(architecture, modality):
    net = _net(architecture, modality=modality, video_dropout=0.5).train()
    batch = _batch()
    loss = net.loss(batch)
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in net.deep.parameters())
    skip, interest = net.eval().outputs(batch)
    assert skip.shape == interest.shape == (2, 41)
    # view 0 has 3 segments: slots 0..3 are candidates, the rest padding; interest stops before the end slot
    assert torch.isfinite(skip[0, :4]).all() and (skip[0, 4:] == PAD_SCORE).all()
    assert (interest[0, 3:] == PAD_SCORE).all() and (interest[1, 1:] == PAD_SCORE).all()


def _with_segment_vector(batch, view: int, slot: int, row: int):
    seg_rows = batch.seg_rows.clone()
    seg_rows[view, slot] = row
    return batch.replace(seg_rows=seg_rows)


@pytest.mark.parametrize("architecture", PER_SEGMENT)
def test_a_slot_score_depends_on_that_segment_alone(architecture):
    net = _net(architecture, modality="both")
    batch = _batch()
    before = net.interest(batch)
    after = net.interest(_with_segment_vector(batch, view=0, slot=1, row=7))  # segment 1 of view 0 changes
    changed = (before - after).abs() > 1e-6
    assert changed[0, 1]
    assert not changed[0, [0, 2, 3]].any() and not changed[1].any()


def test_the_segment_interest_model_does_look_across_segments():
    """The same change moves the SPEC 3 model's other slots: the property above can fail."""
    net = _net("segment_interest", modality="both")
    batch = _batch()
    before = net.interest(batch)
    after = net.interest(_with_segment_vector(batch, view=0, slot=1, row=7))
    assert ((before - after).abs()[0, [0, 2]] > 1e-6).all()


@pytest.mark.parametrize("architecture", PER_SEGMENT)
def test_scores_read_the_history(architecture):
    net = _net(architecture, modality="both")
    batch = _batch()
    without = batch.replace(hist_mask=torch.zeros_like(batch.hist_mask))
    assert (net.interest(batch)[0, :4] - net.interest(without)[0, :4]).abs().max() > 1e-6
    # view 1 has no history: masking it changes nothing there
    assert torch.allclose(net.interest(batch)[1, :2], net.interest(without)[1, :2])


def test_din_weights_history_by_the_target_slot():
    """Hand-checked DIN pooling: one history token h, weights a(h, t_i) = out(relu(A h + B t_i + (P h) * (Q t_i)))."""
    net = _net("din", modality="id")
    batch = _batch()
    one = batch.replace(hist_mask=torch.tensor([[True, False, False], [False, False, False]]))
    features, target = net.inputs.slots(one)
    h = net.inputs.history(one)[0, 0]
    for slot in range(4):
        t = target[0, slot]
        a = net.attention_out(torch.relu(net.attention_history(h) + net.attention_target(t)
                                         + net.product_history(h) * net.product_target(t)))
        expected = net.deep(torch.cat([features[0, slot], a * h]))
        assert torch.allclose(net.interest(one)[0, slot], expected[0], atol=1e-5)


@pytest.mark.parametrize("architecture, cls", [("widedeep", WideDeepSkip), ("din", DINSkip)])
def test_checkpoint_restores_the_architecture(tmp_path, architecture, cls):
    net = _net(architecture, modality="both")
    vocab = Vocab(users=tuple(f"u{i}" for i in range(N_USERS - 2)), videos=tuple(f"v{i}" for i in range(N_VIDEOS - 2)))
    path = save_checkpoint(tmp_path / "best.pt", net, vocab, DIM, ("ViT-B-32", "random"))
    loaded, _, meta = load_checkpoint(path)
    assert isinstance(loaded, cls) and meta["config"]["architecture"] == architecture
    batch = _batch()
    assert torch.equal(loaded.score(batch), net.score(batch))


def test_unknown_architecture_and_side_inputs_fail_naming_the_field():
    with pytest.raises(ConfigError, match="architecture.*unknown.*segment_interest, widedeep, din, hybrid"):
        ModelConfig(architecture="mlp").validate()
    with pytest.raises(ConfigError, match="architecture"):
        dataclasses.replace(ModelConfig(), architecture="din", stacked=True).validate()


@pytest.mark.parametrize("name", PER_SEGMENT)
def test_model_asset_refuses_a_baseline_network_as_the_model(name):
    with pytest.raises(ConfigError, match="per-segment baseline.*skip_prediction_report"):
        SegmentInterestModelConfig(configuration=name).to_model_config()


def test_hybrid_sums_the_two_branches_on_one_dropped_batch():
    net = _net("hybrid", modality="both", video_dropout=0.5)
    batch = _batch()
    expected = net.attention.slot_logits(batch) + net.per_segment.slot_logits(batch)
    assert torch.allclose(net.interest(batch), expected)  # eval: no dropout
    # training: the ids are dropped once, and both branches see the same dropped batch
    net.train()
    torch.manual_seed(5)
    got = net.interest(batch)
    torch.manual_seed(5)
    dropped = net.training_view(batch)
    assert torch.allclose(got, net.attention.slot_logits(dropped) + net.per_segment.slot_logits(dropped))
