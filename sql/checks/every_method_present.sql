-- The model (every trained modality, $modalities) and each contract baseline ($baselines) have
-- every rank metric ($metrics) for every protocol ($protocols) on all test views.
WITH methods AS (
    SELECT unnest(CAST($baselines AS VARCHAR[])) AS method, $no_modality AS modality
    UNION ALL
    SELECT $model_method, unnest(CAST($modalities AS VARCHAR[]))
),
expected AS (
    SELECT method, modality, protocol, metric
    FROM methods,
         (SELECT unnest(CAST($protocols AS VARCHAR[])) AS protocol),
         (SELECT unnest(CAST($metrics AS VARCHAR[])) AS metric)
),
missing AS (
    SELECT * FROM expected
    EXCEPT
    SELECT method, modality, protocol, metric FROM skip_prediction_metrics WHERE subset = 'all'
)
SELECT
    (SELECT count(*) FROM missing) = 0 AS passed,
    (SELECT count(*) FROM methods) AS expected_methods,
    (SELECT count(*) FROM missing) AS missing_rows,
    coalesce((SELECT string_agg(concat_ws('/', method, modality, protocol, metric), ', ')
              FROM (SELECT * FROM missing ORDER BY ALL LIMIT 20)), 'none') AS missing;
