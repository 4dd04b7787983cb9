-- The input log exactly as read (temporary: it lives only while interactions are built): every
-- field as text, numbered by its 0-based row in the file. `log_mapped` is a temporary view the
-- loader (seg_pipeline/warehouse/logs.py) puts over the configured file with our column names.
-- DuckDB keeps insertion order (preserve_insertion_order is on by default), so row_number() OVER ()
-- follows the file; source_row becomes the view_id of an accepted row, stable for the same input.
-- Nothing here is lost: accepted rows go to interactions (typed), the others to
-- rejected_interactions (as text), SegMM's label_1D to source_labels.
CREATE OR REPLACE TEMP TABLE raw_interactions AS
SELECT
    (row_number() OVER () - 1)::BIGINT AS source_row,
    user_id,
    video_id,
    time_ms,
    duration_ms,
    playing_time_ms,
    label_1d
FROM log_mapped;
