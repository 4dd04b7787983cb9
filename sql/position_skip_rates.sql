-- For people: per segment position, how many views reached it and how many left in it.
-- skip_rate is the hazard (left here / reached here); share_of_skips spreads the views that left
-- before the end over positions. A view over skip_labels, so it is always current.
CREATE OR REPLACE VIEW position_skip_rates AS
WITH reached AS (
    SELECT unnest(range(watched_segments)) AS segment_idx, skip_segment
    FROM skip_labels
),
counted AS (
    SELECT
        segment_idx::INTEGER AS segment_idx,
        count(*) AS views_reaching,
        count(*) FILTER (WHERE skip_segment = segment_idx) AS views_skipping
    FROM reached
    GROUP BY segment_idx
)
SELECT
    segment_idx,
    views_reaching,
    views_skipping,
    views_skipping / views_reaching AS skip_rate,
    views_skipping / sum(views_skipping) OVER () AS share_of_skips
FROM counted
ORDER BY segment_idx;
