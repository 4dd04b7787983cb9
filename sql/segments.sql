-- 5-s segments of every video (SPEC 1: N = ceil(duration_ms / SEGMENT_MS)) and the frames sampled for
-- each; rows come from seg_pipeline.video.segments as `segments_input` (warehouse.db.write_frame).
CREATE OR REPLACE TABLE segments AS
SELECT
    CAST(p.video_id AS VARCHAR) AS video_id,
    CAST(p.segment_idx AS INTEGER) AS segment_idx,
    CAST(p.start_s AS DOUBLE) AS start_s,
    CAST(p.end_s AS DOUBLE) AS end_s,
    CAST(p.frame_indices AS INTEGER[]) AS frame_indices,
    CAST($frames_per_segment AS INTEGER) AS frames_per_segment
FROM segments_input AS p
ORDER BY video_id, segment_idx;
