"""Skip-prediction metrics against values worked out by hand."""
from __future__ import annotations

import math

import numpy as np
import pytest

from seg_pipeline.evaluation.metrics import (
    N_SLOTS,
    candidate_mask,
    expected_watch_time_s,
    metrics_from_ranks,
    ranking_metrics,
    target_ranks,
    watch_time_mae,
)


def scores_for(*rows: list[float], pad: float = 9.0) -> np.ndarray:
    """Score matrix whose leading slots are given per view, the rest filled with `pad`."""
    out = np.full((len(rows), N_SLOTS), pad, dtype=np.float32)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def test_candidate_mask_both_protocols():
    mask = candidate_mask(np.array([1, 3, 40]), "segments_end")
    assert mask.sum(axis=1).tolist() == [2, 4, 41]
    assert mask[1].tolist()[:5] == [True, True, True, True, False]
    published = candidate_mask(np.array([1, 3, 39, 40]), "slots40")
    # 40 slots whatever N is; a 40-segment video also gets its end slot 40.
    assert published.sum(axis=1).tolist() == [40, 40, 40, 41]
    with pytest.raises(ValueError, match="unknown protocol"):
        candidate_mask(np.array([3]), "all")


def test_distinct_scores_rank_and_metrics():
    # N = 3, interest by slot 0..3 = .5 .1 .9 .3; ascending: slot 1, slot 3 (target), slot 0, slot 2.
    scores = scores_for([0.5, 0.1, 0.9, 0.3])
    assert target_ranks(scores, np.array([3]), np.array([3])).tolist() == [2]
    got = ranking_metrics(scores, np.array([3]), np.array([3]))
    assert got["HR@1"] == 0.0 and got["HR@5"] == 1.0 and got["HR@10"] == 1.0
    assert got["NDCG@5"] == pytest.approx(1 / math.log2(3))
    assert got["NDCG@10"] == pytest.approx(1 / math.log2(3))
    assert set(got) == {"HR@1", "HR@5", "HR@10", "NDCG@5", "NDCG@10"}


def test_metrics_from_ranks_by_hand():
    got = metrics_from_ranks(np.array([1, 2, 3, 6, 11]))
    assert got["HR@1"] == pytest.approx(0.2)
    assert got["HR@5"] == pytest.approx(0.6)
    assert got["HR@10"] == pytest.approx(0.8)
    assert got["NDCG@5"] == pytest.approx((1 + 1 / math.log2(3) + 0.5) / 5)  # 0.426186
    assert got["NDCG@10"] == pytest.approx((1 + 1 / math.log2(3) + 0.5 + 1 / math.log2(7)) / 5)
    assert all(math.isnan(v) for v in metrics_from_ranks(np.array([])).values())


def test_single_segment_video_and_k_larger_than_candidates():
    # N = 1: candidates are segment 0 and the end slot, so any rank is <= 2 < K = 5, 10.
    scores = scores_for([0.2, 0.7], [0.2, 0.7])
    n = np.array([1, 1])
    ranks = target_ranks(scores, n, np.array([0, 1]))
    assert ranks.tolist() == [1, 2]
    got = ranking_metrics(scores, n, np.array([0, 1]))
    assert got["HR@1"] == 0.5
    assert got["HR@5"] == 1.0 and got["HR@10"] == 1.0
    assert got["NDCG@5"] == pytest.approx((1 + 1 / math.log2(3)) / 2)


def test_full_watch_targets_end_slot():
    # N = 2, full watch: target slot 2 has the lowest interest.
    scores = scores_for([0.1, 0.2, 0.05])
    assert target_ranks(scores, np.array([2]), np.array([2])).tolist() == [1]
    # The end slot of a 40-segment video is rankable under both protocols.
    full40 = np.zeros((1, N_SLOTS), dtype=np.float32) + 1.0
    full40[0, 40] = 0.0
    for protocol in ("segments_end", "slots40"):
        assert target_ranks(full40, np.array([40]), np.array([40]), protocol).tolist() == [1]


def test_slots40_ranks_padding():
    # N = 2, target slot 1 at 0.5, real slots at 1.0, padding slots 3..39 (37 slots) at 0.0.
    scores = scores_for([1.0, 0.5, 1.0], pad=0.0)
    n, t = np.array([2]), np.array([1])
    assert target_ranks(scores, n, t, "segments_end").tolist() == [1]
    assert target_ranks(scores, n, t, "slots40").tolist() == [38]


def test_all_equal_scores_break_ties_at_random_not_by_index():
    views = 20000
    n = np.full(views, 4)  # 5 candidates
    scores = np.zeros((views, N_SLOTS), dtype=np.float32)
    target = np.zeros(views, dtype=int)  # slot 0: index tie-breaking would always give rank 1
    ranks = target_ranks(scores, n, target, seed=7)
    assert ranks.min() == 1 and ranks.max() == 5
    assert ranks.mean() == pytest.approx(3.0, abs=0.05)
    assert np.bincount(ranks)[1:] / views == pytest.approx([0.2] * 5, abs=0.015)
    got = ranking_metrics(scores, n, target, seed=7)
    assert got["HR@1"] == pytest.approx(0.2, abs=0.015)
    # Fixed seed: repeatable; another seed: another draw.
    assert np.array_equal(ranks, target_ranks(scores, n, target, seed=7))
    assert not np.array_equal(ranks, target_ranks(scores, n, target, seed=8))
    # Under slots40 all 40 slots tie: Random-like HR@1 = 1/40.
    published = ranking_metrics(scores, n, target, protocol="slots40", seed=7)
    assert published["HR@1"] == pytest.approx(1 / 40, abs=0.005)


def test_partial_tie_spans_its_block():
    # N = 3, scores .1 .3 .3 .3, target slot 2: one lower, two tied others -> rank uniform in 2..4.
    views = 6000
    scores = np.repeat(scores_for([0.1, 0.3, 0.3, 0.3]), views, axis=0)
    ranks = target_ranks(scores, np.full(views, 3), np.full(views, 2))
    assert set(ranks.tolist()) == {2, 3, 4}
    assert ranks.mean() == pytest.approx(3.0, abs=0.05)


def test_invalid_inputs_are_rejected():
    scores = scores_for([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="candidate"):
        target_ranks(scores, np.array([2]), np.array([3]))  # slot 3 is padding for N = 2
    with pytest.raises(ValueError, match="NaN"):
        target_ranks(scores_for([0.1, float("nan"), 0.3]), np.array([2]), np.array([0]))
    # NaN in padding is fine: padding is never ranked under the primary protocol.
    assert target_ranks(scores_for([0.1, 0.2, 0.3], pad=float("nan")), np.array([2]), np.array([0])).tolist() == [1]
    with pytest.raises(ValueError, match="shape"):
        target_ranks(np.zeros((1, 40)), np.array([2]), np.array([0]))


def test_expected_watch_time_by_hand():
    # N = 2, duration 8 s. Interest 0, ln 2, 0 -> P(leave) proportional to 1, 1/2, 1 = .4 .2 .4;
    # times 2.5 s (segment 0 midpoint), 7.5 s, 8 s (end slot = full duration).
    scores = scores_for([0.0, math.log(2), 0.0])
    got = expected_watch_time_s(scores, np.array([2]), np.array([8000]))
    assert got.tolist() == pytest.approx([0.4 * 2.5 + 0.2 * 7.5 + 0.4 * 8.0])  # 5.7
    # Duration 6 s: segment 1's midpoint 7.5 s is capped at 6 s; uniform scores -> (2.5 + 6 + 6) / 3.
    capped = expected_watch_time_s(scores_for([1.0, 1.0, 1.0]), np.array([2]), np.array([6000]))
    assert capped.tolist() == pytest.approx([14.5 / 3])


def test_watch_time_mae_seconds_and_segments():
    scores = scores_for([0.0, math.log(2), 0.0], [0.0, math.log(2), 0.0])
    # Predicted 5.7 s for both; true 3 s, and 12 s of replay capped at the 8 s duration.
    got = watch_time_mae(scores, np.array([2, 2]), np.array([8000, 8000]), np.array([3000, 12000]))
    assert got["MAE"] == pytest.approx((2.7 + 2.3) / 2)
    assert got["MAE_segments"] == pytest.approx(2.5 / 5)


def test_slots40_gives_every_method_the_same_padding():
    """A method that puts low (likely-leave) scores on padding slots used to lose ranks under
    slots40 that a model (PAD_SCORE there) never lost; now padding scores are fixed for everyone."""
    import pandas as pd

    from seg_pipeline.evaluation.skip_eval import PADDING_SCORE, evaluate_method
    from seg_pipeline.model.network import PAD_SCORE

    assert PADDING_SCORE == PAD_SCORE
    views = pd.DataFrame({"view_id": [1], "user_id": "u", "video_id": "v", "n_segments": [2], "target_slot": [1],
                          "duration_ms": [10000], "playing_time_ms": [7000], "cold_video": [False]})
    scores = np.full((1, N_SLOTS), -5.0)  # padding scored as the likeliest leave
    scores[0, :3] = [1.0, 0.0, 2.0]  # target slot 1 is the lowest real slot
    rows = pd.DataFrame(evaluate_method("m", "none", scores, views))
    hr1 = rows[(rows.metric == "HR@1") & (rows.subset == "all")].set_index("protocol")["value"]
    assert hr1["slots40"] == 1.0 and hr1["segments_end"] == 1.0


def test_slots40_random_keeps_its_draw_on_padding():
    """Random is the published protocol's calibration row: 40 random slots give HR@1 = 1/40."""
    import pandas as pd

    from seg_pipeline.baselines.random_scores import RandomBaseline
    from seg_pipeline.evaluation.skip_eval import evaluate_method

    n_views = 4000
    views = pd.DataFrame({"view_id": np.arange(n_views), "user_id": "u", "video_id": "v", "n_segments": 2,
                          "target_slot": 1, "duration_ms": 10000, "playing_time_ms": 7000, "cold_video": False})
    scores = RandomBaseline(seed=3).score(views)
    rows = pd.DataFrame(evaluate_method("Random", "none", scores, views))
    hr1 = rows[(rows.metric == "HR@1") & (rows.subset == "all")].set_index("protocol")["value"]
    assert hr1["slots40"] == pytest.approx(1 / 40, abs=0.01)
    assert hr1["segments_end"] == pytest.approx(1 / 3, abs=0.03)


def test_evaluate_method_uses_the_leave_distribution_for_mae():
    import pandas as pd

    from seg_pipeline.evaluation.skip_eval import evaluate_method

    views = pd.DataFrame({"view_id": [1], "user_id": "u", "video_id": "v", "n_segments": [1], "target_slot": [0],
                          "duration_ms": [5000], "playing_time_ms": [2500], "cold_video": [False]})
    scores = np.full((1, N_SLOTS), 1.0e4)
    scores[0, :2] = [-0.4, -0.2]
    probs = np.zeros((1, N_SLOTS))
    probs[0, :2] = [2 / 3, 1 / 3]
    mae = lambda rows: [r["value"] for r in rows if r["metric"] == "MAE" and r["subset"] == "all"][0]  # noqa: E731
    # 2/3 * 2.5 + 1/3 * 5 = 10/3 s against 2.5 s
    assert mae(evaluate_method("m", "none", scores, views, leave_probs=probs)) == pytest.approx(5 / 6)
    assert mae(evaluate_method("m", "none", scores, views)) != pytest.approx(5 / 6)
