-- effective_views: one row per split view with its effective-view label (SPEC 5).
-- Videos fall into $n_buckets duration buckets whose edges are equal-frequency quantiles
-- (quantile_disc, so every edge is a real train duration) of duration_ms over TRAIN views;
-- bucket k covers (edge_k, edge_{k+1}] and the outer buckets are open-ended.
-- A view is positive when its view ratio (playing / duration, capped at 1) exceeds the
-- median view ratio of its bucket, medians computed on TRAIN views only (SPEC 7: thresholds
-- over all splits leak test behaviour into train labels). $label_rule 'gt' (the paper's
-- "exceeds") or 'ge' (ties with the median count as positive: matters only where the median
-- is a full watch). A bucket without train views (possible only above the largest train
-- duration) falls back to the global train median; threshold_source says which was used.
-- Views without a train/valid/test split (e.g. history-only views of the published protocol)
-- are not labelled; the asset counts them.
CREATE OR REPLACE TABLE effective_views AS
WITH split_views AS (
    SELECT
        i.view_id,
        i.user_id,
        i.video_id,
        i.time_ms,
        i.duration_ms,
        i.playing_time_ms,
        i.n_segments,
        s.split,
        least(i.playing_time_ms::DOUBLE / i.duration_ms, 1.0) AS view_ratio
    FROM interactions AS i
    JOIN splits AS s USING (view_id)
    WHERE s.split IN ('train', 'valid', 'test')
),
edges AS (
    SELECT quantile_disc(
               duration_ms,
               list_transform(range(1, $n_buckets), lambda k: k / $n_buckets)
           ) AS upper
    FROM split_views
    WHERE split = 'train'
),
bucketed AS (
    SELECT
        v.*,
        len(list_filter(e.upper, lambda x: x < v.duration_ms)) AS bucket,
        e.upper
    FROM split_views AS v, edges AS e
),
bucket_medians AS (
    SELECT bucket, median(view_ratio) AS bucket_median
    FROM bucketed
    WHERE split = 'train'
    GROUP BY bucket
),
global_median AS (
    SELECT median(view_ratio) AS global_median FROM split_views WHERE split = 'train'
),
thresholded AS (
    SELECT
        b.*,
        coalesce(m.bucket_median, g.global_median) AS threshold,
        CASE WHEN m.bucket_median IS NULL THEN 'global' ELSE 'bucket' END AS threshold_source
    FROM bucketed AS b
    LEFT JOIN bucket_medians AS m USING (bucket)
    CROSS JOIN global_median AS g
)
SELECT
    view_id,
    user_id,
    video_id,
    time_ms,
    duration_ms,
    playing_time_ms,
    n_segments,
    split,
    bucket::INTEGER AS bucket,
    CASE WHEN bucket > 0 THEN upper[bucket] END AS bucket_lower_ms,
    CASE WHEN bucket < len(upper) THEN upper[bucket + 1] END AS bucket_upper_ms,
    view_ratio,
    threshold,
    threshold_source,
    (CASE WHEN $label_rule = 'ge' THEN view_ratio >= threshold
          ELSE view_ratio > threshold END)::INTEGER AS label
FROM thresholded
ORDER BY view_id;
