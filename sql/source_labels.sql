-- Per-view labels the log itself carries (SegMM's label_1D, as text), keyed by source_row = the
-- view_id of accepted rows, so skip_labels can be compared with them. Empty for other formats.
CREATE OR REPLACE TABLE source_labels AS
SELECT source_row, label_1d
FROM raw_interactions
WHERE label_1d IS NOT NULL
ORDER BY source_row;
