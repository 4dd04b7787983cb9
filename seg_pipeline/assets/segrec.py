"""SegRec assets (group "segrec"): effective-view labels, frozen interest scores, the comparison.

effective_views -> segrec_interest_scores -> segrec_report. The logic lives in seg_pipeline.segrec;
these wrappers read config, open the warehouse only while they need it, and report metadata.
"""
# No `from __future__ import annotations`: Dagster reads the Config annotations at decoration time.

import time
from pathlib import Path

import numpy as np
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Config,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from seg_pipeline.assets.metadata import table_metadata
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, MlflowTracking
from seg_pipeline.segrec.config import TrainConfig
from seg_pipeline.segrec.labels import build_effective_views
from seg_pipeline.warehouse.db import connect, run_sql, table_exists
from seg_pipeline.warehouse.fingerprint import frame_fingerprint

GROUP = "segrec"
MLFLOW_UI_PORT = 5000
MODEL_MODALITIES = ("id", "visual", "both")
TRAIN_DEFAULTS = TrainConfig()  # the run config's defaults are the trainer's own


def _markdown(frame: pd.DataFrame) -> str:
    return frame.to_markdown(index=False, floatfmt=".4f") if len(frame) else "(no rows)"


# ---------------------------------------------------------------------------------------------
# effective_views


class EffectiveViewsConfig(Config):
    """n_buckets: equal-frequency duration buckets over train views (the paper: 10).
    label_rule: 'gt' = positive when the view ratio exceeds the bucket's train median (SPEC 5);
    'ge' also counts ties (only matters where the median is a full watch, e.g. very short videos).
    """

    n_buckets: int = 10
    label_rule: str = "gt"


@asset(
    group_name=GROUP,
    deps=["interactions", "splits"],
    code_version="1",
    description="Effective-view label per split view: view ratio above the train median of its duration "
                "bucket (SPEC 5). Tables effective_views, view effective_view_buckets.",
)
def effective_views(context: AssetExecutionContext, config: EffectiveViewsConfig, home: DataHome) -> MaterializeResult:
    with connect(home.layout.warehouse) as con:
        summary = build_effective_views(con, config.n_buckets, config.label_rule)
        buckets = con.execute("SELECT * FROM effective_view_buckets").df()
        meta = table_metadata(con, "effective_views")
        digest = frame_fingerprint(con.execute(
            "SELECT view_id, bucket, label FROM effective_views ORDER BY view_id").df())
    if summary.degenerate_buckets:
        context.log.warning(f"duration buckets {summary.degenerate_buckets} have a train positive rate of 0 or 1 "
                            f"under label_rule '{config.label_rule}' (see effective_view_buckets)")
    meta.update({
        "labelled_views": MetadataValue.int(summary.labelled),
        "views_without_split": MetadataValue.int(summary.unsplit_views),
        "positive_rate": MetadataValue.json(summary.positive_rate),
        "degenerate_buckets": MetadataValue.json(summary.degenerate_buckets),
        "buckets": MetadataValue.md(_markdown(buckets)),
        "n_buckets": MetadataValue.int(config.n_buckets),
        "label_rule": MetadataValue.text(config.label_rule),
    })
    return MaterializeResult(metadata=meta, data_version=DataVersion(digest))


@asset_check(asset=effective_views,
             description="Every train/valid/test view has exactly one 0/1 label, and each bucket's threshold "
                         "equals the median view ratio of its TRAIN views (no valid/test leakage).")
def effective_views_consistent(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        split_views = con.execute("SELECT count(*) FROM splits WHERE split IN ('train', 'valid', 'test')").fetchone()[0]
        labelled, distinct, bad_labels = con.execute(
            "SELECT count(*), count(DISTINCT view_id), count(*) FILTER (WHERE label NOT IN (0, 1)) "
            "FROM effective_views").fetchone()
        mismatched = con.execute(
            "WITH t AS (SELECT bucket, median(view_ratio) AS m FROM effective_views WHERE split = 'train' "
            "GROUP BY bucket) SELECT count(*) FROM effective_views e JOIN t USING (bucket) "
            "WHERE abs(e.threshold - t.m) > 1e-9").fetchone()[0]
    passed = labelled == split_views == distinct and bad_labels == 0 and mismatched == 0
    return AssetCheckResult(passed=passed, metadata={
        "split_views": split_views, "labelled": labelled, "distinct_views": distinct,
        "non_binary_labels": bad_labels, "threshold_mismatches": mismatched})


# ---------------------------------------------------------------------------------------------
# segrec_interest_scores


class SegrecInterestConfig(Config):
    """n_folds: train views are cut into folds by view_id % n_folds; each fold's scores come from a
    prior / segment-interest model fit on the other folds (out of fold, SPEC 7).
    fold_epochs: epoch budget of the per-fold models (0 = the epoch the trained checkpoint's early
    stopping chose, its best_epoch). modalities: which trained modalities to use
    ([] = every one in trained_models). device: where fold models train and score.
    """

    n_folds: int = 2
    fold_epochs: int = 0
    modalities: list[str] = []
    device: str = "cpu"
    threads: int = 1  # torch CPU threads while fold models train (0 = torch's default)

    def validate(self) -> None:
        if self.n_folds < 2:
            raise ConfigError("n_folds", f"{self.n_folds} folds cannot give out-of-fold scores",
                              "use 2 or more")
        if self.fold_epochs < 0:
            raise ConfigError("fold_epochs", "must be >= 0", "use 0 (the checkpoint's best epoch) or e.g. 10")
        unknown = [m for m in self.modalities if m not in MODEL_MODALITIES]
        if unknown:
            raise ConfigError("modalities", f"unknown modalities {unknown}", f"use some of {MODEL_MODALITIES}")


def _trained_models(con) -> pd.DataFrame:
    if not table_exists(con, "trained_models"):
        return pd.DataFrame(columns=["modality", "checkpoint_path"])
    return con.execute("SELECT modality, checkpoint_path FROM trained_models ORDER BY modality").df()


@asset(
    group_name=GROUP,
    deps=["effective_views", "skip_labels", "splits", "segment_interest_model"],
    code_version="1",
    description="Frozen per-segment scores for SegRec's weights: ItemPosition prior and every trained "
                "segment-interest modality; out-of-fold for train views. Table segrec_interest_scores.",
)
def segrec_interest_scores(
    context: AssetExecutionContext, config: SegrecInterestConfig, home: DataHome
) -> MaterializeResult:
    from seg_pipeline.segrec.interest import fold_of, interest_frame, item_position_scores

    config.validate()
    started = time.perf_counter()
    layout = home.layout
    with connect(layout.warehouse) as con:
        views = con.execute(
            "SELECT view_id, user_id, video_id, n_segments, split FROM effective_views ORDER BY view_id").df()
        if views.empty:
            raise RuntimeError("effective_views is empty: nothing to score")
        folds = fold_of(views["view_id"].to_numpy(), views["split"].to_numpy(), config.n_folds)
        found = [item_position_scores(con, views, folds, config.n_folds)]
        trained = _trained_models(con)
    wanted = config.modalities or list(trained["modality"].astype(str))
    missing = [m for m in wanted if m not in set(trained["modality"].astype(str))]
    if missing:
        raise ConfigError("modalities", f"{missing} not in trained_models ({list(trained['modality'])})",
                          "train them in segment_interest_model or drop them here")
    timings: dict = {}
    if len(trained):
        from seg_pipeline.segrec.fold_models import out_of_fold_model_scores
        from seg_pipeline.segrec.train import torch_threads

        for row in trained.itertuples():
            if row.modality not in wanted:
                continue
            path = Path(row.checkpoint_path)
            if not path.is_file():
                raise FileNotFoundError(f"trained_models lists {path} for '{row.modality}' but the file is missing; "
                                        "rematerialise segment_interest_model")
            context.log.info(f"out-of-fold scores for modality '{row.modality}' ({config.n_folds} folds)")
            with torch_threads(config.threads):
                found.append(out_of_fold_model_scores(path, layout.warehouse, views["view_id"].to_numpy(), folds,
                                                      epochs=config.fold_epochs or None, device=config.device,
                                                      timings=timings))
    frame = interest_frame(views["view_id"].to_numpy(), found, views["n_segments"].to_numpy())
    with connect(layout.warehouse) as con:
        con.register("segrec_interest_scores_input", frame)
        run_sql(con, "segrec_interest_scores", {"dagster_run_id": context.run.run_id})
        con.unregister("segrec_interest_scores_input")
        meta = table_metadata(con, "segrec_interest_scores")
    fold_sizes = {str(k): int(v) for k, v in zip(*np.unique(folds, return_counts=True))}
    meta.update({
        "sources": MetadataValue.text(", ".join(item.source for item in found)),
        "fold_sizes": MetadataValue.json(fold_sizes),
        "fold_models": MetadataValue.json(timings),
        "seconds": MetadataValue.float(time.perf_counter() - started),
        "note": MetadataValue.text("train views: scores from a prior/model fit without their fold; fold -1 "
                                   "(valid/test): fit on all train views"),
    })
    digest = frame_fingerprint(frame.assign(scores=frame["scores"].map(lambda s: np.round(s, 6).tolist())))
    return MaterializeResult(metadata=meta, data_version=DataVersion(digest))


@asset_check(asset=segrec_interest_scores,
             description="Each source scores every labelled view once, with one finite score per real "
                         "segment; train views are scored out of fold.")
def interest_scores_cover_views(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        views = con.execute("SELECT count(*) FROM effective_views").fetchone()[0]
        rows = con.execute(
            "SELECT s.source, count(*) AS n, count(DISTINCT s.view_id) AS distinct_views, "
            "count(*) FILTER (WHERE len(s.scores) <> e.n_segments "
            "  OR list_count(list_filter(s.scores, lambda x: isfinite(x))) <> e.n_segments) AS bad_lists, "
            "count(*) FILTER (WHERE (e.split = 'train') <> (s.fold >= 0)) AS wrong_fold "
            "FROM segrec_interest_scores s JOIN effective_views e USING (view_id) GROUP BY s.source").df()
    bad = rows[(rows.n != views) | (rows.distinct_views != views) | (rows.bad_lists > 0) | (rows.wrong_fold > 0)]
    return AssetCheckResult(passed=bad.empty and not rows.empty, metadata={
        "labelled_views": views, "per_source": MetadataValue.md(_markdown(rows))})


# ---------------------------------------------------------------------------------------------
# segrec_report


class SegrecReportConfig(Config):
    """backbones: any of WideDeep, DIN. variants: [] = every variant the stored scores allow
    (Video, SegSum, SegAdjust, ItemPosition, SegRec_<modality>). seeds: how many seeds per
    (backbone, variant), starting at first_seed; the report shows mean ± sample std.
    Training: embedding width dim, MLP widths hidden, Adam lr, max_epochs with early stopping on
    valid AUC (patience). temperature divides the interest scores before the softmax (1 = the
    paper). use_visual feeds CLIP vectors to the backbones when segment_embeddings exists.
    """

    backbones: list[str] = ["WideDeep", "DIN"]
    variants: list[str] = []
    seeds: int = 3
    first_seed: int = 0
    dim: int = TRAIN_DEFAULTS.dim
    hidden: list[int] = list(TRAIN_DEFAULTS.hidden)
    dropout: float = TRAIN_DEFAULTS.dropout
    lr: float = TRAIN_DEFAULTS.lr
    weight_decay: float = TRAIN_DEFAULTS.weight_decay
    batch_size: int = TRAIN_DEFAULTS.batch_size
    max_epochs: int = TRAIN_DEFAULTS.max_epochs
    patience: int = TRAIN_DEFAULTS.patience
    temperature: float = TRAIN_DEFAULTS.temperature
    use_visual: bool = TRAIN_DEFAULTS.use_visual
    history_length: int = 20
    threads: int = 1  # torch CPU threads while training (0 = torch's default); see torch_threads

    def train_config(self) -> TrainConfig:
        return TrainConfig(dim=self.dim, hidden=tuple(self.hidden), dropout=self.dropout, lr=self.lr,
                           weight_decay=self.weight_decay, batch_size=self.batch_size,
                           max_epochs=self.max_epochs, patience=self.patience,
                           temperature=self.temperature, use_visual=self.use_visual).validate()


def _choose_variants(requested: list[str], sources: list[str]):
    from seg_pipeline.segrec.variants import BASE_VARIANTS, segrec_variant

    available = [v for v in BASE_VARIANTS if v.interest is None or v.interest in sources]
    available += [segrec_variant(m) for m in MODEL_MODALITIES if m in sources]
    if not requested:
        return available
    by_name = {v.name: v for v in available}
    unknown = [name for name in requested if name not in by_name]
    if unknown:
        raise ConfigError("variants", f"{unknown} are not available (scores stored for {sources})",
                          f"choose from {sorted(by_name)}")
    return [by_name[name] for name in requested]


def _bar_chart(summary: pd.DataFrame, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    auc_rows = summary[summary["metric"] == "AUC"]
    backbones = list(dict.fromkeys(auc_rows["backbone"]))
    fig, axes = plt.subplots(1, len(backbones), figsize=(5 * len(backbones), 3.5), squeeze=False)
    for ax, backbone in zip(axes[0], backbones):
        part = auc_rows[auc_rows["backbone"] == backbone]
        ax.bar(part["variant"], part["mean"], yerr=part["std"], capsize=3, color="#4C72B0")
        low = float((part["mean"] - part["std"]).min())
        ax.set_ylim(max(0.0, low - 0.02), min(1.0, float((part["mean"] + part["std"]).max()) + 0.02))
        ax.set_title(f"{backbone}: test AUC (mean ± std over seeds)")
        ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


@asset(
    group_name=GROUP,
    deps=["segrec_interest_scores", "effective_views", "user_histories", "segment_embeddings"],
    code_version="1",
    description="Effective-view prediction with WideDeep / DIN backbones: Video vs SegSum vs SegAdjust vs "
                "ItemPosition weights vs SegRec (segment-interest weights), AUC / F1 / logloss on test over "
                "several seeds. Table segrec_metrics (+ view segrec_summary), MLflow run with the report.",
)
def segrec_report(
    context: AssetExecutionContext, config: SegrecReportConfig, home: DataHome, tracking: MlflowTracking
) -> MaterializeResult:
    from seg_pipeline.segrec.backbones import BACKBONES
    from seg_pipeline.segrec.compare import run_comparison, summarise, summary_markdown
    from seg_pipeline.segrec.data import load_segrec_data
    from seg_pipeline.segrec.interest import attach_interest
    from seg_pipeline.segrec.train import torch_threads

    train_cfg = config.train_config()
    if config.seeds < 1:
        raise ConfigError("seeds", f"{config.seeds}", "use at least 1 (3 for a spread)")
    if not config.backbones or any(b not in BACKBONES for b in config.backbones):
        raise ConfigError("backbones", f"{config.backbones} is empty or names an unknown backbone",
                          f"use some of {sorted(BACKBONES)}")
    layout = home.layout
    with connect(layout.warehouse) as con:
        data = load_segrec_data(con, config.history_length)
        stored = con.execute("SELECT view_id, source, scores FROM segrec_interest_scores").df()
        degenerate = [b for (b,) in con.execute(
            "SELECT bucket FROM effective_view_buckets WHERE train_positive_rate IN (0, 1) ORDER BY bucket").fetchall()]
    sources = attach_interest(data, stored)
    variants = _choose_variants(config.variants, sources)
    seeds = list(range(config.first_seed, config.first_seed + config.seeds))
    started = time.perf_counter()
    with torch_threads(config.threads):
        results = run_comparison(data, config.backbones, variants, seeds, train_cfg, log=context.log.info)
    seconds = time.perf_counter() - started
    summary = summarise(results)
    table = summary_markdown(summary)
    counts = {s: int((data.split == s).sum()) for s in ("train", "valid", "test")}
    positives = {s: float(data.label[data.split == s].mean()) for s in ("train", "valid", "test") if counts[s]}
    facts = [
        f"views: {counts} (effective-view positive rate {', '.join(f'{k} {v:.3f}' for k, v in positives.items())})",
        f"backbones: {', '.join(config.backbones)}; variants: {', '.join(v.name for v in variants)}; seeds: {seeds}",
        f"visual features: {'CLIP vectors, dim ' + str(data.visual_dim) if data.visual_dim and config.use_visual else 'none (IDs only)'}"
        + (f" ({data.views_without_vectors} views of videos without vectors use zeros)" if data.views_without_vectors else ""),
        f"interest score sources: {', '.join(sources)} (train views out of fold)",
        f"training: dim {config.dim}, hidden {config.hidden}, lr {config.lr}, batch {config.batch_size}, "
        f"<= {config.max_epochs} epochs, early stop on valid AUC (patience {config.patience}); "
        f"softmax temperature {config.temperature}",
        f"F1 threshold chosen on valid, applied to test; wall time {seconds:.1f} s",
    ]
    if degenerate:
        facts.append(f"duration buckets {degenerate} have a single train label (e.g. a train median that is a "
                     "full watch under label_rule gt): their views are all negative; see effective_view_buckets")
    out_dir = layout.outputs_dir / "segrec_report"
    out_dir.mkdir(parents=True, exist_ok=True)
    md_path = out_dir / "segrec_report.md"
    md_path.write_text("# SegRec: effective-view prediction on test\n\n" + table + "\n\n"
                       + "\n".join(f"- {f}" for f in facts) + "\n")
    results.to_csv(out_dir / "segrec_results.csv", index=False)
    chart = _bar_chart(summary, out_dir / "segrec_auc.png")

    with tracking.start_run("segrec_report", dagster_run_id=context.run.run_id, tags={"stage": "segrec_report"}) as run:
        import mlflow

        run_id, experiment_id = run.info.run_id, run.info.experiment_id
        mlflow.log_params({
            "backbones": ",".join(config.backbones), "variants": ",".join(v.name for v in variants),
            "seeds": len(seeds), "first_seed": config.first_seed, "dim": config.dim,
            "hidden": ",".join(map(str, config.hidden)), "lr": config.lr, "batch_size": config.batch_size,
            "max_epochs": config.max_epochs, "patience": config.patience, "temperature": config.temperature,
            "use_visual": config.use_visual, "visual_dim": data.visual_dim, **{f"{k}_views": v for k, v in counts.items()},
        })
        mlflow.log_metrics({
            f"{r.backbone}/{r.variant}/{r.metric}_{stat}": float(getattr(r, stat))
            for r in summary.itertuples() for stat in ("mean", "std")
        })
        mlflow.log_artifacts(str(out_dir), artifact_path="segrec_report")

    with connect(layout.warehouse) as con:
        con.register("segrec_metrics_input", results)
        run_sql(con, "segrec_metrics", {"mlflow_run_id": run_id, "dagster_run_id": context.run.run_id})
        con.unregister("segrec_metrics_input")
        run_sql(con, "segrec_summary")
        run_sql(con, "segrec_vs_video")
        vs_video = con.execute("SELECT * FROM segrec_vs_video WHERE metric = 'AUC'").df()
        meta = table_metadata(con, "segrec_metrics")
    url = f"http://127.0.0.1:{MLFLOW_UI_PORT}/#/experiments/{experiment_id}/runs/{run_id}"
    meta.update({
        "comparison": MetadataValue.md(table),
        "auc_vs_video": MetadataValue.md(_markdown(vs_video)),
        "facts": MetadataValue.md("\n".join(f"- {f}" for f in facts)),
        "seconds": MetadataValue.float(seconds),
        "views": MetadataValue.json(counts),
        "views_without_vectors": MetadataValue.int(data.views_without_vectors),
        "mlflow_run_id": MetadataValue.text(run_id),
        "mlflow_run_url": MetadataValue.url(url),
        "mlflow_ui": MetadataValue.text(f"mlflow ui --backend-store-uri {tracking.tracking_uri} --port {MLFLOW_UI_PORT}"),
        "report_markdown": MetadataValue.path(str(md_path)),
        "auc_chart": MetadataValue.path(str(chart)),
    })
    return MaterializeResult(metadata=meta, data_version=DataVersion(frame_fingerprint(results.drop(columns="seconds").round(10))))


@asset_check(asset=segrec_report,
             description="Every (backbone, variant, seed) has AUC and F1 in [0, 1] and a finite logloss >= 0.")
def segrec_metrics_complete(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        m = con.execute("SELECT backbone, variant, seed, metric, value FROM segrec_metrics").df()
    per_run = m.groupby(["backbone", "variant", "seed"])["metric"].apply(set)
    incomplete = [k for k, v in per_run.items() if v != {"AUC", "F1", "logloss"}]
    bounded = m["metric"].isin(["AUC", "F1"])
    bad = m[m["value"].isna() | (bounded & ((m["value"] < 0) | (m["value"] > 1)))
            | (~bounded & ((m["value"] < 0) | ~np.isfinite(m["value"])))]
    return AssetCheckResult(passed=not m.empty and not incomplete and bad.empty, metadata={
        "runs": len(per_run), "incomplete_runs": len(incomplete), "out_of_range": len(bad)})


@asset_check(asset=segrec_report,
             description="Warns when, for some backbone, no SegRec variant beats the Video variant on test AUC "
                         "averaged over seeds (paired by seed, segrec_vs_video).")
def segrec_beats_video(home: DataHome) -> AssetCheckResult:
    with connect(home.layout.warehouse, read_only=True) as con:
        s = con.execute("SELECT backbone, variant, mean_delta, std_delta, paired_seeds FROM segrec_vs_video "
                        "WHERE metric = 'AUC' AND variant LIKE 'SegRec_%'").df()
    margins = {str(b): float(part["mean_delta"].max()) for b, part in s.groupby("backbone")}
    return AssetCheckResult(passed=bool(margins) and all(v > 0 for v in margins.values()),
                            severity=AssetCheckSeverity.WARN,
                            metadata={**{f"best_auc_delta_{k}": v for k, v in margins.items()},
                                      "paired": MetadataValue.md(_markdown(s))} if margins else {"reason": "no pair"})
