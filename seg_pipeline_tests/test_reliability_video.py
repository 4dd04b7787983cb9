"""Fault injection on the video side (issue 11, cases 1 and 4): junk files with taken stems, truncated
files, files replaced or deleted between runs, a cache file cut short, an empty folder."""
from __future__ import annotations

import numpy as np
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.videos.raw_videos import raw_videos
from seg_pipeline.features.cache import read_cached_segments, write_cached
from seg_pipeline.resources import DataHome, VideoSource
from seg_pipeline.warehouse.db import connect


def _probe_run(data_home, folder, video_dir=None):
    return materialize([raw_videos], resources={"home": DataHome(root=str(data_home.root)),
                                                "video_source": VideoSource(video_dir=video_dir or str(folder))},
                       instance=DagsterInstance.ephemeral(), raise_on_error=False)


def _tables(data_home):
    with connect(data_home.warehouse, read_only=True) as con:
        videos = {v: (p.rsplit("/", 1)[-1], d) for v, p, d in
                  con.execute("SELECT video_id, path, duration_ms FROM videos").fetchall()}
        errors = {p.rsplit("/", 1)[-1]: (k, r) for p, k, r in
                  con.execute("SELECT path, kind, reason FROM video_errors").fetchall()}
    return videos, errors


def test_a_junk_file_never_takes_a_good_videos_id(data_home, make_video, tmp_path):
    folder = tmp_path / "videos"
    make_video("sintel.mp4", 6.0)
    (folder / "sintel.avi").write_bytes(b"junk!")  # sorts before sintel.mp4
    cut = make_video("clip.mp4", 6.0)
    make_video("clip.mov", 8.0)
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])  # clip.mp4 cut short: clip.mov keeps the id
    assert _probe_run(data_home, folder).success
    videos, errors = _tables(data_home)
    assert videos == {"sintel": ("sintel.mp4", 6000), "clip": ("clip.mov", 8000)}
    assert errors["sintel.avi"][0] == "not_a_video" and errors["clip.mp4"][0] in ("corrupt", "truncated")


def test_first_run_picks_by_path_order_and_says_so(data_home, make_video, tmp_path):
    folder = tmp_path / "videos"
    make_video("a.mp4", 8.0)
    make_video("a.mkv", 6.0)
    assert _probe_run(data_home, folder).success
    videos, errors = _tables(data_home)
    assert videos == {"a": ("a.mkv", 6000)}
    kind, reason = errors["a.mp4"]
    assert kind == "duplicate_video_id"
    assert "a.mkv" in reason and "a.mp4" in reason and "first path in sorted order" in reason


def test_a_new_file_never_replaces_a_known_video(data_home, make_video, tmp_path):
    folder = tmp_path / "videos"
    make_video("sintel.mp4", 12.0)
    assert _probe_run(data_home, folder).success
    make_video("sintel.mkv", 6.0)  # appears later; sorts first, but the id stays with the known content
    assert _probe_run(data_home, folder).success
    videos, errors = _tables(data_home)
    assert videos == {"sintel": ("sintel.mp4", 12000)}
    kind, reason = errors["sintel.mkv"]
    assert kind == "duplicate_video_id" and "sintel.mp4" in reason and "previous run accepted" in reason


def test_replaced_and_deleted_files_between_runs(data_home, make_video, tmp_path):
    folder = tmp_path / "videos"
    make_video("keep.mp4", 6.0)
    make_video("gone.mp4", 6.0)
    make_video("swap.mp4", 6.0)
    assert _probe_run(data_home, folder).success
    with connect(data_home.warehouse, read_only=True) as con:
        old_hash = con.execute("SELECT content_hash FROM videos WHERE video_id = 'swap'").fetchone()[0]
    (folder / "gone.mp4").unlink()
    make_video("swap.mp4", 11.0)  # same name, new content: the file on disk is the truth
    result = _probe_run(data_home, folder)
    assert result.success
    videos, _ = _tables(data_home)
    assert videos == {"keep": ("keep.mp4", 6000), "swap": ("swap.mp4", 11000)}
    with connect(data_home.warehouse, read_only=True) as con:
        assert con.execute("SELECT content_hash FROM videos WHERE video_id = 'swap'").fetchone()[0] != old_hash
    metadata = result.asset_materializations_for_node("raw_videos")[0].metadata
    assert metadata["videos_gone_since_last_run"].value == 1 and metadata["gone_video_ids"].value == "gone"


def test_a_cache_file_cut_short_reads_as_missing(tmp_path):
    path = write_cached(tmp_path / "k" / "abc.parquet", "abc", np.ones((3, 4), np.float32), "m", "w", "f", 1)
    assert read_cached_segments(path) == 3
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    assert read_cached_segments(path) is None  # recomputed, never read half


def test_an_empty_or_all_junk_folder_fails_raw_videos_with_the_reasons(data_home, tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    result = _probe_run(data_home, folder)
    assert not result.success
    message = str(next(e for e in result.all_events if e.is_step_failure).step_failure_data.error)
    assert "no video accepted" in message and "no file with a video extension" in message
    (folder / "a.mp4").write_bytes(b"")
    (folder / "b.mp4").write_text("text")
    message = str(next(e for e in _probe_run(data_home, folder).all_events if e.is_step_failure)
                  .step_failure_data.error)
    assert "all 2 video files were rejected (empty_file 1, not_a_video 1)" in message
    assert _probe_run(data_home, folder, video_dir="none").success  # an id-only run stays valid
