-- Suggested cuts: contiguous runs of low-interest segments per (user, video) pair of the batch
-- (seg_pipeline.apply.edits: score <= the video's low_quantile quantile and < its median - margin,
-- at least min_segments long). leave_probability = predicted P(the viewer leaves inside the span).
-- A pair with no low-interest span has no row. Input: the registered frame editing_suggestions_input;
-- the rule's parameters are bound so each row says how it was found.
CREATE OR REPLACE TABLE editing_suggestions AS
SELECT
    CAST(view_id AS BIGINT) AS view_id,
    CAST(user_id AS VARCHAR) AS user_id,
    CAST(video_id AS VARCHAR) AS video_id,
    CAST(span_idx AS INTEGER) AS span_idx,
    CAST(first_segment AS INTEGER) AS first_segment,
    CAST(last_segment AS INTEGER) AS last_segment,
    CAST(start_s AS DOUBLE) AS start_s,
    CAST(end_s AS DOUBLE) AS end_s,
    CAST(seconds AS DOUBLE) AS seconds,
    CAST(mean_score AS DOUBLE) AS mean_score,
    CAST(leave_probability AS DOUBLE) AS leave_probability,
    CAST(n_segments AS INTEGER) AS n_segments,
    CAST(duration_s AS DOUBLE) AS duration_s,
    CAST(history_views AS INTEGER) AS history_views,
    CAST(fallback AS VARCHAR) AS fallback,
    CAST(modality AS VARCHAR) AS modality,
    CAST(mlflow_run_id AS VARCHAR) AS mlflow_run_id,
    CAST($low_quantile AS DOUBLE) AS low_quantile,
    CAST($margin AS DOUBLE) AS margin,
    CAST($min_segments AS INTEGER) AS min_segments
FROM editing_suggestions_input
ORDER BY view_id, span_idx;
