-- A view over skip_prediction_metrics: per (method, modality, protocol, subset, metric) the mean
-- and sample standard deviation over the method's seeds (std NULL with one run) and how many runs
-- (n_seeds; a deterministic method has one run with seed NULL).
CREATE OR REPLACE VIEW skip_prediction_summary AS
SELECT method, modality, protocol, subset, metric,
       avg(value) AS mean,
       stddev_samp(value) AS std,
       count(*) AS n_seeds
FROM skip_prediction_metrics
GROUP BY method, modality, protocol, subset, metric
ORDER BY method, modality, protocol, subset, metric;
