-- The (user, video) pairs the downstream assets work on: the first $limit views of split $split
-- by view_id, with the time each happened (the history cut-off when scoring it).
SELECT l.view_id, l.user_id, l.video_id, l.time_ms
FROM splits AS s
JOIN skip_labels AS l USING (view_id)
WHERE s.split = $split
ORDER BY l.view_id
LIMIT $limit
