-- segment_scores has one row per real segment of every test view ($split) for each trained
-- modality ($modalities).
WITH expected AS (
    SELECT coalesce(sum(l.n_segments), 0) AS n
    FROM skip_labels AS l JOIN splits AS s USING (view_id)
    WHERE s.split = $split
),
wanted AS (SELECT unnest(CAST($modalities AS VARCHAR[])) AS modality),
have AS (
    SELECT w.modality, count(sc.modality) AS n
    FROM wanted AS w LEFT JOIN segment_scores AS sc USING (modality)
    GROUP BY w.modality
)
SELECT
    count(*) FILTER (WHERE have.n <> expected.n) = 0 AS passed,
    any_value(expected.n) AS expected_rows_per_modality,
    count(*) AS modalities,
    coalesce(string_agg(have.modality || ': ' || have.n, ', ') FILTER (WHERE have.n <> expected.n), 'none')
        AS mismatched
FROM expected LEFT JOIN have ON true;
