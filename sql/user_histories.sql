-- Per view, the user's $history_length most recent views with a strictly smaller time_ms, oldest
-- first, each with the number of segments it showed (skip segment included): what the model may
-- know about the user at the moment of the view, and nothing from that moment or later.
--
-- How: the user's views sharing a timestamp (a SegMM request batch) form one batch, its items in
-- view_id order. Every view of a batch has the same history: the items of the user's earlier
-- batches, the last $history_length of them. Since each batch holds at least one view, the
-- $history_length batches before it hold enough items; one window pass over batches (fewer rows
-- than views) gathers them, and list_slice keeps the most recent. Same-time views therefore never
-- see each other, and ties in time among history items keep view_id order.
CREATE OR REPLACE TABLE user_histories AS
WITH batches AS (
    SELECT
        user_id,
        time_ms,
        list(view_id ORDER BY view_id) AS members,
        list({'view_id': view_id, 'video_id': video_id, 'watched': watched_segments} ORDER BY view_id) AS items
    FROM skip_labels
    GROUP BY user_id, time_ms
),
earlier AS (
    SELECT
        user_id,
        members,
        list(items) OVER (
            PARTITION BY user_id ORDER BY time_ms
            ROWS BETWEEN $history_length PRECEDING AND 1 PRECEDING
        ) AS earlier_batches
    FROM batches
),
recent AS (
    SELECT
        user_id,
        members,
        coalesce(list_slice(flatten(earlier_batches), -$history_length, -1), []) AS history
    FROM earlier
)
-- Split the items into their three lists per batch (fewer rows than views), then one row per view.
-- No ORDER BY: sorting 1.6 M rows of lists would double the cost; readers order as they need.
SELECT
    unnest(members) AS view_id,
    user_id,
    history_view_ids,
    history_video_ids,
    history_watched_segments,
    len(history_view_ids)::INTEGER AS history_length
FROM (
    SELECT
        user_id,
        members,
        list_transform(history, lambda h: h.view_id) AS history_view_ids,
        list_transform(history, lambda h: h.video_id) AS history_video_ids,
        list_transform(history, lambda h: h.watched) AS history_watched_segments
    FROM recent
);
