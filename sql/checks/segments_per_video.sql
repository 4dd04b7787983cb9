-- Every video has exactly N = ceil(duration_ms / $segment_ms) segments numbered 0..N-1, each with
-- frames_per_segment sampled frames inside the video; no segment belongs to an unknown video.
-- passed: no video with wrong segments, no segment with bad frames, no orphan segment.
WITH per_video AS (
    SELECT
        v.video_id,
        CAST(ceil(v.duration_ms / $segment_ms::DOUBLE) AS INTEGER) AS expected,
        count(s.segment_idx) AS actual,
        count(DISTINCT s.segment_idx) AS distinct_idx,
        min(s.segment_idx) AS first_idx,
        max(s.segment_idx) AS last_idx,
        count(*) FILTER (
            WHERE len(s.frame_indices) <> s.frames_per_segment
               OR list_min(s.frame_indices) < 0
               OR list_max(s.frame_indices) >= v.n_frames
        ) AS bad_frame_lists
    FROM videos AS v
    LEFT JOIN segments AS s USING (video_id)
    GROUP BY v.video_id, v.duration_ms
),
counts AS (
    SELECT
        count(*) AS videos,
        coalesce(sum(actual), 0) AS segments,
        count(*) FILTER (
            WHERE actual <> expected OR distinct_idx <> actual OR first_idx <> 0 OR last_idx <> expected - 1
        ) AS videos_with_wrong_segments,
        coalesce(sum(bad_frame_lists), 0) AS segments_with_bad_frames,
        (SELECT count(*) FROM segments WHERE video_id NOT IN (SELECT video_id FROM videos)) AS orphan_segments
    FROM per_video
)
SELECT
    videos_with_wrong_segments = 0 AND segments_with_bad_frames = 0 AND orphan_segments = 0 AS passed,
    *
FROM counts;
