-- segrec_vs_video: each variant minus Video on the same backbone, seed and metric, then mean and
-- spread over seeds. Pairing by seed removes the noise the two runs share (same seed, same batch
-- order), so mean_delta / std_delta reads more sharply than comparing two means in segrec_summary.
-- For logloss a negative delta is the improvement.
CREATE OR REPLACE VIEW segrec_vs_video AS
SELECT
    m.backbone,
    m.variant,
    m.metric,
    avg(m.value - v.value) AS mean_delta,
    coalesce(stddev_samp(m.value - v.value), 0) AS std_delta,
    count(*) FILTER (WHERE m.value > v.value) AS seeds_above_video,
    count(*) AS paired_seeds
FROM segrec_metrics AS m
JOIN segrec_metrics AS v
  ON v.backbone = m.backbone AND v.seed = m.seed AND v.metric = m.metric AND v.variant = 'Video'
WHERE m.variant <> 'Video'
GROUP BY m.backbone, m.variant, m.metric
ORDER BY m.backbone, m.metric, m.variant;
