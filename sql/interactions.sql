-- Validated views, typed. view_id is the row's 0-based position in the input log (stable for the
-- same input; rejected rows leave gaps). n_segments = ceil(duration / $segment_ms) (SPEC 1: 5 s).
CREATE OR REPLACE TABLE interactions AS
SELECT
    source_row AS view_id,
    user_key AS user_id,
    video_key AS video_id,
    time_value AS time_ms,
    duration_value AS duration_ms,
    playing_value AS playing_time_ms,
    ((duration_value + $segment_ms - 1) // $segment_ms)::INTEGER AS n_segments
FROM interaction_validation
WHERE reason IS NULL
ORDER BY view_id;
