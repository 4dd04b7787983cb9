-- Views the segment-interest model trains on or scores: skip labels joined with their split.
-- $splits: list of split names to read, e.g. ['train', 'valid'].
SELECT
    l.view_id,
    l.user_id,
    l.video_id,
    l.n_segments,
    l.target_slot,
    l.duration_ms,
    l.playing_time_ms,
    s.split,
    coalesce(s.cold_video, false) AS cold_video
FROM skip_labels AS l
JOIN splits AS s USING (view_id)
WHERE list_contains($splits, s.split)
ORDER BY l.view_id
