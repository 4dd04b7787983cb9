-- One CLIP vector per (video, segment). `segment_embeddings_input` is the caller's scan of the
-- per-video Parquet cache files of the current encoder (one file per content hash); joining on the hash
-- gives every current video its vectors, duplicates of the same file included.
CREATE OR REPLACE TABLE segment_embeddings AS
SELECT
    v.video_id,
    e.segment_idx,
    e.embedding,
    e.model,
    e.weights,
    e.weights_fingerprint,
    e.frames_per_segment,
    e.content_hash
FROM segment_embeddings_input AS e
JOIN videos AS v ON v.content_hash = e.content_hash
ORDER BY v.video_id, e.segment_idx;
