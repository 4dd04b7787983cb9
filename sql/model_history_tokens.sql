-- History tokens of each request in the registered relation history_requests (request_id, view_id,
-- user_id, before_ms): the one statement behind the model's training inputs and one-off scoring,
-- so the two cannot drift apart.
--   * A logged view (view_id set) takes its user_histories row: the history it trains and is
--     evaluated with.
--   * Any other (user, moment) pair: the user's views sharing the latest time_ms strictly before
--     before_ms (NULL = after the whole log) form its anchor batch. The members of a batch share one
--     user_histories row, so the pair's history is the last $history_length views of that row followed
--     by the anchor's own views (view_id order): the row user_histories would hold for a view logged
--     at before_ms. A user without a view before the moment has no history.
-- Each past view contributes its viewed segments (skip segment included, at most $max_segments),
-- keeping the $max_tokens most recent. recency = 0 is the segment seen last; token_idx numbers the
-- kept tokens oldest first; left_here marks the segment where an earlier view ended without a full
-- watch; history_views counts the request's past views (before the token cut).
-- A logged view's earlier views that are examples of a LATER split than its own (train < valid <
-- test; possible only under the 'published' protocol, whose splits ignore time) are left out: their
-- tokens would carry a test view's leave position into a train example (issue 10: 5,087 of 5,987
-- SegMM train examples). Under 'temporal' every earlier view is in the same or an earlier split.
WITH requests AS (
    SELECT
        CAST(request_id AS BIGINT) AS request_id,
        CAST(view_id AS BIGINT) AS view_id,
        CAST(user_id AS VARCHAR) AS user_id,
        CAST(before_ms AS BIGINT) AS before_ms
    FROM history_requests
),
split_ranks AS (
    SELECT view_id, CASE split WHEN 'train' THEN 0 WHEN 'valid' THEN 1 ELSE 2 END AS split_rank
    FROM splits
),
logged AS (
    SELECT
        r.request_id,
        k.split_rank,
        h.history_view_ids AS view_ids,
        h.history_video_ids AS video_ids,
        h.history_watched_segments AS watched
    FROM requests AS r
    JOIN user_histories AS h ON h.view_id = r.view_id
    LEFT JOIN split_ranks AS k ON k.view_id = r.view_id
),
anchor_times AS (
    SELECT r.request_id, r.user_id, max(l.time_ms) AS time_ms
    FROM requests AS r
    JOIN skip_labels AS l ON l.user_id = r.user_id AND (r.before_ms IS NULL OR l.time_ms < r.before_ms)
    WHERE r.view_id IS NULL
    GROUP BY r.request_id, r.user_id
),
anchors AS (
    SELECT
        a.request_id,
        min(l.view_id) AS member,
        list(l.view_id ORDER BY l.view_id) AS view_ids,
        list(l.video_id ORDER BY l.view_id) AS video_ids,
        list(l.watched_segments ORDER BY l.view_id) AS watched
    FROM anchor_times AS a
    JOIN skip_labels AS l ON l.user_id = a.user_id AND l.time_ms = a.time_ms
    GROUP BY a.request_id
),
unlogged AS (
    SELECT
        a.request_id,
        NULL::INTEGER AS split_rank,
        list_slice(list_concat(h.history_view_ids, a.view_ids), -$history_length, -1) AS view_ids,
        list_slice(list_concat(h.history_video_ids, a.video_ids), -$history_length, -1) AS video_ids,
        list_slice(list_concat(h.history_watched_segments, a.watched), -$history_length, -1) AS watched
    FROM anchors AS a
    JOIN user_histories AS h ON h.view_id = a.member
),
histories AS (
    SELECT * FROM logged
    UNION ALL
    SELECT * FROM unlogged
),
past_views AS (
    SELECT
        request_id,
        split_rank,
        len(video_ids) AS history_views,
        unnest(view_ids) AS past_view_id,
        unnest(video_ids) AS video_id,
        unnest(watched) AS watched,
        unnest(range(len(video_ids))) AS past_idx
    FROM histories
),
tokens AS (
    SELECT
        p.request_id, p.history_views, p.past_idx, p.video_id, p.watched,
        coalesce(l.full_watch, true) AS full_watch,
        unnest(range(least(p.watched, $max_segments))) AS segment_idx
    FROM past_views AS p
    LEFT JOIN skip_labels AS l ON l.view_id = p.past_view_id
    LEFT JOIN split_ranks AS k ON k.view_id = p.past_view_id
    WHERE p.split_rank IS NULL OR k.split_rank IS NULL OR k.split_rank <= p.split_rank
),
ranked AS (
    SELECT
        request_id, history_views, video_id, segment_idx,
        segment_idx = watched - 1 AND NOT full_watch AS left_here,
        row_number() OVER (PARTITION BY request_id ORDER BY past_idx DESC, segment_idx DESC) - 1 AS recency
    FROM tokens
)
SELECT
    request_id,
    video_id,
    segment_idx,
    left_here,
    recency,
    count(*) OVER (PARTITION BY request_id) - 1 - recency AS token_idx,
    history_views
FROM ranked
WHERE recency < $max_tokens
