-- Every input row that was not accepted, with its raw fields as text and why (see
-- interaction_validation.sql for the reasons). Nothing leaves the log without a row here.
-- line: the 1-based line of a CSV log (header = 1; NULL for Parquet); raw_line: the line's text as
-- read, for lines the CSV reader could not split or decode (their fields are then NULL).
CREATE OR REPLACE TABLE rejected_interactions AS
SELECT
    source_row,
    line,
    raw_user_id AS user_id,
    raw_video_id AS video_id,
    raw_time_ms AS time_ms,
    raw_duration_ms AS duration_ms,
    raw_playing_time_ms AS playing_time_ms,
    reason,
    detail,
    raw_line
FROM interaction_validation
WHERE reason IS NOT NULL
ORDER BY source_row;
