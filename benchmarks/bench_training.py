"""Training throughput of the segment-interest model on finished pipeline runs, on CPU.

For each warehouse: time to build the model inputs from DuckDB, then per modality the epoch time
and training views/s with the asset's default knobs (a fixed number of epochs, no early stop).
--compare-losses trains the same model with each loss and prints valid HR@1 / NDCG@5, how often
the end slot is ranked first, and the learned position-bias slope w_p: the evidence behind the
default loss (eq. 8 alone is satisfied by "interest falls with position").
Two ratios against natural naive versions, measured in the same script:
  * the eq. 8 loss as a per-view Python loop vs the vectorised loss (same value checked);
  * length-bucketed batches vs plain shuffled batches padded to the longest video (same model).

    python benchmarks/bench_training.py --warehouse demo=/tmp/demo_home/warehouse.duckdb \\
        --warehouse segmm=/tmp/segmm_home/warehouse.duckdb [--epochs 2] [--threads 1]
    python benchmarks/bench_training.py --warehouse demo=... --compare-losses \
        intra_video,bce,bpr_max,softmax,survival --modalities visual --epochs 8

Build the warehouses first with the pipeline (README): the default demo world and
configs/segmm_sample.yaml (IDs only, so only the id modality runs there).
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import torch

from seg_pipeline.assets.model.training import SegmentInterestModelConfig
from seg_pipeline.model.batches import ViewTensors
from seg_pipeline.model.inputs import load_view_inputs
from seg_pipeline.model.losses import intra_video_loss
from seg_pipeline.model.network import SegmentInterestModel
from seg_pipeline.model.train import train_model
from seg_pipeline.warehouse.db import connect


def naive_intra_video_loss(p: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Eq. 8 written as loops over views and watched segments."""
    total = p.new_zeros(())
    for b in range(p.shape[0]):
        y = int(target[b])
        for j in range(y):
            total = total - torch.nn.functional.logsigmoid(p[b, j] - p[b, y])
    return total / p.shape[0]


def bench_loss(n_views: int = 2048, seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    n_segments = torch.randint(1, 41, (n_views,), generator=g)
    target = (torch.rand(n_views, generator=g) * (n_segments + 1)).long()
    p = torch.randn(n_views, 41, generator=g, dtype=torch.float64)
    start = time.perf_counter()
    fast = intra_video_loss(p, target)
    fast_s = time.perf_counter() - start
    start = time.perf_counter()
    slow = naive_intra_video_loss(p, target)
    slow_s = time.perf_counter() - start
    assert torch.allclose(fast, slow), (fast, slow)
    return {"views": n_views, "vectorised_ms": 1e3 * fast_s, "loop_ms": 1e3 * slow_s, "ratio": slow_s / fast_s}


def _padded_batch(tensors: ViewTensors, index: torch.Tensor):
    """A batch at full width: 40 segment slots and M history tokens, whatever the views need."""
    batch = tensors.batch(index)
    m = tensors.hist_pos.shape[1]
    return batch.replace(
        seg_rows=tensors.seg_rows[index], hist_video_idx=tensors.hist_video_idx[index],
        hist_pos=tensors.hist_pos[index], hist_recency=tensors.hist_recency[index],
        hist_rows=tensors.hist_rows[index], hist_left=tensors.hist_left[index],
        hist_mask=torch.arange(m)[None, :] < tensors.hist_len[index][:, None],
    )


def bench_bucketing(model: SegmentInterestModel, tensors: ViewTensors, batch_size: int, n_batches: int = 6) -> dict:
    """Views/s of training steps: length-bucketed batches cut to their longest view vs plain
    shuffled batches at full width (40 segments + M history tokens)."""
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    bucketed = [b for _, b in zip(range(n_batches), tensors.batches(batch_size, generator=generator))]
    order = torch.randperm(len(tensors), generator=generator)
    padded = [_padded_batch(tensors, order[k * batch_size:(k + 1) * batch_size]) for k in range(n_batches)]
    out = {}
    for label, batches in (("bucketed", bucketed), ("padded", padded)):
        seen, start = 0, time.perf_counter()
        for batch in batches:
            loss = model.loss(batch)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            seen += batch.user_idx.shape[0]
        out[label] = seen / (time.perf_counter() - start)
    out["ratio"] = out["bucketed"] / out["padded"]
    return out


def _epochs(config, epochs: int):
    """epochs > 0: exactly that many (no early stop); 0: the configuration's own epochs and
    patience, i.e. what the asset runs per model."""
    return dataclasses.replace(config, epochs=epochs, patience=epochs, device="cpu") if epochs else \
        dataclasses.replace(config, device="cpu")


def bench_warehouse(label: str, path: str, epochs: int, modalities: list[str], configuration: str) -> None:
    defaults = SegmentInterestModelConfig(configuration=configuration)
    start = time.perf_counter()
    with connect(path, read_only=True) as con:
        inputs = load_view_inputs(con, ("train", "valid"), defaults.to_model_config().max_history_tokens)
    load_s = time.perf_counter() - start
    train, valid = inputs.subset(inputs.split == "train"), inputs.subset(inputs.split == "valid")
    print(f"[{label}] inputs: {len(train)} train + {len(valid)} valid views in {load_s:.2f} s; "
          f"mean history {inputs.hist_len.mean():.1f} tokens, mean N {inputs.n_segments.mean():.2f}, "
          f"vectors: {'none' if inputs.vectors is None else inputs.vectors.dim}")
    for modality in modalities:
        if modality != "id" and inputs.vectors is None:
            print(f"[{label}] {modality}: skipped (no segment_embeddings)")
            continue
        config = _epochs(defaults.to_model_config(modality), epochs)
        start = time.perf_counter()
        result = train_model(config, train, valid)
        total_s = time.perf_counter() - start
        epoch_s = [e.train_seconds for e in result.epochs]
        print(f"[{label}] {configuration} {modality}: {result.views_per_s:,.0f} train views/s, epoch "
              f"{np.mean(epoch_s):.2f} s (train part; {len(train)} views, batch {config.batch_size}, d {config.d}, "
              f"L {config.layers}, M {config.max_history_tokens}); {len(result.epochs)} epochs (best "
              f"{result.best_epoch}) in {total_s:.1f} s with validation; valid NDCG@5 "
              f"{result.best_valid.get('NDCG@5', float('nan')):.4f}", flush=True)
    config = defaults.to_model_config("id")
    model = SegmentInterestModel(config, train.vocab.n_users, train.vocab.n_videos, 0)
    buckets = bench_bucketing(model, ViewTensors(train), config.batch_size)
    print(f"[{label}] id training steps: bucketed batches {buckets['bucketed']:,.0f} views/s vs full-width "
          f"batches {buckets['padded']:,.0f} views/s -> {buckets['ratio']:.1f}x")


def compare_losses(label: str, path: str, losses: list[str], modality: str, epochs: int) -> None:
    from seg_pipeline.evaluation.metrics import ranking_metrics
    from seg_pipeline.model.predict import score_tensors

    defaults = SegmentInterestModelConfig()
    with connect(path, read_only=True) as con:
        inputs = load_view_inputs(con, ("train", "valid"), defaults.to_model_config().max_history_tokens)
    train, valid = inputs.subset(inputs.split == "train"), inputs.subset(inputs.split == "valid")
    end_share = float(np.mean(valid.target_slot == valid.n_segments))
    print(f"[{label}] {modality}, {epochs} epochs; valid views {len(valid)}, true leave at the end slot "
          f"{end_share:.3f}")
    for loss in losses:
        config = dataclasses.replace(defaults.to_model_config(modality), loss=loss, epochs=epochs,
                                     patience=epochs, device="cpu")
        result = train_model(config, train, valid)
        scores = score_tensors(result.model, ViewTensors(valid))
        first = np.argmin(scores, axis=1)
        m = ranking_metrics(scores, valid.n_segments, valid.target_slot)
        w_p = result.model.w_p.item() if hasattr(result.model, "w_p") else float("nan")
        print(f"[{label}] loss {loss:11s}: best epoch {result.best_epoch}, valid HR@1 {m['HR@1']:.4f} NDCG@5 "
              f"{m['NDCG@5']:.4f} (best epoch's model); end slot ranked first {np.mean(first == valid.n_segments):.3f}; "
              f"w_p {w_p:+.3f}; last train loss {result.epochs[-1].train_loss:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", action="append", default=[], metavar="LABEL=PATH",
                        help="a finished run's warehouse.duckdb (repeatable)")
    parser.add_argument("--epochs", type=int, default=2, help="0 = the configuration's epochs with early "
                        "stopping (the asset's cost per model)")
    parser.add_argument("--configuration", default="segment_interest", help="named configuration "
                        "(seg_pipeline/model/named_configs.py)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (the asset's default is 1)")
    parser.add_argument("--modalities", default="id,visual,both")
    parser.add_argument("--compare-losses", default="", help="comma-separated losses (first modality only)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.compare_losses:
        for item in args.warehouse:
            label, _, path = item.partition("=")
            compare_losses(label, path or label, args.compare_losses.split(","),
                           args.modalities.split(",")[0], args.epochs)
        return
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s)")
    loss = bench_loss()
    print(f"eq. 8 loss on {loss['views']} views: vectorised {loss['vectorised_ms']:.2f} ms vs per-view loop "
          f"{loss['loop_ms']:.0f} ms -> {loss['ratio']:,.0f}x")
    for item in args.warehouse:
        label, _, path = item.partition("=")
        bench_warehouse(label, path or label, args.epochs, args.modalities.split(","), args.configuration)


if __name__ == "__main__":
    main()
