"""WideDeep and DIN as skip baselines: trained on a real DuckDB warehouse with the model's inputs,
they find what a per-segment scorer can find (the toy's dull segment, from its own CLIP vector),
and they follow the baseline contract (scores, leave distribution, determinism, clear errors)."""
from __future__ import annotations

import duckdb
import numpy as np
import pytest

from seg_pipeline.baselines.base import FitData
from seg_pipeline.baselines.neural import DIN, WideDeep
from seg_pipeline.baselines.registry import BASELINES
from seg_pipeline.contract import N_SLOTS
from seg_pipeline.evaluation.metrics import ranking_metrics
from seg_pipeline.warehouse.tables import read_labelled_views
from seg_pipeline_tests.test_model_toy import build_toy_warehouse


class SmallBatches:
    """The toy has 240 train views: one batch per epoch at the default 256; 32 gives the fit some steps."""

    overrides = dict(batch_size=32)


class ToyWideDeep(SmallBatches, WideDeep):
    pass


class ToyDIN(SmallBatches, DIN):
    pass


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    path = tmp_path_factory.mktemp("toy_neural") / "warehouse.duckdb"
    build_toy_warehouse(path, n_users=10, n_videos=120, views_per_user=30)
    with duckdb.connect(str(path), read_only=True) as con:
        test = read_labelled_views(con, ["test"])
    return path, test


def test_registered_under_their_report_names():
    assert BASELINES["WideDeep"] is WideDeep and BASELINES["DIN"] is DIN


@pytest.mark.parametrize("cls", [ToyWideDeep, ToyDIN])
def test_finds_the_dull_segment_from_its_own_vector(toy, cls):
    """Toy: 85 % of views leave at the video's one dull segment, whose vector differs. Random's HR@1 is
    the mean 1 / (N + 1) (~0.2 here); a per-segment scorer that reads CLIP vectors ranks the dull slot first."""
    path, test = toy
    baseline = cls(seed=0).fit(FitData(warehouse=path))
    assert baseline.modality == "both"  # the toy has segment vectors
    scores = baseline.score(test)
    n, target = test["n_segments"].to_numpy(), test["target_slot"].to_numpy()
    metrics = ranking_metrics(scores, n, target, "segments_end", seed=0)
    random_hr1 = float(np.mean(1.0 / (n + 1)))
    assert random_hr1 < 0.3
    assert metrics["HR@1"] > 0.6, metrics


def test_contract_leave_distribution_and_determinism(toy):
    path, test = toy
    first = ToyWideDeep(seed=3).fit(FitData(warehouse=path))
    again = ToyWideDeep(seed=3).fit(FitData(warehouse=path))
    scores = first.score(test)
    assert scores.shape == (len(test), N_SLOTS) and scores.dtype == np.float32
    assert np.array_equal(scores, again.score(test))
    probs = first.leave_distribution(test)
    n = test["n_segments"].to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert (probs[np.arange(N_SLOTS)[None, :] > n[:, None]] == 0).all()
    # views in another order come back in that order
    reversed_views = test.iloc[::-1].reset_index(drop=True)
    assert np.array_equal(first.score(reversed_views), scores[::-1])
    assert "best epoch" in first.describe() and "modality both" in first.describe()
    # interest: the network's p on real segments, padding from the end slot on (as a model's)
    interest = first.interest(test)
    segment = np.arange(N_SLOTS)[None, :] < n[:, None]
    assert np.isfinite(interest[segment]).all() and (interest[~segment] == 1.0e4).all()


def test_needs_a_warehouse_and_refuses_unknown_views(toy):
    path, test = toy
    with pytest.raises(ValueError, match="FitData.warehouse"):
        WideDeep().fit(FitData())
    fitted = ToyWideDeep(seed=0).fit(FitData(warehouse=path))
    stranger = test.iloc[:2].assign(view_id=[10**9, 10**9 + 1])
    with pytest.raises(ValueError, match="2 of 2 views are not labelled views"):
        fitted.score(stranger)
