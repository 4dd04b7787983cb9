-- segrec_summary: a view for people: mean and spread over seeds per (backbone, variant, metric).
CREATE OR REPLACE VIEW segrec_summary AS
SELECT
    backbone,
    variant,
    metric,
    avg(value) AS mean,
    coalesce(stddev_samp(value), 0) AS std,
    min(value) AS min,
    max(value) AS max,
    count(*) AS seeds
FROM segrec_metrics
GROUP BY backbone, variant, metric
ORDER BY backbone, metric, variant;
