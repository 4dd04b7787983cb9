-- History of each scoring request (registered relation apply_requests: request_idx, user_id,
-- before_ms): the user's $history_length most recent logged views with time_ms < before_ms (every
-- logged view when before_ms is NULL), ordered by (time_ms, view_id) like user_histories, so a
-- request at a logged view's own time gets exactly that view's history. `back` = 1 is the most
-- recent view; watched_segments counts the segments the view showed (skip segment included);
-- full_watch tells whether the view ended at the end slot (else it ended in its last watched segment).
WITH ranked AS (
    SELECT
        r.request_idx,
        l.view_id,
        l.video_id,
        l.watched_segments,
        l.full_watch,
        row_number() OVER (PARTITION BY r.request_idx ORDER BY l.time_ms DESC, l.view_id DESC) AS back
    FROM apply_requests AS r
    JOIN skip_labels AS l ON l.user_id = r.user_id
    WHERE r.before_ms IS NULL OR l.time_ms < r.before_ms
)
SELECT request_idx, view_id, video_id, watched_segments, full_watch, back
FROM ranked
WHERE back <= $history_length
ORDER BY request_idx, back DESC
