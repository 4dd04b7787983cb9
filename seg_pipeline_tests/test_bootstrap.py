import numpy as np
import pytest

from seg_pipeline.evaluation.bootstrap import paired_bootstrap, per_view_metrics
from seg_pipeline.evaluation.metrics import metrics_from_ranks


def test_constant_difference_has_a_zero_width_interval():
    a = np.array([1.0, 0.0, 1.0, 0.5])
    ci = paired_bootstrap(a, a - 0.25)
    assert (ci.mean, ci.low, ci.high) == pytest.approx((0.25, 0.25, 0.25))
    assert ci.excludes_zero and ci.n_views == 4 and ci.resamples == 1000


def test_two_views_interval_by_hand():
    # d = (0, 1): a resample's mean is 0, 1/2 or 1 with probabilities 1/4, 1/2, 1/4, so the 2.5 %
    # and 97.5 % quantiles of 1,000 resamples are 0 and 1 and the interval includes 0 (a tie).
    ci = paired_bootstrap(np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    assert ci.mean == 0.5 and ci.low == 0.0 and ci.high == 1.0
    assert not ci.excludes_zero


def test_fixed_seed_is_reproducible_and_pairing_matters():
    rng = np.random.default_rng(3)
    b = rng.random(500)
    a = b + 0.01 + rng.normal(0, 0.001, 500)  # a tiny but consistent per-view gain
    first, second = paired_bootstrap(a, b), paired_bootstrap(a, b)
    assert first == second
    assert first.low > 0.0  # paired: the shared per-view noise in b cancels


def test_per_view_metrics_average_to_the_metric_code():
    ranks = np.array([1, 2, 6, 3, 1])
    per_view = per_view_metrics(ranks)
    np.testing.assert_allclose(per_view["NDCG@5"][:3], [1.0, 1 / np.log2(3), 0.0])
    expected = metrics_from_ranks(ranks)
    assert per_view["HR@1"].mean() == pytest.approx(expected["HR@1"])
    assert per_view["NDCG@5"].mean() == pytest.approx(expected["NDCG@5"])


def test_misaligned_inputs_fail():
    with pytest.raises(ValueError):
        paired_bootstrap(np.zeros(3), np.zeros(4))
