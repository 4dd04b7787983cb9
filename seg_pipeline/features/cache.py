"""Per-video embedding cache: one Parquet file per (content hash, encoder, sampling).

Files are content-addressed (a renamed or moved video is still a hit) and written atomically, so
a run killed half-way leaves only complete files; a new or broken video never forces the others
to be recomputed. Rows carry no video_id: the warehouse table joins them to `videos` by hash.
"""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

# Bump when the way frames are chosen for a segment changes, so old vectors are not reused.
SAMPLING_VERSION = "mid-slices-v1"


def sampling_key(frames_per_segment: int) -> str:
    return f"{SAMPLING_VERSION}-k{frames_per_segment}"


def encoder_key(model: str, weights_id: str, fingerprint: str, frames_per_segment: int) -> str:
    """A folder name readable at a glance, made unique by a hash of all four parts."""
    full = "|".join([model, weights_id, fingerprint, sampling_key(frames_per_segment)])
    readable = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{model}__{Path(weights_id).name or weights_id}")[:80]
    return f"{readable}__k{frames_per_segment}__{hashlib.sha256(full.encode()).hexdigest()[:16]}"


def cache_schema(dim: int) -> pa.Schema:
    return pa.schema([
        ("content_hash", pa.string()),
        ("segment_idx", pa.int32()),
        ("embedding", pa.list_(pa.float32(), dim)),
        ("model", pa.string()),
        ("weights", pa.string()),
        ("weights_fingerprint", pa.string()),
        ("frames_per_segment", pa.int32()),
    ])


def cache_path(cache_dir: Path, key: str, content_hash: str) -> Path:
    return Path(cache_dir) / key / f"{content_hash}.parquet"


def write_cached(path: Path, content_hash: str, embeddings: np.ndarray, model: str, weights_id: str,
                 fingerprint: str, frames_per_segment: int) -> Path:
    """Write one video's segment vectors; the rename makes the file appear whole or not at all."""
    n, dim = embeddings.shape
    table = pa.table(
        {
            "content_hash": pa.array([content_hash] * n, pa.string()),
            "segment_idx": pa.array(np.arange(n, dtype=np.int32)),
            "embedding": pa.FixedSizeListArray.from_arrays(
                pa.array(np.ascontiguousarray(embeddings, dtype=np.float32).reshape(-1)), dim),
            "model": pa.array([model] * n, pa.string()),
            "weights": pa.array([weights_id] * n, pa.string()),
            "weights_fingerprint": pa.array([fingerprint] * n, pa.string()),
            "frames_per_segment": pa.array([frames_per_segment] * n, pa.int32()),
        },
        schema=cache_schema(dim),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    pq.write_table(table, partial)
    os.replace(partial, path)
    return path


def read_cached_segments(path: Path) -> int | None:
    """Number of segments in a cache file, or None if it is missing or unreadable (then recompute)."""
    try:
        return pq.ParquetFile(path).metadata.num_rows
    except (OSError, pa.ArrowException):
        return None
