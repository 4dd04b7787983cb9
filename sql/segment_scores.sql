-- Scores of every real segment of every test view, per trained model modality, for people to
-- query. Input: the registered frame segment_scores_input. score ranks the skip slots (lower =
-- likelier to leave there; what HR/NDCG use); interest is the model's per-segment interest p (the
-- logit of watching on past the segment under the survival loss; equal to score for other losses),
-- what thumbnails and editing suggestions rank by.
-- The end slot (slot n_segments, "watched to the end") is not a segment and gets no row; its score
-- is repeated on every row of the view as end_slot_score. leave_probability is
-- P(leave in this segment) over slots 0..n_segments (softmax of negated scores, SPEC 4). With several
-- trained seeds of a modality, the rows are its first (lowest) seed's.
CREATE OR REPLACE TABLE segment_scores AS
SELECT CAST(user_id AS VARCHAR) AS user_id,
       CAST(video_id AS VARCHAR) AS video_id,
       CAST(view_id AS BIGINT) AS view_id,
       CAST(segment_idx AS INTEGER) AS segment_idx,
       CAST(score AS DOUBLE) AS score,
       CAST(interest AS DOUBLE) AS interest,
       CAST(modality AS VARCHAR) AS modality,
       CAST(leave_probability AS DOUBLE) AS leave_probability,
       CAST(end_slot_score AS DOUBLE) AS end_slot_score,
       CAST(n_segments AS INTEGER) AS n_segments,
       CAST($mlflow_run_id AS VARCHAR) AS mlflow_run_id
FROM segment_scores_input
ORDER BY modality, view_id, segment_idx;
