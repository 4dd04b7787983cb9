-- segrec_metrics: every (backbone, variant, seed) run has exactly the metrics AUC, F1 and logloss;
-- AUC and F1 lie in [0, 1] and logloss is finite and >= 0. NULL or NaN (e.g. an AUC on a one-class
-- test split) counts as out of range. (DuckDB orders NaN above every number, hence the isnan tests.)
WITH runs AS (
    SELECT
        backbone,
        variant,
        seed,
        count(*) AS metric_rows,
        count(DISTINCT metric) FILTER (WHERE metric IN ('AUC', 'F1', 'logloss')) AS known_metrics
    FROM segrec_metrics
    GROUP BY backbone, variant, seed
),
bad AS (
    SELECT count(*) AS out_of_range
    FROM segrec_metrics
    WHERE value IS NULL OR isnan(value)
       OR (metric IN ('AUC', 'F1') AND (value < 0 OR value > 1))
       OR (metric = 'logloss' AND (value < 0 OR NOT isfinite(value)))
)
SELECT
    (SELECT count(*) FROM segrec_metrics) AS metric_rows,
    (SELECT count(*) FROM runs) AS runs,
    (SELECT count(*) FROM runs WHERE metric_rows <> 3 OR known_metrics <> 3) AS incomplete_runs,
    b.out_of_range,
    (SELECT count(*) FROM runs) > 0
        AND (SELECT count(*) FROM runs WHERE metric_rows <> 3 OR known_metrics <> 3) = 0
        AND b.out_of_range = 0 AS passed
FROM bad AS b;
