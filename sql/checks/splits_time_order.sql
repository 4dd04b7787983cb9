-- Temporal protocol only: users whose splits overlap in time (a train view at or after one of
-- their valid/test views, or a valid view at or after a test view). Must be 0.
WITH per_user AS (
    SELECT
        s.user_id,
        max(l.time_ms) FILTER (WHERE s.split = 'train') AS last_train,
        min(l.time_ms) FILTER (WHERE s.split IN ('valid', 'test')) AS first_later,
        max(l.time_ms) FILTER (WHERE s.split = 'valid') AS last_valid,
        min(l.time_ms) FILTER (WHERE s.split = 'test') AS first_test
    FROM splits AS s
    JOIN skip_labels AS l USING (view_id)
    WHERE s.protocol = 'temporal'
    GROUP BY s.user_id
),
counts AS (
    SELECT
        count(*) AS users,
        count(*) FILTER (WHERE last_train >= first_later OR last_valid >= first_test) AS users_overlapping
    FROM per_user
)
SELECT users_overlapping = 0 AS passed, * FROM counts;
