-- Warns unless the best model beats the best baseline (both chosen on valid) with the paired
-- bootstrap interval's lower bound above 0 for both HR@1 and NDCG@5 (skip_prediction_comparison).
-- A margin on noise is no win. No comparison rows (no model, no valid views): not passed.
WITH c AS (
    SELECT metric, difference, low, high, baseline, model_modality FROM skip_prediction_comparison
    WHERE metric IN ('HR@1', 'NDCG@5')
)
SELECT
    coalesce((SELECT count(*) FILTER (WHERE low > 0) = 2 AND count(*) = 2 FROM c), false) AS passed,
    (SELECT any_value(model_modality) FROM c) AS model_modality,
    (SELECT any_value(baseline) FROM c) AS baseline,
    (SELECT difference FROM c WHERE metric = 'HR@1') AS "difference_HR@1",
    (SELECT low FROM c WHERE metric = 'HR@1') AS "low_HR@1",
    (SELECT high FROM c WHERE metric = 'HR@1') AS "high_HR@1",
    (SELECT difference FROM c WHERE metric = 'NDCG@5') AS "difference_NDCG@5",
    (SELECT low FROM c WHERE metric = 'NDCG@5') AS "low_NDCG@5",
    (SELECT high FROM c WHERE metric = 'NDCG@5') AS "high_NDCG@5";
