-- Durations of the requested videos ($video_ids) as the accepted log rows record them, for runs
-- without video files: the most frequent duration among the video's views (ties: the longer one,
-- so the choice is deterministic), with how many views carry it.
WITH counted AS (
    SELECT video_id, duration_ms, count(*) AS views
    FROM interactions
    WHERE list_contains($video_ids, video_id)
    GROUP BY video_id, duration_ms
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY video_id ORDER BY views DESC, duration_ms DESC) AS rk
    FROM counted
)
SELECT video_id, duration_ms, views
FROM ranked
WHERE rk = 1
ORDER BY video_id
