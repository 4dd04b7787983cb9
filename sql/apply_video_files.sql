-- Stream facts of the requested videos ($video_ids) from `videos`, for runs that have the files:
-- the duration gives the segment count, path / fps / n_frames / decoder locate thumbnail frames.
SELECT
    video_id,
    duration_ms,
    n_segments,
    path,
    fps,
    n_frames,
    decoder
FROM videos
WHERE list_contains($video_ids, video_id)
ORDER BY video_id
