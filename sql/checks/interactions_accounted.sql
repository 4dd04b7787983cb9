-- Every input row ends up exactly once in interactions (as view_id) or rejected_interactions:
-- the two hold input_rows distinct row numbers in [0, input_rows) between them.
-- passed: input_rows = accepted + rejected = distinct_rows, and no row number outside the input.
WITH outcomes AS (
    SELECT view_id AS source_row FROM interactions
    UNION ALL
    SELECT source_row FROM rejected_interactions
),
counts AS (
    SELECT
        (SELECT input_rows FROM interaction_log) AS input_rows,
        (SELECT count(*) FROM interactions) AS accepted,
        (SELECT count(*) FROM rejected_interactions) AS rejected,
        count(DISTINCT source_row) AS distinct_rows,
        count(*) FILTER (WHERE source_row < 0 OR source_row >= (SELECT input_rows FROM interaction_log))
            AS rows_not_in_input
    FROM outcomes
)
SELECT
    coalesce(input_rows = accepted + rejected AND accepted + rejected = distinct_rows
             AND rows_not_in_input = 0, false) AS passed,
    *
FROM counts;
