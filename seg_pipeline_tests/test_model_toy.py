"""A toy warehouse whose answer is known, for the model tests (and a check of the toy itself).

Each video has one "dull" segment; a viewer leaves there with probability `leave_prob`, otherwise
watches to the end. The dull segment's vector points along one axis and the others along another,
so the visual model can find it even on videos it never saw, while the id model can only learn it
per known video. Tables follow the warehouse contract (docs/ARCHITECTURE.md).
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

VECTOR_DIM = 8


def build_toy_warehouse(
    path: Path,
    n_users: int = 12,
    n_videos: int = 60,
    views_per_user: int = 30,
    leave_prob: float = 0.85,
    with_vectors: bool = True,
    seed: int = 0,
) -> dict:
    """Write skip_labels, user_histories, splits (and segment_embeddings) into a DuckDB file."""
    rng = np.random.default_rng(seed)
    n_seg = rng.integers(2, 9, size=n_videos)
    dull = rng.integers(0, n_seg)
    video_ids = np.array([f"v{i:03d}" for i in range(n_videos)], dtype=object)

    rows = []
    view_id = 0
    for u in range(n_users):
        for k in range(views_per_user):
            v = int(rng.integers(n_videos))
            n = int(n_seg[v])
            leaves = rng.random() < leave_prob
            skip = int(dull[v]) if leaves else None
            duration = n * 5000 - 1000
            playing = skip * 5000 + 2500 if leaves else duration
            rows.append(dict(
                view_id=view_id, user_id=f"u{u}", video_id=video_ids[v], time_ms=1000 * k,
                duration_ms=duration, playing_time_ms=playing, n_segments=n, skip_segment=skip,
                target_slot=skip if leaves else n, watched_segments=skip + 1 if leaves else n,
                full_watch=not leaves,
            ))
            view_id += 1
    labels = pd.DataFrame(rows)
    labels["skip_segment"] = labels["skip_segment"].astype("Int64")

    hist_rows, split_rows = [], []
    for user, group in labels.groupby("user_id", sort=False):
        group = group.sort_values("time_ms")
        n_views = len(group)
        n_train, n_valid = int(0.8 * n_views), int(0.1 * n_views)
        for i, row in enumerate(group.itertuples()):
            past = group.iloc[max(0, i - 20):i]
            hist_rows.append(dict(
                view_id=row.view_id, user_id=user, history_view_ids=past["view_id"].tolist(),
                history_video_ids=past["video_id"].tolist(),
                history_watched_segments=past["watched_segments"].tolist(),
            ))
            split = "train" if i < n_train else ("valid" if i < n_train + n_valid else "test")
            split_rows.append(dict(view_id=row.view_id, user_id=user, split=split))
    splits = pd.DataFrame(split_rows)
    train_videos = set(labels.loc[labels["view_id"].isin(splits.loc[splits.split == "train", "view_id"]), "video_id"])
    splits = splits.merge(labels[["view_id", "video_id"]], on="view_id")
    splits["cold_video"] = (splits["split"] != "train") & ~splits["video_id"].isin(train_videos)
    splits["protocol"] = "temporal"
    splits = splits.drop(columns="video_id")
    histories = pd.DataFrame(hist_rows)

    con = duckdb.connect(str(path))
    con.register("labels_df", labels)
    con.register("hist_df", histories)
    con.register("splits_df", splits)
    con.execute("CREATE TABLE skip_labels AS SELECT * FROM labels_df")
    con.execute(
        "CREATE TABLE user_histories AS SELECT view_id, user_id, history_view_ids::BIGINT[] AS history_view_ids,"
        " history_video_ids::VARCHAR[] AS history_video_ids,"
        " history_watched_segments::INTEGER[] AS history_watched_segments FROM hist_df"
    )
    con.execute("CREATE TABLE splits AS SELECT * FROM splits_df")
    if with_vectors:
        emb = []
        for v in range(n_videos):
            for s in range(int(n_seg[v])):
                vec = rng.normal(0.0, 0.3, VECTOR_DIM)
                vec[0 if s == dull[v] else 1] += 2.0
                emb.append(dict(video_id=video_ids[v], segment_idx=s, embedding=(vec / np.linalg.norm(vec)).tolist(),
                                model="toy", weights="random"))
        con.register("emb_df", pd.DataFrame(emb))
        con.execute(
            f"CREATE TABLE segment_embeddings AS SELECT video_id, segment_idx, embedding::FLOAT[{VECTOR_DIM}]"
            " AS embedding, model, weights FROM emb_df"
        )
    con.close()
    return {"labels": labels, "splits": splits, "dull": dict(zip(video_ids, dull)), "n_segments": dict(zip(video_ids, n_seg))}


def test_toy_world_is_consistent(tmp_path):
    world = build_toy_warehouse(tmp_path / "toy.duckdb", n_users=3, views_per_user=10)
    labels = world["labels"]
    assert len(labels) == 30
    leave = ~labels["full_watch"]
    assert (labels.loc[leave, "target_slot"] == labels.loc[leave, "video_id"].map(world["dull"])).all()
    assert (labels.loc[~leave, "target_slot"] == labels.loc[~leave, "n_segments"]).all()
    assert set(world["splits"]["split"]) == {"train", "valid", "test"}
