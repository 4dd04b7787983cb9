-- The input log when some CSV lines could not be parsed (temporary: it lives only while interactions
-- are built; when every line parsed, raw_log_rows is used as it is). Parsed rows and malformed lines
-- are merged in file order and numbered 0..input-1 as source_row, which becomes the view_id of an
-- accepted row (stable for the same input): a parsed row's source_row is its parsed position plus
-- the malformed lines before it; a malformed line keeps its reader line number and problem. `line`
-- is the 1-based line in the CSV file (header = line 1); for parsed rows it assumes one line per
-- record. Nothing here is lost: accepted rows go to interactions (typed), the others to
-- rejected_interactions (as text), SegMM's label_1D to source_labels.
CREATE OR REPLACE TEMP TABLE raw_interactions AS
WITH shifts AS (
    -- per good_before, how many malformed lines come before a parsed row at that position or later
    SELECT good_before, max(nth) + 1 AS lines_before FROM malformed_lines GROUP BY good_before
)
SELECT
    (r.source_row + coalesce(s.lines_before, 0))::BIGINT AS source_row,
    (r.source_row + coalesce(s.lines_before, 0) + 2)::BIGINT AS line,
    r.user_id, r.video_id, r.time_ms, r.duration_ms, r.playing_time_ms, r.label_1d,
    NULL::VARCHAR AS malformed_reason,
    NULL::VARCHAR AS malformed_detail,
    NULL::VARCHAR AS raw_line
FROM raw_log_rows AS r
ASOF LEFT JOIN shifts AS s ON r.source_row >= s.good_before
UNION ALL
SELECT
    (good_before + nth)::BIGINT,
    line,
    NULL, NULL, NULL, NULL, NULL, NULL,
    reason,
    problem,
    raw_line
FROM malformed_lines;
