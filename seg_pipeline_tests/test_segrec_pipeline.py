"""A tiny end-to-end SegRec run: real warehouse tables from a generated log, then the real
segment_interest_model asset (tiny config) and the three SegRec assets materialised by Dagster."""
from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from dagster import DagsterInvalidConfigError, materialize
from pydantic import ValidationError

from seg_pipeline.assets.checks import sql_check
from seg_pipeline.assets.model.training import segment_interest_model
from seg_pipeline.assets.segrec.interest import (
    SegrecInterestConfig,
    interest_scores_cover_views,
    segrec_interest_scores,
)
from seg_pipeline.assets.segrec.labels import effective_views, effective_views_consistent
from seg_pipeline.assets.segrec.report import (
    SegrecReportConfig,
    segrec_beats_video,
    segrec_metrics_complete,
    segrec_report,
)
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, MlflowTracking, RunSettings
from seg_pipeline.segrec.interest import InterestSettings
from seg_pipeline.segrec.variants import choose_variants
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.histories import build_user_histories
from seg_pipeline.warehouse.interactions import build_interactions
from seg_pipeline.warehouse.labels import build_skip_labels
from seg_pipeline.warehouse.logs import resolve_log
from seg_pipeline.warehouse.splits import SplitSettings, build_splits


def _toy_log(n_users: int = 20, n_videos: int = 40, views_per_user: int = 30, seed: int = 0) -> pd.DataFrame:
    """Users leave at the first segment off their favourite topic (with probability 0.7)."""
    rng = np.random.default_rng(seed)
    n_seg = rng.integers(2, 9, n_videos)
    topics = [rng.integers(0, 3, n) for n in n_seg]
    favourite = rng.integers(0, 3, n_users)
    rows = []
    for u in range(n_users):
        for k in range(views_per_user):
            v = int(rng.integers(n_videos))
            duration = int(n_seg[v] * 5000 - rng.integers(0, 4000))
            leave = next((i for i, t in enumerate(topics[v]) if t != favourite[u] and rng.random() < 0.7), None)
            playing = duration if leave is None else int(leave * 5000 + rng.integers(0, 5000))
            rows.append((f"u{u}", f"v{v}", 1_000 * (k + 1), duration, min(playing, duration)))
    return pd.DataFrame(rows, columns=["user_id", "video_id", "time_ms", "duration_ms", "playing_time_ms"])


@pytest.fixture
def toy_warehouse(data_home, tmp_path):
    log_path = tmp_path / "log.parquet"
    _toy_log().to_parquet(log_path)
    with connect(data_home.warehouse) as con:
        spec = resolve_log(con, data_home, str(log_path), "demo")
        build_interactions(con, spec, min_duration_ms=1, max_duration_ms=200_000, check_videos=False)
        build_skip_labels(con)
        build_user_histories(con, 20)
        build_splits(con, SplitSettings())
    return data_home


def _resources(layout) -> dict:
    return {"home": DataHome(root=str(layout.root)), "tracking": MlflowTracking(root=str(layout.root)),
            "run_settings": RunSettings(device="cpu", threads=1)}


def test_segrec_assets_end_to_end(toy_warehouse):
    layout = toy_warehouse
    run_config = {"ops": {
        "segment_interest_model": {"config": {"modalities": ["id"], "d": 8, "layers": 1, "heads": 1, "r": 2,
                                              "epochs": 2, "batch_size": 256, "max_history_tokens": 16}},
        "segrec_interest_scores": {"config": {"n_folds": 2}},  # fold models: the checkpoint's best epoch
        "segrec_report": {"config": {"seeds": 2, "dim": 4, "hidden": [8], "max_epochs": 1, "patience": 1,
                                     "batch_size": 256}},
    }}
    result = materialize(
        [segment_interest_model],
        resources=_resources(layout),
        run_config={"ops": {"segment_interest_model": run_config["ops"].pop("segment_interest_model")}},
    )
    assert result.success
    with connect(layout.warehouse, read_only=True) as con:
        (checkpoint,), = con.execute("SELECT checkpoint_path FROM trained_models").fetchall()
    checkpoint_bytes = Path(checkpoint).read_bytes()

    result = materialize(
        [effective_views, segrec_interest_scores, segrec_report, effective_views_consistent,
         interest_scores_cover_views, segrec_metrics_complete, segrec_beats_video],
        resources=_resources(layout),
        run_config=run_config,
    )
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert set(checks) == {"effective_views_consistent", "interest_scores_cover_views", "segrec_metrics_complete",
                           "segrec_beats_video"}
    assert all(passed for name, passed in checks.items() if name != "segrec_beats_video")  # a WARN check

    with connect(layout.warehouse, read_only=True) as con:
        n_views = con.execute("SELECT count(*) FROM effective_views").fetchone()[0]
        n_split = con.execute("SELECT count(*) FROM splits").fetchone()[0]
        sources = dict(con.execute("SELECT source, count(*) FROM segrec_interest_scores GROUP BY 1").fetchall())
        folds = dict(con.execute("SELECT fold, count(*) FROM segrec_interest_scores s JOIN effective_views e "
                                 "USING (view_id) WHERE source = 'id' GROUP BY fold").fetchall())
        n_train = con.execute("SELECT count(*) FROM effective_views WHERE split = 'train'").fetchone()[0]
        metrics = con.execute("SELECT backbone, variant, seed, metric, value, mlflow_run_id FROM segrec_metrics").df()
        summary = con.execute("SELECT * FROM segrec_summary").df()
        paired = con.execute("SELECT * FROM segrec_vs_video").df()
    assert n_views == n_split
    assert sources == {"ItemPosition": n_views, "id": n_views}
    assert folds[0] + folds[1] == n_train and folds[-1] == n_views - n_train
    expected_variants = {"Video", "SegSum", "SegAdjust", "ItemPosition", "SegRec_id"}
    assert set(metrics["variant"]) == expected_variants
    assert set(metrics["backbone"]) == {"WideDeep", "DIN"}
    assert len(metrics) == 2 * len(expected_variants) * 2 * 3
    assert metrics[metrics.metric != "logloss"]["value"].between(0, 1).all()
    assert len(summary) == 2 * len(expected_variants) * 3 and (summary["seeds"] == 2).all()
    # Paired deltas against Video, recomputed here from the per-seed rows.
    assert len(paired) == 2 * (len(expected_variants) - 1) * 3 and (paired["paired_seeds"] == 2).all()
    wide = metrics.pivot_table(index=["backbone", "metric", "seed"], columns="variant", values="value")
    row = paired[(paired.backbone == "DIN") & (paired.variant == "SegRec_id") & (paired.metric == "AUC")].iloc[0]
    deltas = (wide["SegRec_id"] - wide["Video"]).loc["DIN", "AUC"]
    assert row.mean_delta == pytest.approx(deltas.mean()) and row.std_delta == pytest.approx(deltas.std())
    assert row.seeds_above_video == int((deltas > 0).sum())
    # the frozen segment-interest checkpoint is untouched by SegRec
    assert Path(checkpoint).read_bytes() == checkpoint_bytes

    run_id = metrics["mlflow_run_id"].iloc[0]
    mlflow.set_tracking_uri(layout.mlflow_tracking_uri)
    run = mlflow.get_run(run_id)
    assert "WideDeep/SegRec_id/AUC_mean" in run.data.metrics
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "segrec_report")}
    assert "segrec_report/segrec_report.md" in artifacts


def test_interest_check_catches_scores_that_are_not_out_of_fold(toy_warehouse):
    """The old check only asked 'fold >= 0 for train rows': swapped folds or a prior fit on its own
    fold passed it."""
    # Stand-in tables (the full run is test_segrec_assets_end_to_end): ItemPosition scores only.
    from seg_pipeline.segrec.interest import score_interest
    from seg_pipeline.segrec.labels import build_effective_views
    from seg_pipeline.warehouse.db import write_frames

    home = DataHome(root=str(toy_warehouse.root))
    with connect(toy_warehouse.warehouse) as con:
        build_effective_views(con)
    scored = score_interest(toy_warehouse.warehouse, InterestSettings(n_folds=3))
    with connect(toy_warehouse.warehouse) as con:
        write_frames(con, [("segrec_interest_scores", scored.frame, {"dagster_run_id": "t"}),
                           ("segrec_fold_settings", scored.settings, {"dagster_run_id": "t"})])
    good = sql_check(home, "interest_scores_cover_views")
    assert good.passed and good.metadata["n_folds"].value == 3

    with connect(toy_warehouse.warehouse) as con:
        con.execute("UPDATE segrec_interest_scores SET fold = (fold + 1) % 3 WHERE fold >= 0")
    swapped = sql_check(home, "interest_scores_cover_views")
    assert not swapped.passed and swapped.metadata["wrong_fold_numbers"].value > 0

    with connect(toy_warehouse.warehouse) as con:
        con.execute("UPDATE segrec_interest_scores SET fold = view_id % 3 WHERE fold >= 0")
    assert sql_check(home, "interest_scores_cover_views").passed
    with connect(toy_warehouse.warehouse) as con:  # a prior for fold 0 that also counted fold 0's own views
        con.execute("UPDATE segrec_fold_priors SET skips = skips + 1 WHERE fold = 0 AND prior = 'all' "
                    "AND slot = (SELECT min(slot) FROM segrec_fold_priors WHERE fold = 0 AND prior = 'all')")
    leaky = sql_check(home, "interest_scores_cover_views")
    assert not leaky.passed and leaky.metadata["prior_fold_mismatches"].value == 1


def test_variant_choice_follows_the_stored_scores_and_rejects_unknown_names():
    names = [v.name for v in choose_variants([], ["ItemPosition", "id", "both"])]
    assert names == ["Video", "SegSum", "SegAdjust", "ItemPosition", "SegRec_id", "SegRec_both"]
    assert [v.name for v in choose_variants([], [])] == ["Video", "SegSum", "SegAdjust"]
    with pytest.raises(ConfigError, match="variants"):
        choose_variants(["SegRec_visual"], ["ItemPosition", "id"])


def test_configs_reject_bad_values_naming_the_field_and_the_choices():
    with pytest.raises(ConfigError, match="n_folds"):
        InterestSettings(n_folds=1).validate()
    with pytest.raises(ValidationError, match="n_folds"):
        SegrecInterestConfig(n_folds=1)
    with pytest.raises(ValidationError, match="'id', 'visual' or 'both'"):
        SegrecInterestConfig(modalities=["audio"])
    with pytest.raises(ValidationError, match="lr"):
        SegrecReportConfig(lr=0)
    with pytest.raises(ValidationError, match="'WideDeep' or 'DIN'"):
        SegrecReportConfig(backbones=["GRU4Rec"])
    with pytest.raises(ValidationError, match="unknown knob 'heads'"):
        SegrecReportConfig(backbone_params={"DIN": {"heads": 2}})
    request = SegrecReportConfig(backbones=["DIN"], variants=["SegSum"], seeds=2,
                                 backbone_params={"DIN": {"attention_hidden": 8}}).request()
    assert request.backbones == ("DIN",) and request.variants == ("SegSum",) and request.seed_list == [0, 1]
    assert request.train.params_for("DIN").attention_hidden == 8
    assert SegrecReportConfig().request().train == SegrecReportConfig().request().train.validate()


def test_unknown_backbone_fails_at_launch_before_any_step(data_home):
    """Dagster validates the run config against the enum of names: nothing runs."""
    with pytest.raises(DagsterInvalidConfigError, match="backbones"):
        materialize([effective_views, segrec_report], resources=_resources(data_home),
                    run_config={"ops": {"segrec_report": {"config": {"backbones": ["GRU4Rec"]}}}})
