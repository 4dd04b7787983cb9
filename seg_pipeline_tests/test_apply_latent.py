"""Agreement of thumbnails and edit suggestions with latent interest, on pairs worked by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from seg_pipeline.apply.latent import latent_agreement

TRUTH = pd.DataFrame(
    [("u", "v1", i, x) for i, x in enumerate([0.1, 0.9, 0.5])]
    + [("u", "v2", i, x) for i, x in enumerate([0.7, 0.3])]
    + [("u", "v4", 0, 0.5)],
    columns=["user_id", "video_id", "segment_idx", "interest"],
)


def test_hand_worked_agreement():
    pairs = [
        # v1: latent favourite 1, model picks 1. Latent low (<= 0.3 quantile, < median 0.5): seg 0.
        # Model low (<= 0.175, < 0.3): seg 0, a hit; the position prior's low is the tail (seg 2), a miss.
        ("u", "v1", [0.05, 0.8, 0.3]),
        # v2: favourite 0 = model's pick = first segment. Low: seg 1 for truth, model and prior alike.
        ("u", "v2", [0.9, 0.1]),
        ("u", "v3", [0.1, 0.2]),  # no ground truth: left out
        ("u", "v4", [0.3]),  # one segment, no choice: left out
    ]
    m = latent_agreement(pairs, TRUTH)
    assert m["pairs"] == 2
    assert m["thumbnail_best_hit"] == 1.0 and m["thumbnail_best_hit_first_segment"] == 0.5
    assert m["thumbnail_best_hit_second_segment"] == 0.5  # v1's favourite is segment 1
    assert m["thumbnail_best_quantile_second_segment"] == pytest.approx((1.0 + 0.0) / 2)
    assert m["thumbnail_best_hit_random"] == pytest.approx((1 / 3 + 1 / 2) / 2)
    # Quantiles: chosen = favourite in both (1.0); first segment is the least liked in v1 (0), the best in v2 (1).
    assert m["thumbnail_best_quantile"] == 1.0 and m["thumbnail_best_quantile_first_segment"] == 0.5
    # Regret = favourite's latent minus the chosen one's: model 0 and 0; first (0.8 + 0) / 2;
    # second (0 + 0.4) / 2; random = favourite minus mean: (0.9 - 0.5 + 0.7 - 0.5) / 2.
    assert m["thumbnail_regret"] == 0.0
    assert m["thumbnail_regret_first_segment"] == pytest.approx(0.4)
    assert m["thumbnail_regret_second_segment"] == pytest.approx(0.2)
    assert m["thumbnail_regret_random"] == pytest.approx(0.3)
    assert (m["edit_precision"], m["edit_recall"]) == (1.0, 1.0)
    assert (m["edit_precision_position_prior"], m["edit_recall_position_prior"]) == (0.5, 0.5)
    # The rising prior marks the opening: seg 0 of v1 (a hit) and seg 0 of v2 (a miss).
    assert (m["edit_precision_head_prior"], m["edit_recall_head_prior"]) == (0.5, 0.5)


def test_no_usable_pair():
    assert latent_agreement([("x", "v1", [1.0, 2.0, 3.0])], TRUTH) == {"pairs": 0}
