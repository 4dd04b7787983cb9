-- The input log (temporary: it lives only while interactions are built): parsed rows and malformed
-- lines merged in file order and numbered 0..input-1 as source_row, which becomes the view_id of an
-- accepted row (stable for the same input). A parsed row's source_row is its parsed position plus
-- the malformed lines before it; a malformed line keeps its reader line number and problem. `line`
-- is the 1-based line in a CSV file (header = line 1; NULL for Parquet); for parsed rows it assumes
-- one line per record. Nothing here is lost: accepted rows go to interactions (typed), the others to
-- rejected_interactions (as text), SegMM's label_1D to source_labels.
CREATE OR REPLACE TEMP TABLE raw_interactions AS
WITH shifts AS (
    -- per good_before, how many malformed lines come before a parsed row at that position or later
    SELECT good_before, max(nth) + 1 AS lines_before FROM malformed_lines GROUP BY good_before
),
parsed AS (
    SELECT
        r.parsed_row + coalesce(s.lines_before, 0) AS source_row,
        r.user_id, r.video_id, r.time_ms, r.duration_ms, r.playing_time_ms, r.label_1d,
        NULL::VARCHAR AS malformed_reason,
        NULL::VARCHAR AS malformed_detail,
        NULL::VARCHAR AS raw_line
    FROM raw_log_rows AS r
    ASOF LEFT JOIN shifts AS s ON r.parsed_row >= s.good_before
)
SELECT
    source_row::BIGINT AS source_row,
    CASE WHEN $is_csv THEN source_row + 2 END::BIGINT AS line,
    user_id, video_id, time_ms, duration_ms, playing_time_ms, label_1d,
    malformed_reason, malformed_detail, raw_line
FROM parsed
UNION ALL
SELECT
    (good_before + nth)::BIGINT AS source_row,
    line,
    NULL, NULL, NULL, NULL, NULL, NULL,
    reason,
    problem,
    raw_line
FROM malformed_lines
ORDER BY source_row;
