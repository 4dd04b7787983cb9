-- A query, not a table: the views of one split (the test split for the report) with what the
-- skip-prediction evaluation needs, in view_id order so every method's score rows align.
SELECT l.view_id, CAST(l.user_id AS VARCHAR) AS user_id, CAST(l.video_id AS VARCHAR) AS video_id,
       l.duration_ms, l.playing_time_ms, l.n_segments, l.skip_segment, l.target_slot, l.full_watch,
       s.cold_video
FROM skip_labels AS l
JOIN splits AS s USING (view_id)
WHERE s.split = $split
ORDER BY l.view_id;
