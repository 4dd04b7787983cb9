-- Per-slot leave counts that the position baselines rank by (SPEC 4), from the fit splits only
-- (train + valid by default, never test). One row per (prior, group_key, slot) with skips > 0.
-- prior: 'all' (group_key ''), 'user_id', 'video_id', 'n_segments' (the video's segment count).
-- slot: the view's target slot, i.e. the skip segment, or n_segments for a full watch (end slot).
-- views: how many fit views the group has, so skips / views is the group's leave frequency.
CREATE OR REPLACE TABLE position_priors AS
WITH fit AS (
    SELECT l.view_id, l.user_id, l.video_id, l.n_segments, l.target_slot
    FROM skip_labels AS l
    JOIN splits AS s USING (view_id)
    WHERE list_contains($fit_splits, s.split)
),
keyed AS (
    SELECT 'all' AS prior, '' AS group_key, target_slot FROM fit
    UNION ALL
    SELECT 'user_id', CAST(user_id AS VARCHAR), target_slot FROM fit
    UNION ALL
    SELECT 'video_id', CAST(video_id AS VARCHAR), target_slot FROM fit
    UNION ALL
    SELECT 'n_segments', CAST(n_segments AS VARCHAR), target_slot FROM fit
),
counted AS (
    SELECT prior, group_key, CAST(target_slot AS INTEGER) AS slot, count(*) AS skips
    FROM keyed
    GROUP BY prior, group_key, target_slot
)
SELECT prior, group_key, slot, skips,
       sum(skips) OVER (PARTITION BY prior, group_key) AS views
FROM counted
ORDER BY prior, group_key, slot;
