"""Batched sampling returns exactly the frames a full sequential decode would give at those indices."""
import decord
import numpy as np
import pytest

from seg_pipeline.video.frames import FrameDecodeError, read_frames


@pytest.fixture
def clip(make_video):
    return make_video("clip.mp4", 12.3, fps=10)


def _sequential(path):
    reader = decord.VideoReader(str(path), num_threads=1)
    return np.stack([reader[i].asnumpy() for i in range(len(reader))])


def test_get_batch_matches_sequential_decode(clip):
    every = _sequential(clip)
    wanted = [25, 75, 111, 25]  # order kept, duplicates allowed
    batch = read_frames(clip, wanted, "decord")
    assert batch.shape == (4, 48, 64, 3) and batch.dtype == np.uint8
    np.testing.assert_array_equal(batch, every[wanted])


def test_pyav_fallback_reads_the_same_frames(clip):
    decoded = read_frames(clip, [111, 25], "pyav")
    expected = _sequential(clip)[[111, 25]]
    # Same FFmpeg decoder underneath; colour conversion may differ by a rounding step.
    assert np.abs(decoded.astype(int) - expected.astype(int)).max() <= 2


def test_index_past_the_end_is_a_decode_error(clip):
    with pytest.raises(FrameDecodeError):
        read_frames(clip, [500], "decord")
    with pytest.raises(FrameDecodeError):
        read_frames(clip, [500], "pyav")
