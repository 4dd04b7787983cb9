-- Each segment has exactly one embedding, except segments of videos the embedding stage rejected
-- (listed in video_errors); no embedding points at a segment that does not exist.
-- passed: no segment without or with several embeddings, no orphan embedding.
WITH rejected AS (
    SELECT DISTINCT video_id FROM video_errors WHERE stage = 'segment_embeddings' AND video_id IS NOT NULL
),
per_segment AS (
    SELECT s.video_id, s.segment_idx, count(e.segment_idx) AS n_embeddings
    FROM segments AS s
    LEFT JOIN segment_embeddings AS e USING (video_id, segment_idx)
    WHERE s.video_id NOT IN (SELECT video_id FROM rejected)
    GROUP BY s.video_id, s.segment_idx
),
counts AS (
    SELECT
        count(*) AS segments_expected,
        count(*) FILTER (WHERE n_embeddings = 0) AS segments_without_embedding,
        count(*) FILTER (WHERE n_embeddings > 1) AS segments_with_several_embeddings,
        (SELECT count(*) FROM rejected) AS videos_rejected_at_embedding,
        (SELECT count(*) FROM segment_embeddings AS e
          WHERE NOT EXISTS (SELECT 1 FROM segments AS s
                            WHERE s.video_id = e.video_id AND s.segment_idx = e.segment_idx)) AS orphan_embeddings
    FROM per_segment
)
SELECT
    segments_without_embedding = 0 AND segments_with_several_embeddings = 0 AND orphan_embeddings = 0 AS passed,
    *
FROM counts;
