"""Probing real files: facts of good videos, and a clear rejection for each kind of bad input."""
import os

import numpy as np
import pytest

from seg_pipeline.errors import ConfigError
from seg_pipeline.video.inventory import take_inventory
from seg_pipeline.video.probe import VideoRejected, content_hash, probe_video
from seg_pipeline.video.writer import write_mp4


def _frames(n, size=(64, 48)):
    width, height = size
    for i in range(n):
        frame = np.zeros((height, width, 3), dtype=np.uint8)
        frame[..., 0] = (i * 3) % 256
        yield frame


def _kind(path, **kwargs):
    with pytest.raises(VideoRejected) as caught:
        probe_video(path, **kwargs)
    return caught.value


def test_probe_reads_duration_fps_size_and_hash(make_video):
    path = make_video("a.mp4", 12.3, fps=10, size=(64, 48))
    info = probe_video(path)
    assert (info.n_frames, info.fps, info.width, info.height) == (123, 10.0, 64, 48)
    assert info.duration_ms == 12300 and info.decoder == "decord" and info.codec == "h264"
    assert info.declared_frames == 123
    assert info.content_hash == content_hash(path) and len(info.content_hash) == 64


def test_zero_byte_file(tmp_path):
    path = tmp_path / "zero.mp4"
    path.write_bytes(b"")
    assert _kind(path).kind == "empty_file"


def test_text_file_with_video_extension(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 20)
    rejected = _kind(path)
    assert rejected.kind == "not_a_video" and "decord" in rejected.reason and "pyav" in rejected.reason


def test_missing_path_and_broken_link_and_directory(tmp_path):
    assert _kind(tmp_path / "nowhere.mp4").kind == "unreadable_path"
    os.symlink(tmp_path / "gone.mp4", tmp_path / "link.mp4")
    assert _kind(tmp_path / "link.mp4").kind == "unreadable_path"
    (tmp_path / "folder.mp4").mkdir()
    assert "regular file" in _kind(tmp_path / "folder.mp4").reason


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(make_video):
    path = make_video("locked.mp4", 6.0)
    path.chmod(0)
    try:
        assert _kind(path).kind == "unreadable_path"
    finally:
        path.chmod(0o644)


def test_file_cut_short_with_index_at_the_end_is_corrupt(make_video, tmp_path):
    # A plain mp4 keeps its index (moov) at the end: cutting it loses the index, nothing opens it.
    data = make_video("whole.mp4", 12.0).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    rejected = _kind(cut)
    assert rejected.kind == "corrupt" and "cut short or damaged" in rejected.reason


def test_faststart_file_cut_short_is_truncated_not_silently_short(tmp_path):
    # With the index first, decord opens the cut file and silently reads fewer frames.
    whole = write_mp4(tmp_path / "whole.mp4", _frames(300), fps=10, faststart=True)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    rejected = _kind(cut)
    assert rejected.kind == "truncated"
    assert "declares 300 (30.00 s)" in rejected.reason


def test_av1_file_falls_back_to_pyav(tmp_path):
    path = write_mp4(tmp_path / "av1.mp4", _frames(60, size=(64, 64)), fps=10, crf=40, codec="libsvtav1")
    info = probe_video(path)
    assert info.decoder == "pyav" and info.n_frames == 60 and info.duration_ms == 6000
    # Forcing decord alone rejects it, with decord's own error in the reason.
    rejected = _kind(path, decoder="decord")
    assert rejected.kind == "corrupt" and "decord:" in rejected.reason


def test_inventory_accounts_for_every_file(make_video, tmp_path):
    folder = tmp_path / "videos"
    make_video("ok.mp4", 6.0)
    make_video("short.mp4", 4.9)
    make_video("long.mp4", 201.0, fps=1)
    make_video("ok.mkv", 6.0)  # same stem as ok.mp4: duplicate id, reported not overwritten
    (folder / "empty.mp4").write_bytes(b"")
    (folder / "readme.txt").write_text("ignored: not a video extension")
    inventory = take_inventory(folder, [".mp4", ".MKV"], 5.0, 200.0)
    assert [v.video_id for v in inventory.videos] == ["ok"]
    assert inventory.videos[0].n_segments == 2 and inventory.videos[0].info.path.endswith("ok.mkv")
    kinds = {os.path.basename(r.path): r.kind for r in inventory.rejections}
    # Path order: ok.mkv comes before ok.mp4, so the .mkv keeps the id and the .mp4 is reported.
    assert kinds == {"empty.mp4": "empty_file", "long.mp4": "out_of_scope", "ok.mp4": "duplicate_video_id",
                     "short.mp4": "out_of_scope"}
    assert inventory.ignored_files == 1
    assert inventory.rejections_by_kind() == {"duplicate_video_id": 1, "empty_file": 1, "out_of_scope": 2}


def test_wrong_probe_settings_fail_fast_naming_the_field(tmp_path):
    with pytest.raises(ConfigError, match="video_source.video_dir"):
        take_inventory(tmp_path / "missing", [".mp4"])
    with pytest.raises(ConfigError, match="raw_videos.config.decoder"):
        take_inventory(tmp_path, [".mp4"], decoder="opencv")
    with pytest.raises(ConfigError, match="min_duration_s"):
        take_inventory(tmp_path, [".mp4"], min_duration_s=10, max_duration_s=5)
