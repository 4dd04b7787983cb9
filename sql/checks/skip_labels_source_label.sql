-- Where the log carries SegMM's label_1D (1 watched, 0 left here, -1 not reached), compare it with
-- the vector our skip label implies, element by element.
WITH source AS (
    SELECT
        l.view_id,
        l.skip_segment,
        l.target_slot,
        l.n_segments,
        list_transform(
            string_split(trim(regexp_replace(r.label_1d, '[\[\]\s,]+', ' ', 'g')), ' '),
            lambda x: TRY_CAST(x AS INTEGER)
        ) AS given
    FROM skip_labels AS l
    JOIN source_labels AS r ON r.source_row = l.view_id
),
compared AS (
    SELECT
        view_id,
        given,
        list_transform(
            range(n_segments),
            lambda i: CASE WHEN i < target_slot THEN 1 WHEN i = skip_segment THEN 0 ELSE -1 END
        ) AS ours
    FROM source
),
counts AS (
    SELECT
        count(*) AS views_with_source_label,
        count(*) FILTER (WHERE given = ours) AS matching,
        min(view_id) FILTER (WHERE given IS DISTINCT FROM ours) AS first_mismatch_view_id
    FROM compared
)
-- passed: every label the log carries matches ours (also when the log carries none).
SELECT matching = views_with_source_label AS passed, * FROM counts;
