-- The log's parsed rows exactly as read (temporary): every field as text, numbered 0, 1, ... in
-- file order among the rows the reader could parse. `log_mapped` is a temporary view the loader
-- (seg_pipeline/warehouse/logs.py) puts over the configured file with our column names. DuckDB keeps
-- insertion order (preserve_insertion_order is on by default), so row_number() OVER () follows the file.
CREATE OR REPLACE TEMP TABLE raw_log_rows AS
SELECT
    (row_number() OVER () - 1)::BIGINT AS parsed_row,
    user_id,
    video_id,
    time_ms,
    duration_ms,
    playing_time_ms,
    label_1d
FROM log_mapped;
