-- effective_views: every train/valid/test view labelled exactly once with 0 or 1, and every
-- bucket threshold equal to the median view ratio of the bucket's TRAIN views (SPEC 7: thresholds
-- from valid/test would leak their behaviour into train labels). Views of a bucket without train
-- views use the global train median (threshold_source 'global') and are not compared here.
WITH counts AS (
    SELECT
        (SELECT count(*) FROM splits WHERE split IN ('train', 'valid', 'test')) AS split_views,
        count(*) AS labelled,
        count(DISTINCT view_id) AS distinct_views,
        count(*) FILTER (WHERE label IS NULL OR label NOT IN (0, 1)) AS non_binary_labels
    FROM effective_views
),
train_medians AS (
    SELECT bucket, median(view_ratio) AS median_ratio
    FROM effective_views
    WHERE split = 'train'
    GROUP BY bucket
),
mismatched AS (
    SELECT count(*) AS threshold_mismatches
    FROM effective_views AS e
    JOIN train_medians AS t USING (bucket)
    WHERE abs(e.threshold - t.median_ratio) > 1e-9
)
SELECT
    c.*,
    m.threshold_mismatches,
    c.labelled = c.split_views AND c.distinct_views = c.split_views AND c.non_binary_labels = 0
        AND m.threshold_mismatches = 0 AS passed
FROM counts AS c, mismatched AS m;
