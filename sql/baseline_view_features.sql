-- Per-view tabular statistics for the learned skip baselines and the model's side inputs (issue 10).
-- One row per example view (skip_labels joined with splits), in view_id order.
--
-- Splits are ranked train = 0 < valid = 1 < test = 2. A view of rank k sees the label statistics of
-- the views of rank < k; a train view sees the other train views (leave-one-out: its own label is
-- subtracted). So valid views see train, test views see the fit splits ($fit_splits, train + valid
-- by default: the same information the position priors use), and no view ever sees its own label
-- or a label of a later split. Train and valid rows do not depend on $fit_splits.
--   video_*: the video's statistics over those views (video_views = how many).
--   user_*:  the user's strictly earlier views (user_histories), less any history view of a later
--            split than the example (only possible under the 'published' protocol).
-- first_skip = left in segment 0 without a full watch; watched_frac = watched_segments / n_segments.
WITH lab AS (
    SELECT l.view_id, l.user_id, l.video_id, l.n_segments, l.duration_ms, l.target_slot,
           l.watched_segments, l.full_watch, s.split,
           CASE s.split WHEN 'train' THEN 0 WHEN 'valid' THEN 1 ELSE 2 END AS k,
           (l.target_slot = 0 AND NOT l.full_watch)::INTEGER AS first_skip,
           l.full_watch::INTEGER AS is_full,
           l.watched_segments::DOUBLE / l.n_segments AS watched_frac
    FROM skip_labels AS l
    JOIN splits AS s USING (view_id)
),
per_video AS (
    SELECT video_id, k, count(*) AS n, sum(first_skip) AS first_skips, sum(is_full) AS fulls,
           sum(watched_frac) AS frac_sum
    FROM lab
    GROUP BY video_id, k
),
video_stats AS (
    SELECT l.view_id,
           coalesce(sum(v.n), 0) - CASE WHEN l.k = 0 THEN 1 ELSE 0 END AS video_views,
           coalesce(sum(v.first_skips), 0) - CASE WHEN l.k = 0 THEN l.first_skip ELSE 0 END AS video_first_skips,
           coalesce(sum(v.fulls), 0) - CASE WHEN l.k = 0 THEN l.is_full ELSE 0 END AS video_fulls,
           coalesce(sum(v.frac_sum), 0) - CASE WHEN l.k = 0 THEN l.watched_frac ELSE 0 END AS video_frac_sum
    FROM lab AS l
    LEFT JOIN per_video AS v ON v.video_id = l.video_id
        AND (v.k < l.k OR (l.k = 0 AND v.k = 0))
        AND (l.k < 2 OR list_contains($fit_splits, CASE v.k WHEN 0 THEN 'train' WHEN 1 THEN 'valid' END))
    GROUP BY l.view_id, l.k, l.first_skip, l.is_full, l.watched_frac
),
history AS (
    SELECT h.view_id, unnest(h.history_view_ids) AS past_view_id
    FROM user_histories AS h
),
user_stats AS (
    SELECT e.view_id,
           count(p.view_id) AS user_views,
           coalesce(sum(p.target_slot = 0 AND NOT p.full_watch), 0) AS user_first_skips,
           coalesce(sum(p.full_watch::INTEGER), 0) AS user_fulls,
           coalesce(sum(p.watched_segments::DOUBLE / p.n_segments), 0) AS user_frac_sum
    FROM lab AS e
    JOIN history AS h USING (view_id)
    JOIN skip_labels AS p ON p.view_id = h.past_view_id
    LEFT JOIN splits AS ps ON ps.view_id = h.past_view_id
    WHERE ps.split IS NULL
       OR (CASE ps.split WHEN 'train' THEN 0 WHEN 'valid' THEN 1 ELSE 2 END) <= e.k
    GROUP BY e.view_id
)
SELECT l.view_id, CAST(l.user_id AS VARCHAR) AS user_id, CAST(l.video_id AS VARCHAR) AS video_id,
       l.split, l.n_segments, l.duration_ms, l.target_slot, l.full_watch,
       v.video_views, v.video_first_skips, v.video_fulls, v.video_frac_sum,
       coalesce(u.user_views, 0) AS user_views, coalesce(u.user_first_skips, 0) AS user_first_skips,
       coalesce(u.user_fulls, 0) AS user_fulls, coalesce(u.user_frac_sum, 0) AS user_frac_sum
FROM lab AS l
JOIN video_stats AS v USING (view_id)
LEFT JOIN user_stats AS u USING (view_id)
ORDER BY l.view_id;
