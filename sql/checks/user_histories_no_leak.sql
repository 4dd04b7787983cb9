-- History items that must not be there: the view itself, another user's view, a view at the same
-- time or later; histories longer than $history_length or with lists of unequal length; and items
-- out of (time_ms, view_id) order. The leak counts cover every item. The order count looks at
-- the views with view_id % $order_every = 0 (the caller picks $order_every so about 100,000 views
-- are looked at: sorting every item of a 1.6 M-view table would triple the check's cost).
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
        p.time_ms AS item_time
    FROM items AS i
    JOIN skip_labels AS v ON v.view_id = i.view_id
    LEFT JOIN skip_labels AS p ON p.view_id = i.item_view_id
),
ordered AS (
    SELECT
        item_view_id,
        item_time,
        lag(item_time) OVER (PARTITION BY view_id ORDER BY position) AS prev_time,
        lag(item_view_id) OVER (PARTITION BY view_id ORDER BY position) AS prev_view_id
    FROM joined
    WHERE view_id % $order_every = 0
)
SELECT
    (SELECT count(*) FROM user_histories) AS views,
    (SELECT count(*) FROM user_histories WHERE len(history_view_ids) > $history_length
        OR len(history_video_ids) <> len(history_view_ids)
        OR len(history_watched_segments) <> len(history_view_ids)) AS bad_lengths,
    (SELECT count(*) FROM joined) AS history_items,
    (SELECT count(*) FROM joined WHERE item_view_id = view_id) AS self_items,
    (SELECT count(*) FROM joined WHERE item_user IS DISTINCT FROM user_id) AS foreign_items,
    (SELECT count(*) FROM joined WHERE item_time >= view_time) AS same_time_or_later_items,
    (SELECT count(*) FROM ordered) AS order_checked_items,
    (SELECT count(*) FROM ordered
        WHERE prev_time > item_time OR (prev_time = item_time AND prev_view_id > item_view_id)) AS out_of_order_items;
