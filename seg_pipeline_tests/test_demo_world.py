"""Demo world: determinism, label consistency, real files read back with decord, bad inputs."""
from __future__ import annotations

import json

import decord
import numpy as np
import pyarrow.parquet as pq
import pytest

from seg_pipeline.demo import plan_world, resolve_world_config, world_is_current, write_world
from seg_pipeline.demo.__main__ import main as demo_cli
from seg_pipeline.demo.behaviour import draw_playing_time_ms, skip_segment_of
from seg_pipeline.demo.catalog import Scene, segment_topics_of
from seg_pipeline.demo.render import PALETTES, SceneLook, render_frames
from seg_pipeline.demo.world import check_world_files
from seg_pipeline.errors import ConfigError

# Small enough to encode in about a second, big enough to have cold videos and request batches.
SMALL = dict(size="tiny", n_videos=5, n_users=4, views_per_user=6)


def test_same_seed_same_world_other_seed_other_world():
    a = plan_world(resolve_world_config("tiny", seed=7))
    b = plan_world(resolve_world_config("tiny", seed=7))
    c = plan_world(resolve_world_config("tiny", seed=8))
    assert a.interactions.equals(b.interactions)
    assert a.ground_truth.equals(b.ground_truth)
    assert a.catalog.equals(b.catalog)
    assert not a.interactions.equals(c.interactions)


def test_tiny_world_has_the_promised_shape():
    plan = plan_world(resolve_world_config("tiny"))
    log = plan.interactions.to_pandas()
    durations = log["duration_ms"]
    assert plan.config.n_videos == 20 and log["user_id"].nunique() == 20
    assert 450 <= len(log) <= 750
    assert durations.between(5000, 40000).all()
    # Request batches: many views share (user, time_ms) with another view.
    shared = log.duplicated(["user_id", "time_ms"], keep=False).mean()
    assert shared > 0.5
    # Per user, log order is time order.
    assert (log.groupby("user_id")["time_ms"].diff().dropna() >= 0).all()
    # A request never serves one video twice, so the clean log has no exact duplicate rows.
    assert not log.duplicated(["user_id", "time_ms", "video_id"]).any()


def test_playing_time_falls_inside_the_chosen_segment():
    plan = plan_world(resolve_world_config("tiny", seed=3))
    playing = plan.interactions["playing_time_ms"].to_numpy()
    duration = plan.interactions["duration_ms"].to_numpy()
    n_segments = -(-duration // 5000)
    skipped = skip_segment_of(playing, duration)
    expected = np.where(plan.leave_slot >= n_segments, -1, plan.leave_slot)
    np.testing.assert_array_equal(skipped, expected)
    assert np.array_equal(n_segments, plan.n_segments_per_view)
    left = plan.leave_slot < n_segments
    assert (playing[left] > 5000 * plan.leave_slot[left]).all()
    assert (playing[left] <= np.minimum(5000 * (plan.leave_slot[left] + 1), duration[left] - 1)).all()
    assert (playing[~left] >= duration[~left]).all()


def test_playing_time_edges_by_hand():
    rng = np.random.default_rng(0)
    # 12.3 s video (3 segments): leaving in segment 2 means 10,001..12,299 ms; slot 3 = full watch.
    slots = np.array([0, 2, 3] * 200)
    times = draw_playing_time_ms(slots, np.full(600, 3), np.full(600, 12300), rng)
    assert times[slots == 0].min() >= 1 and times[slots == 0].max() <= 5000
    assert times[slots == 2].min() >= 10001 and times[slots == 2].max() <= 12299
    assert times[slots == 3].min() >= 12300
    assert list(skip_segment_of(np.array([1, 5000, 5001, 12299, 12300]), np.full(5, 12300))) == [0, 0, 1, 2, -1]


def test_segment_topic_is_the_majority_topic():
    # 10 fps, 7.5 s: frames 0-29 topic 2, 30-74 topic 5. Segment 0 = frames 0-49 (30 x topic 2,
    # 20 x topic 5) -> 2; segment 1 = frames 50-74, all topic 5 -> 5.
    scenes = [Scene(0, 30, 2), Scene(30, 75, 5)]
    assert segment_topics_of(scenes, 75, 10, 8).tolist() == [2, 5]


def test_ground_truth_covers_every_logged_pair_and_segment():
    plan = plan_world(resolve_world_config("tiny", seed=1))
    truth = plan.ground_truth.to_pandas()
    log = plan.interactions.to_pandas()
    per_pair = truth.groupby(["user_id", "video_id"]).size()
    pairs = log.drop_duplicates(["user_id", "video_id"]).set_index(["user_id", "video_id"])
    expected = -(-pairs["duration_ms"] // 5000)
    assert per_pair.sort_index().tolist() == expected.sort_index().tolist()
    assert truth["interest"].between(0, 1, inclusive="neither").all()


def test_users_differ_by_topic_not_only_by_position():
    """Interest of the same topic varies a lot between users: each user strongly dislikes some."""
    plan = plan_world(resolve_world_config("default"))
    truth = plan.ground_truth.to_pandas()
    per_user_topic = truth.groupby(["user_id", "topic"])["interest"].mean().unstack()
    spread = (per_user_topic.max(axis=1) - per_user_topic.min(axis=1)).median()
    assert spread > 0.4


def test_topics_have_clearly_different_colours():
    means = []
    for topic in range(len(PALETTES)):
        look = SceneLook(np.random.default_rng(topic), 120, 160)
        frames = render_frames(topic, np.arange(0, 50, 5), 10, 120, 160, look)
        assert frames.shape == (10, 120, 160, 3) and frames.dtype == np.uint8
        means.append(frames.reshape(-1, 3).mean(axis=0))
    means = np.array(means)
    distances = np.linalg.norm(means[:, None] - means[None, :], axis=-1)
    assert distances[np.triu_indices(len(means), 1)].min() > 30


def test_written_world_reads_back_with_decord(data_home):
    config = resolve_world_config(**SMALL)
    demo_dir = data_home.demo_dir
    manifest = write_world(config, demo_dir)
    catalog = pq.read_table(demo_dir / "catalog.parquet").to_pandas()
    assert len(catalog) == 5
    for row in catalog.itertuples():
        reader = decord.VideoReader(str(demo_dir / "videos" / f"{row.video_id}.mp4"))
        assert len(reader) == row.n_frames
        assert reader.get_avg_fps() == pytest.approx(row.fps)
        assert reader[0].shape == (120, 160, 3)
        assert len(reader) * 1000 // row.fps == row.duration_ms
        assert row.n_segments == -(-row.duration_ms // 5000) == len(row.segment_topics)
    log = pq.read_table(demo_dir / "interactions.parquet")
    assert log.schema.names == ["user_id", "video_id", "time_ms", "duration_ms", "playing_time_ms"]
    assert log.num_rows == manifest["counts"]["views"] + 5
    assert check_world_files(demo_dir) == []
    on_disk = json.loads((demo_dir / "world.json").read_text())
    assert on_disk["fingerprint"] == config.fingerprint() and on_disk["seed"] == 0


def test_planted_bad_inputs_are_where_world_json_says(data_home):
    manifest = write_world(resolve_world_config(**SMALL), data_home.demo_dir)
    bad_files = {b["file"] for b in manifest["bad_inputs"]["videos"]}
    assert {"broken_truncated.mp4", "broken_zero_bytes.mp4", "broken_not_a_video.mp4"} <= bad_files
    assert (data_home.demo_videos_dir / "broken_zero_bytes.mp4").stat().st_size == 0
    rows = pq.read_table(data_home.demo_dir / "interactions.parquet").to_pylist()
    by_kind = {r["kind"]: r["row"] for r in manifest["bad_inputs"]["log_rows"]}
    assert rows[by_kind["exact_duplicate"]] == rows[by_kind["exact_duplicate"] - 1]
    assert rows[by_kind["negative_playing_time"]]["playing_time_ms"] < 0
    assert rows[by_kind["null_playing_time"]]["playing_time_ms"] is None
    assert rows[by_kind["unknown_video_id"]]["video_id"] not in manifest["video_ids"]
    assert rows[by_kind["zero_duration"]]["duration_ms"] == 0


def test_world_without_bad_inputs_has_clean_files(data_home):
    manifest = write_world(resolve_world_config(**SMALL, inject_bad_inputs=False), data_home.demo_dir)
    assert sorted(p.stem for p in data_home.demo_videos_dir.iterdir()) == manifest["video_ids"]
    assert manifest["counts"]["log_rows"] == manifest["counts"]["views"]


def test_current_world_is_recognised_and_a_new_config_is_not(data_home):
    config = resolve_world_config(**SMALL, inject_bad_inputs=False)
    assert not world_is_current(data_home.demo_dir, config)
    write_world(config, data_home.demo_dir)
    assert world_is_current(data_home.demo_dir, config)
    assert not world_is_current(data_home.demo_dir, resolve_world_config(**SMALL, seed=1))
    (data_home.demo_videos_dir / "v00000.mp4").unlink()
    assert not world_is_current(data_home.demo_dir, config)


def test_bad_config_names_the_field():
    with pytest.raises(ConfigError, match="'size'"):
        resolve_world_config("huge")
    with pytest.raises(ConfigError, match="n_videos"):
        resolve_world_config("tiny", n_videos=0)


def test_cli_writes_a_world_then_reuses_it(data_home, capsys):
    args = ["--size", "tiny", "--videos", "3", "--users", "2", "--views-per-user", "4", "--no-bad-inputs"]
    assert demo_cli(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["action"] == "written" and first["counts"]["videos"] == 3
    assert demo_cli(args) == 0
    assert json.loads(capsys.readouterr().out)["action"] == "reused"
