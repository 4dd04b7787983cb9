-- History tokens of each view: every viewed segment (skip segment included) of the user's earlier
-- views (user_histories, oldest first), keeping the $max_tokens most recent segments.
-- recency = 0 is the segment seen last; token_idx numbers the kept tokens oldest first;
-- left_here marks the segment where an earlier view ended without a full watch.
WITH wanted AS (
    SELECT h.view_id, h.history_view_ids, h.history_video_ids, h.history_watched_segments
    FROM user_histories AS h
    JOIN splits AS s USING (view_id)
    WHERE list_contains($splits, s.split)
),
past_views AS (
    SELECT
        view_id,
        unnest(history_view_ids) AS past_view_id,
        unnest(history_video_ids) AS video_id,
        unnest(history_watched_segments) AS watched,
        unnest(range(len(history_video_ids))) AS past_idx
    FROM wanted
),
tokens AS (
    SELECT
        p.view_id, p.past_idx, p.video_id, p.watched, coalesce(l.full_watch, true) AS full_watch,
        unnest(range(least(p.watched, 40))) AS segment_idx
    FROM past_views AS p
    LEFT JOIN skip_labels AS l ON l.view_id = p.past_view_id
),
ranked AS (
    SELECT
        view_id, video_id, segment_idx,
        segment_idx = watched - 1 AND NOT full_watch AS left_here,
        row_number() OVER (PARTITION BY view_id ORDER BY past_idx DESC, segment_idx DESC) - 1 AS recency
    FROM tokens
)
SELECT
    view_id,
    video_id,
    segment_idx,
    left_here,
    recency,
    count(*) OVER (PARTITION BY view_id) - 1 - recency AS token_idx
FROM ranked
WHERE recency < $max_tokens
