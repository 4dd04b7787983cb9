-- History items that must not be there: the view itself, another user's view, a view at the same
-- time or later; items out of (time_ms, view_id) order; and histories longer than $history_length.
WITH items AS (
    SELECT
        h.view_id,
        h.user_id,
        unnest(h.history_view_ids) AS item_view_id,
        generate_subscripts(h.history_view_ids, 1) AS position
    FROM user_histories AS h
),
joined AS (
    SELECT
        i.*,
        v.time_ms AS view_time,
        p.user_id AS item_user,
        p.time_ms AS item_time,
        lag(p.time_ms) OVER (PARTITION BY i.view_id ORDER BY i.position) AS prev_time,
        lag(i.item_view_id) OVER (PARTITION BY i.view_id ORDER BY i.position) AS prev_view_id
    FROM items AS i
    JOIN skip_labels AS v ON v.view_id = i.view_id
    LEFT JOIN skip_labels AS p ON p.view_id = i.item_view_id
)
SELECT
    (SELECT count(*) FROM user_histories) AS views,
    (SELECT count(*) FROM user_histories WHERE len(history_view_ids) > $history_length
        OR len(history_video_ids) <> len(history_view_ids)
        OR len(history_watched_segments) <> len(history_view_ids)) AS bad_lengths,
    count(*) AS history_items,
    count(*) FILTER (WHERE item_view_id = view_id) AS self_items,
    count(*) FILTER (WHERE item_user IS DISTINCT FROM user_id) AS foreign_items,
    count(*) FILTER (WHERE item_time >= view_time) AS same_time_or_later_items,
    count(*) FILTER (WHERE prev_time > item_time OR (prev_time = item_time AND prev_view_id > item_view_id))
        AS out_of_order_items
FROM joined;
