-- Every input row ends up exactly once in interactions (as view_id) or rejected_interactions.
WITH outcomes AS (
    SELECT view_id AS source_row FROM interactions
    UNION ALL
    SELECT source_row FROM rejected_interactions
),
per_row AS (
    SELECT r.source_row, count(o.source_row) AS times_seen
    FROM raw_interactions AS r
    LEFT JOIN outcomes AS o USING (source_row)
    GROUP BY r.source_row
)
SELECT
    (SELECT count(*) FROM raw_interactions) AS input_rows,
    (SELECT count(*) FROM interactions) AS accepted,
    (SELECT count(*) FROM rejected_interactions) AS rejected,
    (SELECT count(*) FROM per_row WHERE times_seen <> 1) AS rows_not_seen_once,
    (SELECT count(*) FROM outcomes WHERE source_row NOT IN (SELECT source_row FROM raw_interactions))
        AS rows_not_in_input;
