-- Per view, the user's $history_length most recent views with a strictly smaller time_ms, oldest
-- first, each with the number of segments it showed (skip segment included): what the model may
-- know about the user at the moment of the view, and nothing from that moment or later.
--
-- How: the user's views sharing a timestamp (a SegMM request batch) form one batch, its items in
-- view_id order; every view of a batch has the same history: the last $history_length items of
-- the user's earlier batches. Number the user's items 0, 1, ... in (time_ms, view_id) order; a
-- batch covers items first_item..last_item. One window pass over batches (fewer rows than views)
-- gathers the earlier batches whose last item is at least first_item - $history_length, i.e.
-- exactly those holding one of the wanted items (a RANGE frame on last_item whose offset depends
-- on the batch's size), and list_slice keeps the most recent $history_length. Same-time views
-- therefore never see each other; ties in time among history items keep view_id order.
CREATE OR REPLACE TABLE user_histories AS
WITH batches AS (
    SELECT
        user_id,
        time_ms,
        count(*) AS size,
        list(view_id ORDER BY view_id) AS members,
        list({'view_id': view_id, 'video_id': video_id, 'watched': watched_segments} ORDER BY view_id) AS items
    FROM skip_labels
    GROUP BY user_id, time_ms
),
numbered AS (
    SELECT
        *,
        sum(size) OVER (PARTITION BY user_id ORDER BY time_ms ROWS UNBOUNDED PRECEDING) - 1 AS last_item
    FROM batches
),
earlier AS (
    SELECT
        user_id,
        members,
        -- last_item - (size - 1 + H) = first_item - H: batches ending in [first_item - H, first_item - 1].
        list(items) OVER (
            PARTITION BY user_id ORDER BY last_item
            RANGE BETWEEN (size - 1 + $history_length) PRECEDING AND 1 PRECEDING
        ) AS earlier_batches
    FROM numbered
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
