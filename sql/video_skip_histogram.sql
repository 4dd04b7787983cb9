-- For people: per video, how many views ended in each slot (target_slot = n_segments is a full
-- watch), and that count's share of the video's views. Long format: pivot as needed.
CREATE OR REPLACE VIEW video_skip_histogram AS
SELECT
    video_id,
    n_segments,
    target_slot,
    target_slot = n_segments AS full_watch,
    count(*) AS views,
    count(*) / sum(count(*)) OVER (PARTITION BY video_id) AS share_of_video_views
FROM skip_labels
GROUP BY video_id, n_segments, target_slot
ORDER BY video_id, n_segments, target_slot;
