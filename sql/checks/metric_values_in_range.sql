-- skip_prediction_metrics holds sane values: HR@K / NDCG@K in [0, 1], MAE >= 0, rank
-- correlations in [-1, 1], no NaN or NULL; and at least one row.
WITH bad AS (
    SELECT method, modality, protocol, subset, metric, value
    FROM skip_prediction_metrics
    WHERE value IS NULL OR isnan(value)
       OR ((metric LIKE 'HR@%' OR metric LIKE 'NDCG@%') AND (value < 0 OR value > 1))
       OR (metric LIKE 'MAE%' AND value < 0)
       OR (metric LIKE 'spearman%' AND (value < -1 OR value > 1))
)
SELECT
    (SELECT count(*) FROM bad) = 0 AND (SELECT count(*) FROM skip_prediction_metrics) > 0 AS passed,
    (SELECT count(*) FROM skip_prediction_metrics) AS "rows",
    (SELECT count(*) FROM bad) AS out_of_range,
    coalesce((SELECT string_agg(concat_ws('/', method, modality, protocol, subset, metric) || ' = ' || value, '; ')
              FROM (SELECT * FROM bad ORDER BY ALL LIMIT 10)), 'none') AS examples;
