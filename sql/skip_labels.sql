-- Per view, where the user left (SPEC 1). Users watch from the start, so the playing time alone
-- says which segments they saw:
--   full watch  iff playing_time_ms >= duration_ms (a replay included): skip_segment NULL and the
--               target is the end slot n_segments (the virtual slot after the last segment);
--   otherwise   skip_segment = max(ceil(playing_time_ms / $segment_ms), 1) - 1 (0-based), the
--               segment the user left in; target_slot = skip_segment.
-- watched_segments counts the segments the user saw, the skip segment included: skip_segment + 1,
-- or n_segments for a full watch. SegMM's label_1D is exactly this: 1 for segments before the
-- target, 0 at the skip segment, -1 after it (all 1s for a full watch).
CREATE OR REPLACE TABLE skip_labels AS
WITH labelled AS (
    SELECT
        view_id,
        user_id,
        video_id,
        time_ms,
        duration_ms,
        playing_time_ms,
        n_segments,
        playing_time_ms >= duration_ms AS full_watch,
        CASE
            WHEN playing_time_ms < duration_ms
                THEN (greatest((playing_time_ms + $segment_ms - 1) // $segment_ms, 1) - 1)::INTEGER
        END AS skip_segment
    FROM interactions
)
SELECT
    view_id,
    user_id,
    video_id,
    time_ms,
    duration_ms,
    playing_time_ms,
    n_segments,
    skip_segment,
    coalesce(skip_segment, n_segments)::INTEGER AS target_slot,
    coalesce(skip_segment + 1, n_segments)::INTEGER AS watched_segments,
    full_watch
FROM labelled
ORDER BY view_id;
