"""Best model vs best baseline: chosen on valid, never on test; model seeds averaged per view."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from seg_pipeline.evaluation.comparison import Candidate, compare_best, model_seed
from seg_pipeline.evaluation.bootstrap import paired_bootstrap

N = 8
GOOD, BAD = np.ones(N, dtype=int), np.full(N, 6)  # ranks: all hits / all outside the top 5


def ranks(hits: int) -> np.ndarray:
    """1-based ranks with the first `hits` views ranked first, the others second."""
    return np.where(np.arange(N) < hits, 1, 2)


def test_choice_is_made_on_valid_even_when_test_favours_another_method():
    candidates = [
        # model 'id' wins on valid, loses on test; 'visual' the other way round
        Candidate("segment_interest", "id", 0, valid_ranks=ranks(6), test_ranks=ranks(2)),
        Candidate("segment_interest", "id", 1, valid_ranks=ranks(6), test_ranks=ranks(4)),
        Candidate("segment_interest", "visual", 0, valid_ranks=ranks(3), test_ranks=GOOD),
        # baseline 'DurationPosition' wins on valid, 'GBDTHazard' would win on test
        Candidate("DurationPosition", "none", None, valid_ranks=ranks(5), test_ranks=ranks(1)),
        Candidate("GBDTHazard", "none", 0, valid_ranks=ranks(4), test_ranks=GOOD),
    ]
    table, valid = compare_best(candidates, resamples=200)
    assert set(table["metric"]) == {"HR@1", "NDCG@5"}
    row = table.set_index("metric").loc["HR@1"]
    assert row["model_modality"] == "id" and row["model_seeds"] == 2 and row["baseline"] == "DurationPosition"
    # valid HR@1: id 6/8 on both seeds; DurationPosition 5/8
    assert row["model_valid"] == pytest.approx(0.75) and row["baseline_valid"] == pytest.approx(5 / 8)
    # test HR@1 per view averaged over the two id seeds: views 0-1: 1, views 2-3: 1/2, others 0 -> 3/8
    assert row["model_test"] == pytest.approx(3 / 8) and row["baseline_test"] == pytest.approx(1 / 8)
    per_view_model = np.array([1, 1, 0.5, 0.5, 0, 0, 0, 0])
    per_view_base = np.array([1, 0, 0, 0, 0, 0, 0, 0.0])
    expected = paired_bootstrap(per_view_model, per_view_base, resamples=200)
    assert (row["difference"], row["low"], row["high"]) == pytest.approx((expected.mean, expected.low, expected.high))
    assert row["difference"] == pytest.approx(0.25)
    assert valid.set_index(["method", "modality"]).loc[("segment_interest", "id"), "seeds"] == 2


def test_no_rows_without_a_model_or_valid_views():
    base = Candidate("AllPosition", "none", None, valid_ranks=GOOD, test_ranks=GOOD)
    assert compare_best([base])[0].empty
    no_valid = [Candidate("segment_interest", "id", 0, None, GOOD), Candidate("AllPosition", "none", None, None, BAD)]
    assert compare_best(no_valid)[0].empty


def test_model_seed_from_the_column_or_the_config():
    assert model_seed(SimpleNamespace(seed=3, config_json='{"seed": 1}')) == 3
    assert model_seed(SimpleNamespace(config_json='{"seed": 7, "d": 16}')) == 7
    assert model_seed(SimpleNamespace(seed=float("nan"), config_json=None)) == 0
    assert model_seed(next(pd.DataFrame({"modality": ["id"], "seed": [2]}).itertuples())) == 2
