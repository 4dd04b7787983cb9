-- effective_view_buckets: a view for people: per duration bucket, its range, the train
-- median threshold and the positive rate per split (a rate of 0 flags a degenerate bucket,
-- e.g. a bucket whose train median is a full watch under the strict 'gt' rule).
CREATE OR REPLACE VIEW effective_view_buckets AS
SELECT
    bucket,
    min(bucket_lower_ms) AS lower_ms_exclusive,
    min(bucket_upper_ms) AS upper_ms_inclusive,
    min(threshold) FILTER (WHERE threshold_source = 'bucket') AS train_median_view_ratio,
    count(*) FILTER (WHERE split = 'train') AS train_views,
    count(*) FILTER (WHERE split = 'valid') AS valid_views,
    count(*) FILTER (WHERE split = 'test') AS test_views,
    avg(label) FILTER (WHERE split = 'train') AS train_positive_rate,
    avg(label) FILTER (WHERE split = 'valid') AS valid_positive_rate,
    avg(label) FILTER (WHERE split = 'test') AS test_positive_rate
FROM effective_views
GROUP BY bucket
ORDER BY bucket;
