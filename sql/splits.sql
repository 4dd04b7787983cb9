-- Which views are prediction examples and where each goes: split in (train, valid, test).
--
-- Examples: every view in skip_labels, less full watches when NOT $keep_full_watches, and under
-- the published protocol less the users with fewer than $min_user_views views and each user's
-- first $history_only_views views (by time_ms, view_id), which stay history only.
--
-- protocol 'temporal' (default, SPEC 1): within each user, by time. Views sharing a timestamp (a
-- request batch) go together, to the split their batch's middle view would fall in without ties:
-- with the user's n examples ranked 0..n-1 by (time_ms, view_id) and a batch covering ranks
-- s..s+k-1, its middle rank m = s + (k-1)/2 goes to train if m < $train_fraction * n, else valid
-- if m < ($train_fraction + $valid_fraction) * n, else test. Without ties that is
-- ceil(0.8 n) train / ceil(0.9 n) - ceil(0.8 n) valid / the rest test, so a user with one or two
-- views is all train. No batch straddles two splits, and every train view of a user is no later
-- than their valid views, which are no later than their test views: no future leaks into train.
--
-- protocol 'published' (the paper's, for comparability): examples ranked within the user by a
-- reproducible pseudo-random key, md5_number_upper('<seed>:<view_id>'), which any md5 gives back
-- (Python: int.from_bytes(hashlib.md5(b'2024:17').digest()[:8], 'little')), then rank r of m goes to train if r < $train_fraction * m, valid if
-- r < ($train_fraction + $valid_fraction) * m, else test (81/9/10 by default). Time plays no part.
--
-- cold_video: for valid and test rows, the video occurs in no train row; FALSE for train rows.
-- Fractions are compared as DECIMAL so 0.8 * 10 is exactly 8.
CREATE OR REPLACE TABLE splits AS
WITH views AS (
    SELECT
        view_id,
        user_id,
        video_id,
        time_ms,
        full_watch,
        row_number() OVER (PARTITION BY user_id ORDER BY time_ms, view_id) - 1 AS user_rank,
        count(*) OVER (PARTITION BY user_id) AS user_views
    FROM skip_labels
),
examples AS (
    SELECT *
    FROM views
    WHERE ($keep_full_watches OR NOT full_watch)
      AND ($protocol = 'temporal'
           OR (user_views >= $min_user_views AND user_rank >= $history_only_views))
),
ranked AS (
    SELECT
        *,
        CASE
            WHEN $protocol = 'temporal'
                THEN row_number() OVER (PARTITION BY user_id ORDER BY time_ms, view_id) - 1
            ELSE row_number() OVER (
                PARTITION BY user_id
                ORDER BY md5_number_upper($seed::VARCHAR || ':' || view_id::VARCHAR), view_id
            ) - 1
        END AS example_rank,
        count(*) OVER (PARTITION BY user_id) AS n_examples
    FROM examples
),
positioned AS (
    SELECT
        *,
        -- Twice the middle rank of the view's batch (twice, to stay in integers).
        CASE
            WHEN $protocol = 'temporal'
                THEN 2 * min(example_rank) OVER (PARTITION BY user_id, time_ms)
                     + count(*) OVER (PARTITION BY user_id, time_ms) - 1
            ELSE 2 * example_rank
        END AS twice_position
    FROM ranked
),
assigned AS (
    SELECT
        view_id,
        user_id,
        video_id,
        CASE
            WHEN twice_position < 2 * $train_fraction::DECIMAL(18, 9) * n_examples THEN 'train'
            WHEN twice_position < 2 * ($train_fraction::DECIMAL(18, 9) + $valid_fraction::DECIMAL(18, 9))
                                    * n_examples THEN 'valid'
            ELSE 'test'
        END AS split
    FROM positioned
),
train_videos AS (
    SELECT DISTINCT video_id FROM assigned WHERE split = 'train'
)
SELECT
    a.view_id,
    a.user_id,
    a.video_id,
    a.split,
    (a.split <> 'train' AND t.video_id IS NULL) AS cold_video,
    $protocol AS protocol
FROM assigned AS a
LEFT JOIN train_videos AS t USING (video_id)
ORDER BY a.view_id;
