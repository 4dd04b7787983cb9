-- One row per readable, in-scope video: identity, stream facts, and the decoder that read it.
-- Rows come from the probe (seg_pipeline.video.inventory) as `videos_input` (warehouse.db.write_frame).
CREATE OR REPLACE TABLE videos AS
SELECT
    CAST(video_id AS VARCHAR) AS video_id,
    path,
    CAST(size_bytes AS BIGINT) AS size_bytes,
    content_hash,
    CAST(duration_ms AS BIGINT) / 1000.0 AS duration_s,
    CAST(duration_ms AS BIGINT) AS duration_ms,
    CAST(n_segments AS INTEGER) AS n_segments,
    CAST(fps AS DOUBLE) AS fps,
    CAST(width AS INTEGER) AS width,
    CAST(height AS INTEGER) AS height,
    CAST(n_frames AS INTEGER) AS n_frames,
    CAST(declared_frames AS INTEGER) AS declared_frames,
    codec,
    decoder,
    CAST($probed_at AS TIMESTAMP) AS probed_at
FROM videos_input
ORDER BY video_id;
