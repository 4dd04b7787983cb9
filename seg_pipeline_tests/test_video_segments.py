"""Segment counts and sampled frame indices for known durations (SPEC 1), checked by hand."""
import pytest

from seg_pipeline.errors import ConfigError
from seg_pipeline.video.probe import scope_problem
from seg_pipeline.video.segments import frame_at, n_segments, plan_segments


@pytest.mark.parametrize(
    "duration_ms, expected",
    [(4900, 1), (5000, 1), (5001, 2), (10000, 2), (12300, 3), (200000, 40), (200100, 41)],
)
def test_n_segments_is_ceil_of_five_second_slots(duration_ms, expected):
    assert n_segments(duration_ms) == expected


def test_scope_bounds_are_inclusive():
    assert scope_problem(4.9, 5.0, 200.0).startswith("duration 4.90 s is shorter")
    assert scope_problem(5.0, 5.0, 200.0) is None
    assert scope_problem(200.0, 5.0, 200.0) is None
    assert "longer" in scope_problem(200.1, 5.0, 200.0)


def test_midpoint_frames_of_a_12_3_second_video():
    # 123 frames at 10 fps; segments [0,5), [5,10), [10,12.3): midpoints 2.5, 7.5, 11.15 s.
    plans = plan_segments(12300, fps=10.0, n_frames=123, k=1)
    assert [(p.segment_idx, p.start_s, p.end_s) for p in plans] == [(0, 0.0, 5.0), (1, 5.0, 10.0), (2, 10.0, 12.3)]
    assert [p.frame_indices for p in plans] == [(25,), (75,), (111,)]


def test_k_frames_sit_at_slice_centres():
    # k = 2 on [0, 5): slices [0, 2.5) and [2.5, 5) have centres 1.25 s and 3.75 s -> frames 12, 37.
    # k = 3 on the last segment [10, 12.3): width 0.7667, centres 10.383, 11.15, 11.917 -> 103, 111, 119.
    assert plan_segments(12300, 10.0, 123, k=2)[0].frame_indices == (12, 37)
    assert plan_segments(12300, 10.0, 123, k=3)[2].frame_indices == (103, 111, 119)


def test_exact_five_seconds_is_one_segment_at_frame_25_at_10_fps():
    plans = plan_segments(5000, 10.0, 50)
    assert len(plans) == 1 and plans[0].frame_indices == (25,)


def test_frame_at_stays_inside_the_video_and_on_boundaries():
    assert frame_at(0.3, 10.0, 50) == 3  # 0.3 * 10 is 2.9999999999999996 in floating point
    assert frame_at(99.0, 10.0, 50) == 49
    assert frame_at(2.5, 29.97, 1000) == 74


@pytest.mark.parametrize("k", [0, -1])
def test_frames_per_segment_below_one_is_a_config_error(k):
    with pytest.raises(ConfigError, match="frames_per_segment"):
        plan_segments(12300, 10.0, 123, k=k)
