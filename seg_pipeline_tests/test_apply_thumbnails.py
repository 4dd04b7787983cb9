"""Thumbnail frame choice by hand, and a real frame decoded from a real mp4 into JPEG/PNG."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from seg_pipeline.apply.errors import ApplyError
from seg_pipeline.apply.thumbnails import best_segment, choose_frame, write_thumbnail


def test_best_segment_prefers_the_earliest_of_ties():
    assert best_segment([0.1, 0.9, 0.9, 0.2]) == 1
    with pytest.raises(ValueError):
        best_segment([])


def test_middle_frame_of_the_best_segment():
    # 17.5 s at 10 fps = 175 frames, 4 segments. Segment 1 covers [5, 10): middle 7.5 s = frame 75.
    choice = choose_frame([0.1, 0.9, 0.9, 0.2], 17_500, 10.0, 175)
    assert (choice.segment_idx, choice.frame_index, choice.time_s, choice.score) == (1, 75, 7.5, 0.9)
    # The short last segment [15, 17.5): middle 16.25 s = frame 162 (frame i covers [i/10, (i+1)/10)).
    last = choose_frame([0.0, 0.0, 0.0, 1.0], 17_500, 10.0, 175)
    assert (last.segment_idx, last.frame_index, last.time_s) == (3, 162, 16.25)
    with pytest.raises(ValueError, match="3 scores for a video of 4 segments"):
        choose_frame([0.0, 1.0, 2.0], 17_500, 10.0, 175)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_written_image_is_the_chosen_frame(make_video, tmp_path, suffix):
    # make_video colours frame i with red = i and green = 7 i (mod 256); H.264 keeps them within a few levels.
    video = make_video("clip.mp4", 3.0, fps=10, size=(64, 48))
    out = write_thumbnail(video, 17, tmp_path / "out" / f"thumb{suffix}")
    with Image.open(out) as image:
        assert image.format == ("PNG" if suffix == ".png" else "JPEG")
        assert image.size == (64, 48)
        pixels = np.asarray(image.convert("RGB"), dtype=np.float64)
    assert pixels[..., 0].mean() == pytest.approx(17, abs=4)
    assert pixels[..., 1].mean() == pytest.approx(119, abs=4)
    assert not (tmp_path / "out" / f"thumb{suffix}.tmp").exists()


def test_unusable_requests_say_what_to_do(make_video, tmp_path):
    video = make_video("clip.mp4", 1.0)
    with pytest.raises(ApplyError, match="end the output file name with .jpg"):
        write_thumbnail(video, 0, tmp_path / "thumb.gif")
    with pytest.raises(ApplyError, match="is missing"):
        write_thumbnail(tmp_path / "gone.mp4", 0, tmp_path / "thumb.png")
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video")
    with pytest.raises(ApplyError, match="could not decode frame 0 of broken.mp4"):
        write_thumbnail(broken, 0, tmp_path / "thumb.png")
