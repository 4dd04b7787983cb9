-- The input log exactly as read: every field as text, numbered by its 0-based row in the file.
-- `log_mapped` is a temporary view the loader (seg_pipeline/warehouse/logs.py) puts over the
-- configured file with our column names. DuckDB keeps insertion order (preserve_insertion_order
-- is on by default), so row_number() OVER () follows the file; source_row becomes the view_id of
-- an accepted row, which is therefore stable for the same input.
CREATE OR REPLACE TABLE raw_interactions AS
SELECT
    (row_number() OVER () - 1)::BIGINT AS source_row,
    user_id,
    video_id,
    time_ms,
    duration_ms,
    playing_time_ms,
    label_1d
FROM log_mapped;
