-- The log's parsed rows exactly as read (temporary): every field as text, numbered 0, 1, ... in
-- file order among the rows the reader could parse. `log_mapped` is a temporary view the loader
-- (seg_pipeline/warehouse/logs.py) puts over the configured file with our column names. DuckDB keeps
-- insertion order (preserve_insertion_order is on by default), so row_number() OVER () follows the file.
-- The columns are raw_interactions' own: when every line parsed, this table simply becomes
-- raw_interactions (source_row = parsed_row); otherwise sql/raw_interactions.sql merges in the
-- malformed lines.
CREATE OR REPLACE TEMP TABLE raw_log_rows AS
SELECT
    (row_number() OVER () - 1)::BIGINT AS source_row,
    CASE WHEN $is_csv THEN row_number() OVER () + 1 END::BIGINT AS line,
    user_id,
    video_id,
    time_ms,
    duration_ms,
    playing_time_ms,
    label_1d,
    NULL::VARCHAR AS malformed_reason,
    NULL::VARCHAR AS malformed_detail,
    NULL::VARCHAR AS raw_line
FROM log_mapped;
