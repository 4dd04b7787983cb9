-- Pairs of the editing-suggestion batch that could not be scored, with the reason.
-- Input: the registered frame editing_suggestions_rejected_input.
CREATE OR REPLACE TABLE editing_suggestions_rejected AS
SELECT
    CAST(view_id AS BIGINT) AS view_id,
    CAST(user_id AS VARCHAR) AS user_id,
    CAST(video_id AS VARCHAR) AS video_id,
    CAST(reason AS VARCHAR) AS reason
FROM editing_suggestions_rejected_input
ORDER BY view_id;
