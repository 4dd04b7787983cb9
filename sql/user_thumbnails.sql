-- One personalised thumbnail per (user, video) pair of the batch: the middle frame of the segment
-- with the highest predicted interest for that user (seg_pipeline.apply.thumbnails), written as an
-- image file under $SEG_PIPELINE_HOME/outputs/thumbnails/. Input: the registered frame
-- user_thumbnails_input. fallback = 'history-free' when the user had no history to score with.
CREATE OR REPLACE TABLE user_thumbnails AS
SELECT
    CAST(view_id AS BIGINT) AS view_id,
    CAST(user_id AS VARCHAR) AS user_id,
    CAST(video_id AS VARCHAR) AS video_id,
    CAST(segment_idx AS INTEGER) AS segment_idx,
    CAST(start_s AS DOUBLE) AS start_s,
    CAST(end_s AS DOUBLE) AS end_s,
    CAST(frame_index AS INTEGER) AS frame_index,
    CAST(time_s AS DOUBLE) AS time_s,
    CAST(score AS DOUBLE) AS score,
    CAST(path AS VARCHAR) AS path,
    CAST(width AS INTEGER) AS width,
    CAST(height AS INTEGER) AS height,
    CAST(history_views AS INTEGER) AS history_views,
    CAST(fallback AS VARCHAR) AS fallback,
    CAST(modality AS VARCHAR) AS modality,
    CAST(mlflow_run_id AS VARCHAR) AS mlflow_run_id
FROM user_thumbnails_input
ORDER BY view_id;
