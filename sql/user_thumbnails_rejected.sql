-- Pairs of the thumbnail batch that got no thumbnail, with the reason (unknown video, no readable
-- file, a frame that would not decode...). Input: the registered frame user_thumbnails_rejected_input.
CREATE OR REPLACE TABLE user_thumbnails_rejected AS
SELECT
    CAST(view_id AS BIGINT) AS view_id,
    CAST(user_id AS VARCHAR) AS user_id,
    CAST(video_id AS VARCHAR) AS video_id,
    CAST(reason AS VARCHAR) AS reason
FROM user_thumbnails_rejected_input
ORDER BY view_id;
