"""The low-interest span rule on scores worked out by hand (seg_pipeline.apply.edits)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from seg_pipeline.apply.edits import EditRule, low_interest_mask, low_interest_spans
from seg_pipeline.errors import ConfigError

# Six segments of a 28-s video (25 < 28 <= 30). Sorted: 0.2 0.5 1 3 4 5, so the median is
# (1 + 3) / 2 = 2 and the 0.25 quantile sits at position 0.25 * 5 = 1.25: 0.5 + 0.25 * (1 - 0.5) = 0.625.
SCORES = [3.0, 1.0, 0.5, 4.0, 0.2, 5.0]
LEAVE = [0.1, 0.2, 0.3, 0.1, 0.2, 0.1]


def spans_as_tuples(spans):
    return [(s.first_segment, s.last_segment, s.start_s, s.end_s) for s in spans]


def test_bottom_quarter_gives_two_single_segment_spans():
    # <= 0.625 and < 2: segments 2 (0.5) and 4 (0.2), not adjacent.
    assert low_interest_mask(SCORES).tolist() == [False, False, True, False, True, False]
    spans = low_interest_spans(SCORES, 28.0)
    assert spans_as_tuples(spans) == [(2, 2, 10.0, 15.0), (4, 4, 20.0, 25.0)]
    assert [s.mean_score for s in spans] == [0.5, 0.2]
    assert all(math.isnan(s.leave_probability) for s in spans)


def test_median_quantile_merges_neighbours_and_sums_leave_probability():
    # q = 0.5: threshold = median = 2, so "< 2" decides: segments 1, 2 and 4; 1-2 merge.
    spans = low_interest_spans(SCORES, 28.0, EditRule(low_quantile=0.5), leave_probability=LEAVE)
    assert spans_as_tuples(spans) == [(1, 2, 5.0, 15.0), (4, 4, 20.0, 25.0)]
    assert spans[0].mean_score == pytest.approx(0.75) and spans[0].seconds == 10.0
    assert spans[0].leave_probability == pytest.approx(0.2 + 0.3)
    assert spans[1].leave_probability == pytest.approx(0.2)
    assert spans[0].to_dict()["seconds"] == 10.0


def test_min_segments_and_margin():
    assert spans_as_tuples(low_interest_spans(SCORES, 28.0, EditRule(0.5, min_segments=2))) == [(1, 2, 5.0, 15.0)]
    # margin 0.6: scores must be < 1.4, segment 1 (1.0) still is; margin 1.2: < 0.8, it is not.
    assert spans_as_tuples(low_interest_spans(SCORES, 28.0, EditRule(0.5, margin=0.6)))[0] == (1, 2, 5.0, 15.0)
    assert spans_as_tuples(low_interest_spans(SCORES, 28.0, EditRule(0.5, margin=1.2))) == [
        (2, 2, 10.0, 15.0), (4, 4, 20.0, 25.0)]


def test_short_last_segment_ends_at_the_duration():
    # 11 s: segments [0, 5), [5, 10), [10, 11). Median 2, 0.25 quantile of (0, 2, 2) at position 0.5 = 1.
    spans = low_interest_spans([2.0, 2.0, 0.0], 11.0)
    assert spans_as_tuples(spans) == [(2, 2, 10.0, 11.0)]
    assert spans[0].seconds == pytest.approx(1.0)


def test_flat_and_single_segment_videos_get_no_suggestion():
    assert low_interest_spans([1.0, 1.0, 1.0], 15.0) == []
    assert low_interest_spans([0.3], 4.0) == []
    assert low_interest_spans([0.3], 4.0, EditRule(low_quantile=1.0)) == []


def test_whole_video_can_be_low_only_below_its_own_median():
    # Every segment below the median is impossible: at least half are >= it.
    scores = np.array([0.0, 0.1, 0.2, 0.3])
    mask = low_interest_mask(scores, EditRule(low_quantile=1.0))
    assert mask.tolist() == [True, True, False, False]


@pytest.mark.parametrize("rule, field", [
    (EditRule(low_quantile=0.0), "low_quantile"),
    (EditRule(low_quantile=1.5), "low_quantile"),
    (EditRule(margin=-0.1), "margin"),
    (EditRule(min_segments=0), "min_segments"),
])
def test_bad_rules_name_the_field(rule, field):
    with pytest.raises(ConfigError, match=f"'ops.x.{field}'"):
        rule.validate("ops.x.")


def test_inconsistent_inputs_are_refused():
    with pytest.raises(ValueError, match="segments, not 6"):
        low_interest_spans(SCORES, 31.0)  # 31 s is 7 segments
    with pytest.raises(ValueError, match="NaN"):
        low_interest_spans([1.0, float("nan")], 10.0)
    with pytest.raises(ValueError, match="leave_probability"):
        low_interest_spans(SCORES, 28.0, leave_probability=[0.5, 0.5])
    with pytest.raises(ValueError, match="at least one segment"):
        low_interest_mask([])
