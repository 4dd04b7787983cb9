-- A query, not a table: the labelled views of some splits ($splits, a list) with what evaluation
-- and the baselines need, in view_id order so every method's score rows align. The report reads
-- the test split; the baselines fit on the fit splits (train + valid by default, never test).
SELECT l.view_id, CAST(l.user_id AS VARCHAR) AS user_id, CAST(l.video_id AS VARCHAR) AS video_id,
       l.time_ms, l.duration_ms, l.playing_time_ms, l.n_segments, l.skip_segment, l.target_slot,
       l.full_watch, s.split, s.cold_video
FROM skip_labels AS l
JOIN splits AS s USING (view_id)
WHERE list_contains($splits, s.split)
ORDER BY l.view_id;
