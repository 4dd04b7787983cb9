-- History items that must not be there: the view itself, another user's view, a view at the same
-- time or later; histories longer than the history_length they were built with (history_settings)
-- or with lists of unequal length; items out of (time_ms, view_id) order; and views without a
-- history row (completeness: user_histories holds one row per view of skip_labels, so an empty or
-- partial table fails). The leak counts cover every item. The order count looks at the views with
-- view_id % order_every = 0, order_every chosen so about 100,000 views are looked at (sorting every
-- item of a 1.6 M-view table would triple the check's cost).
-- passed: at least one view, every view has its row, and every bad count is 0.
WITH settings AS (
    SELECT
        (SELECT history_length FROM history_settings) AS history_length,
        greatest(1, (SELECT count(*) FROM user_histories) // 100000) AS order_every
),
items AS (
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
    FROM joined, settings
    WHERE view_id % settings.order_every = 0
),
counts AS (
    SELECT
        (SELECT count(*) FROM user_histories) AS views,
        (SELECT count(*) FROM skip_labels) AS labelled_views,
        (SELECT history_length FROM settings) AS history_length,
        (SELECT count(*) FROM user_histories, settings
            WHERE len(history_view_ids) > settings.history_length
            OR len(history_video_ids) <> len(history_view_ids)
            OR len(history_watched_segments) <> len(history_view_ids)) AS bad_lengths,
        (SELECT count(*) FROM joined) AS history_items,
        (SELECT count(*) FROM joined WHERE item_view_id = view_id) AS self_items,
        (SELECT count(*) FROM joined WHERE item_user IS DISTINCT FROM user_id) AS foreign_items,
        (SELECT count(*) FROM joined WHERE item_time >= view_time) AS same_time_or_later_items,
        (SELECT count(*) FROM ordered) AS order_checked_items,
        (SELECT count(*) FROM ordered
            WHERE prev_time > item_time OR (prev_time = item_time AND prev_view_id > item_view_id))
            AS out_of_order_items
)
SELECT
    coalesce(views > 0 AND views = labelled_views AND history_length IS NOT NULL AND bad_lengths = 0
             AND self_items = 0 AND foreign_items = 0 AND same_time_or_later_items = 0
             AND out_of_order_items = 0, false) AS passed,
    *
FROM counts;
