-- Every input row ends up exactly once in interactions (as view_id) or rejected_interactions:
-- the two hold input_rows distinct row numbers in [0, input_rows) between them.
WITH outcomes AS (
    SELECT view_id AS source_row FROM interactions
    UNION ALL
    SELECT source_row FROM rejected_interactions
)
SELECT
    (SELECT input_rows FROM interaction_log) AS input_rows,
    (SELECT count(*) FROM interactions) AS accepted,
    (SELECT count(*) FROM rejected_interactions) AS rejected,
    count(DISTINCT source_row) AS distinct_rows,
    count(*) FILTER (WHERE source_row < 0 OR source_row >= (SELECT input_rows FROM interaction_log))
        AS rows_not_in_input
FROM outcomes;
