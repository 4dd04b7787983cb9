"""Log-only mode: sizes, schema, determinism and the same conventions as the demo world's log."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from seg_pipeline.demo import simulate_log_only
from seg_pipeline.demo.__main__ import main as demo_cli
from seg_pipeline.demo.log_only import markov_segment_topics
from seg_pipeline.demo.world import INTERACTIONS_SCHEMA


@pytest.fixture(scope="module")
def log() -> pa.Table:
    return simulate_log_only(n_users=50, n_videos=2000, n_views=30000, seed=5)


def test_sizes_and_schema(log):
    assert log.schema == INTERACTIONS_SCHEMA
    assert log.num_rows == 30000
    frame = log.to_pandas()
    assert frame["user_id"].nunique() == 50
    assert frame["video_id"].str.fullmatch(r"v\d{5}").all()
    assert frame["video_id"].nunique() <= 2000
    assert not frame.isna().any().any()


def test_values_follow_the_log_conventions(log):
    frame = log.to_pandas()
    assert frame["duration_ms"].between(5000, 200000).all()
    assert (frame["playing_time_ms"] >= 1).all()
    # One video has one duration everywhere in the log.
    assert (frame.groupby("video_id")["duration_ms"].nunique() == 1).all()
    # Per user, rows are in time order, and several views share a request time.
    assert (frame.groupby("user_id")["time_ms"].diff().dropna() >= 0).all()
    assert frame.duplicated(["user_id", "time_ms"], keep=False).mean() > 0.5
    assert not frame.duplicated(["user_id", "time_ms", "video_id"]).any()
    full = (frame["playing_time_ms"] >= frame["duration_ms"]).mean()
    assert 0.15 < full < 0.5


def test_same_seed_same_log(log):
    assert simulate_log_only(n_users=50, n_videos=2000, n_views=30000, seed=5).equals(log)
    assert not simulate_log_only(n_users=50, n_videos=2000, n_views=30000, seed=6).equals(log)


def test_markov_topics_restart_per_video():
    rng = np.random.default_rng(0)
    topics = markov_segment_topics(np.array([3, 1, 4]), n_topics=8, rng=rng)
    assert topics.shape == (8,) and topics.min() >= 0 and topics.max() < 8


def test_invalid_sizes_are_refused():
    with pytest.raises(ValueError, match="n_views"):
        simulate_log_only(n_users=3, n_videos=3, n_views=0)


def test_cli_writes_parquet(tmp_path, capsys):
    out = tmp_path / "log.parquet"
    assert demo_cli(["--log-only", "--users", "5", "--videos", "40", "--views", "300", "--out", str(out)]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 300 and table.schema == INTERACTIONS_SCHEMA
    assert demo_cli(["--log-only", "--users", "5"]) == 2
    assert "--videos" in capsys.readouterr().err
