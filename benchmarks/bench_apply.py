"""Downstream uses on a finished demo run: agreement with the latent interest, and scoring speed.

Scores every view of a split at its own time with each trained modality, then prints how often the
personalised thumbnail is the latent favourite segment and how well the edit suggestions find the
latent low segments, next to model-free baselines (seg_pipeline.apply.latent); and pairs/s when a
batch is scored in one call versus one call per pair (the model loaded once either way), plus one
full `score_pair` call as the CLI makes it (model resolution and loading included).

--compare-losses trains throw-away models (not listed in trained_models, not logged) with each
loss on the run's train/valid views and prints the same agreement for each, because the loss
decides whether segment 0 can ever score low (see seg_pipeline.apply.models.model_caveats).

    SEG_PIPELINE_HOME=... python benchmarks/bench_apply.py [--split test] [--max-pairs 2000]
    SEG_PIPELINE_HOME=... python benchmarks/bench_apply.py --compare-losses intra_video,softmax,bce
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

from seg_pipeline.apply.batch import batch_requests
from seg_pipeline.apply.latent import latent_agreement
from seg_pipeline.apply.models import ModelRef, load_model_ref, resolve_model
from seg_pipeline.apply.scoring import score_pair, score_requests
from seg_pipeline.paths import DataLayout, resolve_home
from seg_pipeline.warehouse.db import connect
from seg_pipeline.warehouse.tables import read_trained_models


def rounded(values: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in values.items()}


def compare_losses(layout: DataLayout, requests, truth, losses, modalities, epochs: int) -> None:
    import torch

    from seg_pipeline.model.checkpoint import save_checkpoint
    from seg_pipeline.model.config import ModelConfig
    from seg_pipeline.model.inputs import load_view_inputs
    from seg_pipeline.model.train import train_model

    torch.set_num_threads(1)
    with connect(layout.warehouse, read_only=True) as con:
        inputs = load_view_inputs(con, ("train", "valid"), 32)
    train, valid = inputs.subset(inputs.split == "train"), inputs.subset(inputs.split == "valid")
    folder = Path(tempfile.mkdtemp(prefix="bench_apply_"))
    for modality in modalities:
        for loss in losses:
            config = ModelConfig(modality=modality, loss=loss, d=32, layers=1, heads=2, r=4, epochs=epochs,
                                 patience=5, batch_size=256, max_history_tokens=32, lr=3e-3, device="cpu")
            result = train_model(config, train, valid)
            vectors = train.vectors if modality != "id" else None
            path = save_checkpoint(folder / f"{modality}_{loss}.pt", result.model, train.vocab,
                                   vectors.dim if vectors else 0, (vectors.model, vectors.weights) if vectors else None)
            loaded = load_model_ref(ModelRef(path, modality, None, "throw-away"))
            scored, _, _ = score_requests(layout, requests, loaded=loaded)
            agreement = latent_agreement([(s.user_id, s.video_id, s.interest) for s in scored], truth)
            print(json.dumps({"modality": modality, "loss": loss, "valid_HR@1": result.best_valid.get("HR@1"),
                              "valid_NDCG@5": result.best_valid.get("NDCG@5"), **rounded(agreement)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", default=None)
    parser.add_argument("--split", default="test", help="a split, or several joined by commas")
    parser.add_argument("--max-pairs", type=int, default=2000)
    parser.add_argument("--single-pairs", type=int, default=20, help="pairs scored one call each, for timing")
    parser.add_argument("--compare-losses", default="", help="e.g. intra_video,softmax,bce")
    parser.add_argument("--compare-modalities", default="id,visual")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()

    layout = DataLayout(resolve_home(args.home))
    truth_path = layout.demo_dir / "ground_truth_interest.parquet"
    truth = pd.read_parquet(truth_path) if truth_path.is_file() else None
    with connect(layout.warehouse, read_only=True) as con:
        requests = [r for split in args.split.split(",") for r in batch_requests(con, split, args.max_pairs)]
        modalities = sorted(read_trained_models(con)["modality"].astype(str))
    print(f"data root {layout.root}: {len(requests)} '{args.split}' pairs, trained modalities {modalities}")
    if args.compare_losses:
        if truth is None:
            raise SystemExit("--compare-losses needs the demo world's ground_truth_interest.parquet")
        compare_losses(layout, requests, truth, args.compare_losses.split(","),
                       args.compare_modalities.split(","), args.epochs)
        return

    for modality in modalities:
        started = time.perf_counter()
        with connect(layout.warehouse, read_only=True) as con:
            trained = read_trained_models(con)
        loaded = load_model_ref(resolve_model(layout, trained, modality))
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        scored, rejected, _ = score_requests(layout, requests, loaded=loaded)
        batch_s = time.perf_counter() - started
        singles = requests[: args.single_pairs]
        started = time.perf_counter()
        for request in singles:
            score_requests(layout, [request], loaded=loaded)
        single_s = time.perf_counter() - started
        out = {
            "modality": modality, "loss": loaded.model.config.loss, "pairs": len(scored), "rejected": len(rejected),
            "resolve_and_load_s": round(load_s, 2),
            "batch_pairs_per_s": round(len(scored) / batch_s, 1),
            "one_call_per_pair_pairs_per_s": round(len(singles) / single_s, 1) if singles else None,
            "history_free_pairs": sum(s.context.history_free for s in scored),
        }
        if truth is not None:
            out.update(rounded(latent_agreement([(s.user_id, s.video_id, s.interest) for s in scored], truth)))
        print(json.dumps(out))

    if requests:
        started = time.perf_counter()
        score_pair(layout, requests[0].user_id, requests[0].video_id)
        print(json.dumps({"score_pair_with_model_loading_s": round(time.perf_counter() - started, 2)}))


if __name__ == "__main__":
    main()
