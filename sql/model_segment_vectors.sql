-- Segment embeddings for the visual modality, one row per (video, segment), plus the encoder
-- that made them so a checkpoint can refuse vectors from a different encoder.
SELECT video_id, segment_idx, embedding, model, weights
FROM segment_embeddings
ORDER BY video_id, segment_idx
