-- Video ids a log row may refer to when videos are present (temporary): the videos table.
CREATE OR REPLACE TEMP TABLE known_videos AS
SELECT DISTINCT CAST(video_id AS VARCHAR) AS video_id
FROM videos;
