-- Per view, the user's $history_length most recent views with a strictly smaller time_ms, oldest
-- first, each with the number of segments it showed (skip segment included): what the model may
-- know about the user at the moment of the view, and nothing from that moment or later.
--
-- How: number each user's views by (time_ms, view_id). All views sharing a timestamp (a SegMM
-- request batch) form one batch; the batch's first view, in that order, is preceded by exactly the
-- user's earlier-time views, so the last $history_length rows before it are the history of every
-- view in the batch. One window pass builds those lists; a second hands them to the whole batch.
-- Ties in time among history items keep view_id order.
CREATE OR REPLACE TABLE user_histories AS
WITH ordered AS (
    SELECT
        view_id,
        user_id,
        video_id,
        time_ms,
        watched_segments,
        row_number() OVER (PARTITION BY user_id ORDER BY time_ms, view_id) AS user_rank
    FROM skip_labels
),
framed AS (
    SELECT
        view_id,
        user_id,
        time_ms,
        user_rank,
        list(view_id) OVER recent AS view_ids,
        list(video_id) OVER recent AS video_ids,
        list(watched_segments) OVER recent AS watched
    FROM ordered
    WINDOW recent AS (
        PARTITION BY user_id ORDER BY user_rank
        ROWS BETWEEN $history_length PRECEDING AND 1 PRECEDING
    )
),
batched AS (
    SELECT
        view_id,
        user_id,
        first_value(view_ids) OVER batch AS view_ids,
        first_value(video_ids) OVER batch AS video_ids,
        first_value(watched) OVER batch AS watched
    FROM framed
    WINDOW batch AS (PARTITION BY user_id, time_ms ORDER BY user_rank)
)
SELECT
    view_id,
    user_id,
    coalesce(view_ids, []::BIGINT[]) AS history_view_ids,
    coalesce(video_ids, []::VARCHAR[]) AS history_video_ids,
    coalesce(watched, []::INTEGER[]) AS history_watched_segments,
    coalesce(len(view_ids), 0)::INTEGER AS history_length
FROM batched
ORDER BY view_id;
