"""Accuracy benchmark (issue 10): named model configurations x seeds against the position priors,
GBDTHazard and the per-segment networks (configurations widedeep / din, counted as baselines), valid
and test, primary protocol (real segments + end slot, random tie-break, seed 0).
One command gives the README's loss and ablation tables for every world and the one configuration
chosen on valid across them:

    python benchmarks/bench_accuracy.py \\
        --world segmm=SEGMM_WAREHOUSE:id \\
        --world demo=DEMO_WAREHOUSE:both:demo/ground_truth_interest.parquet \\
        [--configs segment_interest,default_previous,...] [--seeds 0,1,2] [--out DIR]
    python benchmarks/bench_accuracy.py --select-across DIR/segmm.json DIR/demo.json  # from saved runs

A world is LABEL=WAREHOUSE:MODALITY[:TRUTH] (TRUTH: the demo world's ground_truth_interest.parquet,
for spearman_latent). Each warehouse (a finished pipeline run's warehouse.duckdb, or at least its
data stages) is copied to a temporary file first: the run writes position_priors there, and the
original is never locked or changed. Names come from seg_pipeline/model/named_configs.py.

Choices use VALID only: per world the best configuration and the best baseline are those with the
highest mean valid NDCG@5 over seeds; the paired bootstrap interval (1,000 resamples, seed 0) of
(model - baseline) on test averages each method's per-view metric over its seeds. Across worlds
(--select-across) the configuration with the highest valid NDCG@5 averaged over the worlds wins.
Position priors are fitted on train for the valid numbers and on train + valid for test (as the
skip report does); GBDTHazard fits on train with early stopping on valid. One torch thread.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seg_pipeline.baselines.base import FitData  # noqa: E402
from seg_pipeline.baselines.gbdt_hazard import GBDTHazard  # noqa: E402
from seg_pipeline.baselines.position import AllPosition, DurationPosition, ItemPosition, UserPosition  # noqa: E402
from seg_pipeline.baselines.priors import build_position_priors  # noqa: E402
from seg_pipeline.baselines.view_features import view_features  # noqa: E402
from seg_pipeline.evaluation.bootstrap import paired_bootstrap, per_view_metrics  # noqa: E402
from seg_pipeline.evaluation.latent import latent_matrix, spearman_latent  # noqa: E402
from seg_pipeline.evaluation.metrics import target_ranks  # noqa: E402
from seg_pipeline.model.batches import ViewTensors  # noqa: E402
from seg_pipeline.model.config import ModelConfig  # noqa: E402
from seg_pipeline.model.inputs import load_view_inputs  # noqa: E402
from seg_pipeline.model.named_configs import (  # noqa: E402
    BASELINE_ARCHITECTURES,
    DEFAULT_CONFIGURATION,
    named_overrides,
)
from seg_pipeline.model.predict import predict_tensors  # noqa: E402
from seg_pipeline.model.side_inputs import attach_side_inputs, gbdt_offsets, model_slot_features  # noqa: E402
from seg_pipeline.model.train import train_model  # noqa: E402
from seg_pipeline.warehouse.tables import read_labelled_views  # noqa: E402

# Every loss and the main ablations (README tables); --configs picks others.
CONFIGS = ("segment_interest,widedeep,din,default_previous,paper,no_leave_flag,bpr_max,softmax,bce,vd,h96,duration_vd,"
           "stop_loss,side_duration,stacked_vd_h96")
POSITION_BASELINES = (AllPosition, UserPosition, ItemPosition, DurationPosition)
METRICS = ("HR@1", "NDCG@5")


def per_view(scores: np.ndarray, views: pd.DataFrame) -> dict[str, np.ndarray]:
    ranks = target_ranks(scores, views["n_segments"].to_numpy(), views["target_slot"].to_numpy(),
                         "segments_end", seed=0)
    return per_view_metrics(ranks)


def run_world(label: str, warehouse: str, modality: str, truth_path: str | None, names: list[str],
              seeds: list[int], epochs: int | None, overrides: dict) -> dict:
    """Train and score every configuration x seed on one world; returns the JSON-able summary."""
    tmp = Path(tempfile.mkdtemp()) / "warehouse.duckdb"
    shutil.copy(warehouse, tmp)
    con = duckdb.connect(str(tmp))
    views = view_features(con, ("train", "valid"))  # valid rows from train, test rows from train + valid
    split = views["split"].to_numpy()
    masks = {s: split == s for s in ("train", "valid", "test")}
    results: dict[tuple[str, str, int], dict[str, np.ndarray]] = {}  # (method, split, seed) -> per view
    extra: dict = {"timing_s": {}, "spearman_latent": {}, "best_epoch": {}}

    for fit_splits, eval_split in ((["train"], "valid"), (["train", "valid"], "test")):
        data = FitData(priors=build_position_priors(con, fit_splits), views=read_labelled_views(con, fit_splits))
        v = views[masks[eval_split]]
        for cls in POSITION_BASELINES:
            results[(cls.name, eval_split, -1)] = per_view(cls().fit(data).score(v), v)
    for seed in seeds:
        start = time.perf_counter()
        gbdt = GBDTHazard(seed=seed).fit(FitData(features=views))
        extra["timing_s"][f"GBDTHazard seed {seed}"] = time.perf_counter() - start
        for s in ("valid", "test"):
            v = views[masks[s]]
            results[("GBDTHazard", s, seed)] = per_view(gbdt.score(v), v)

    configs = {n: named_overrides(n) for n in names}
    side = model_slot_features(views) if any(c.get("side_features") for c in configs.values()) else None
    offsets = {seed: gbdt_offsets(views, seed) for seed in seeds} \
        if any(c.get("stacked") for c in configs.values()) else {}
    truth = pd.read_parquet(truth_path) if truth_path else None
    loaded: dict[int, dict] = {}
    by_id = views.set_index("view_id")
    for name in names:
        for seed in seeds:
            config = ModelConfig(**{**configs[name], **overrides, "modality": modality, "seed": seed,
                                    "device": "cpu"})
            config = replace(config, epochs=epochs) if epochs else config
            m = config.max_history_tokens
            if m not in loaded:
                train_x = load_view_inputs(con, ["train"], m)
                loaded[m] = {"train": train_x, **{s: load_view_inputs(con, [s], m, vocab=train_x.vocab)
                                                  for s in ("valid", "test")}}
                extra[f"mean history tokens, train (budget {m})"] = float(train_x.hist_len.mean())
            inputs = {s: attach_side_inputs(x.subset(np.arange(len(x))), views, side, offsets.get(seed))
                      for s, x in loaded[m].items()}
            start = time.perf_counter()
            trained = train_model(config, inputs["train"], inputs["valid"])
            seconds = time.perf_counter() - start
            extra["timing_s"][f"{name} seed {seed}"] = seconds
            extra["best_epoch"][f"{name} seed {seed}"] = f"{trained.best_epoch}/{len(trained.epochs)}"
            for s in ("valid", "test"):
                x = inputs[s]
                v = by_id.loc[x.view_ids].reset_index()
                scores, interest = predict_tensors(trained.model, ViewTensors(x))
                results[(name, s, seed)] = per_view(scores, v)
                if truth is not None and s == "test":
                    extra["spearman_latent"][f"{name} seed {seed}"] = spearman_latent(
                        interest, latent_matrix(v, truth), v["n_segments"].to_numpy())["spearman_latent"]
            print(f"[{label}] {name} seed {seed}: best epoch {trained.best_epoch}/{len(trained.epochs)}, "
                  f"{seconds:.0f} s, valid NDCG@5 {results[(name, 'valid', seed)]['NDCG@5'].mean():.4f}, "
                  f"test HR@1 {results[(name, 'test', seed)]['HR@1'].mean():.4f} "
                  f"NDCG@5 {results[(name, 'test', seed)]['NDCG@5'].mean():.4f}", flush=True)
    con.close()
    shutil.rmtree(tmp.parent, ignore_errors=True)
    return summarise(label, modality, results, names, extra, {s: int(masks[s].sum()) for s in ("valid", "test")})


def summarise(label: str, modality: str, results: dict, names: list[str], extra: dict, n_views: dict) -> dict:
    """Mean +- std over seeds per method and split; intervals of the best model on valid and of the
    pipeline default vs the best baseline on valid."""
    rows = []
    for method in dict.fromkeys(k[0] for k in results):
        # widedeep / din are trained like a configuration but are baselines (per-segment scorers)
        row = {"method": method, "kind": "model" if method in names and method not in BASELINE_ARCHITECTURES
               else "baseline"}
        for s in ("valid", "test"):
            for metric in METRICS:
                values = [results[k][metric].mean() for k in results if k[0] == method and k[1] == s]
                row[f"_{s}_{metric}"], row[f"_{s}_{metric}_std"] = float(np.mean(values)), float(np.std(values))
        row["seeds"] = len([k for k in results if k[0] == method and k[1] == "test"])
        latent = [v for k, v in extra["spearman_latent"].items() if k.rsplit(" seed ", 1)[0] == method]
        row["spearman_latent"] = float(np.mean(latent)) if latent else None
        rows.append(row)
    models = [r for r in rows if r["kind"] == "model"]
    best_model = max(models, key=lambda r: r["_valid_NDCG@5"])["method"] if models else None
    best_base = max((r for r in rows if r["kind"] == "baseline"), key=lambda r: r["_valid_NDCG@5"])["method"]
    intervals = {}
    chosen = ([best_model] if best_model else []) + ([DEFAULT_CONFIGURATION] if DEFAULT_CONFIGURATION in names else [])
    # against the best baseline on valid, and against GBDTHazard (the tabular bar) when that differs
    for model in dict.fromkeys(chosen):
        for base in dict.fromkeys([best_base, "GBDTHazard"]):
            for metric in METRICS:
                a = np.mean([results[k][metric] for k in results if k[0] == model and k[1] == "test"], axis=0)
                b = np.mean([results[k][metric] for k in results if k[0] == base and k[1] == "test"], axis=0)
                intervals[f"{model} - {base} {metric}"] = paired_bootstrap(a, b).__dict__
    return {"world": label, "modality": modality, "n_views": n_views, "table": rows, "best_model": best_model,
            "best_baseline": best_base, "intervals": intervals, **extra}


def print_world(out: dict) -> None:
    print(f"\n### {out['world']} ({out['modality']}; {out['n_views']['valid']} valid / {out['n_views']['test']} "
          "test views; mean +- std over seeds)\n")
    lines = []
    for r in out["table"]:
        cells = {"method": r["method"]}
        for s in ("valid", "test"):
            for metric in METRICS:
                mean, std = r[f"_{s}_{metric}"], r[f"_{s}_{metric}_std"]
                cells[f"{s} {metric}"] = f"{mean:.4f}" if r["seeds"] <= 1 else f"{mean:.4f} +- {std:.4f}"
        cells["seeds"] = r["seeds"]
        if r.get("spearman_latent") is not None:
            cells["spearman_latent"] = f"{r['spearman_latent']:.3f}"
        lines.append(cells)
    print(pd.DataFrame(lines).fillna("").to_markdown(index=False))
    print(f"\nbest model on valid: {out['best_model']}; best baseline on valid: {out['best_baseline']}")
    for key, ci in out["intervals"].items():
        print(f"test {key}: {ci['mean']:+.4f} [{ci['low']:+.4f}, {ci['high']:+.4f}] ({ci['n_views']} views, "
              f"{ci['resamples']} resamples, per-view metric averaged over seeds)")
    for key, value in out.items():
        if key.startswith("mean history tokens"):
            print(f"{key}: {value:.1f}")
    print("timing (s):", {k: round(v, 1) for k, v in out["timing_s"].items()})


def select_across(outs: list[dict]) -> str:
    """One named configuration for every world: the highest valid NDCG@5 averaged over the worlds
    (configurations missing from a world are not eligible); its test margins shown per world."""
    tables = [{r["method"]: r for r in out["table"]} for out in outs]
    models = [m for m, r in tables[0].items() if r["kind"] == "model" and all(m in t for t in tables)]
    rows = []
    for m in models:
        row = {"configuration": m, "mean valid NDCG@5": np.mean([t[m]["_valid_NDCG@5"] for t in tables])}
        for out, t in zip(outs, tables):
            base = t[out["best_baseline"]]
            for metric in METRICS:
                row[f"{out['world']} test {metric} - {base['method']}"] = t[m][f"_test_{metric}"] - base[f"_test_{metric}"]
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("mean valid NDCG@5", ascending=False)
    print(f"\n### One configuration for all worlds, chosen on valid ({', '.join(o['world'] for o in outs)})\n")
    print(table.to_markdown(index=False, floatfmt="+.4f"))
    chosen = str(table.iloc[0]["configuration"])
    print(f"\nchosen on valid across {len(outs)} worlds: {chosen}")
    return chosen


def main() -> None:
    if sys.argv[1:2] == ["--select-across"]:
        outs = [json.loads(Path(p).read_text()) for p in sys.argv[2:]]
        for out in outs:
            print_world(out)
        select_across(outs)
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--world", action="append", required=True, metavar="LABEL=WAREHOUSE:MODALITY[:TRUTH]")
    ap.add_argument("--configs", default=CONFIGS, help="comma-separated names from model/named_configs.py")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--epochs", type=int, default=None, help="override every configuration's epochs")
    ap.add_argument("--set", default="", help="extra ModelConfig overrides for every config, e.g. lr=0.001")
    ap.add_argument("--out", default=None, help="folder for one <label>.json per world")
    args = ap.parse_args()
    torch.set_num_threads(1)
    seeds = [int(s) for s in args.seeds.split(",")]
    names = args.configs.split(",")
    overrides = {}
    for item in filter(None, args.set.split(",")):
        key, value = item.split("=")
        try:
            overrides[key] = json.loads(value)  # numbers, true / false
        except json.JSONDecodeError:
            overrides[key] = value
    outs = []
    for world in args.world:
        label, _, spec = world.partition("=")
        path, modality, *truth = spec.split(":")
        out = run_world(label, path, modality, truth[0] if truth else None, names, seeds, args.epochs, overrides)
        print_world(out)
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            (Path(args.out) / f"{label}.json").write_text(json.dumps(out, indent=1, default=float))
        outs.append(out)
    if len(outs) > 1:
        select_across(outs)


if __name__ == "__main__":
    main()
