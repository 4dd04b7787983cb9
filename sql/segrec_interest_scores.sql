-- segrec_interest_scores: the frozen per-segment scores SegRec's weights come from, one row per
-- (labelled view, source). source: 'ItemPosition' (the position prior) or a segment-interest
-- modality ('id', 'visual', 'both'). fold: for train views the fold (view_id % n_folds) whose
-- scores came from a prior / model fit WITHOUT that fold (out of fold, SPEC 7); -1 for valid and
-- test views, scored by the prior / checkpoint fit on every train view. scores: one value per
-- real segment, in segment order (lower = more likely to be skipped). Rows come from
-- segrec_interest_scores_input (write_frame), in one transaction with segrec_fold_settings.
CREATE OR REPLACE TABLE segrec_interest_scores AS
SELECT
    CAST(view_id AS BIGINT) AS view_id,
    CAST(source AS VARCHAR) AS source,
    CAST(fold AS INTEGER) AS fold,
    CAST(scores AS FLOAT[]) AS scores,
    $dagster_run_id AS dagster_run_id
FROM segrec_interest_scores_input
ORDER BY source, view_id;
