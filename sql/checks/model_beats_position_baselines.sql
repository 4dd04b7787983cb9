-- Warns when no trained modality beats the best position baseline on HR@1 and NDCG@5 (primary
-- protocol, all test views). Margins: best model minus best baseline (NULL without either).
WITH primary_all AS (
    SELECT method, modality, metric, value
    FROM skip_prediction_metrics
    WHERE protocol = 'segments_end' AND subset = 'all' AND metric IN ('HR@1', 'NDCG@5')
),
margins AS (
    SELECT
        max(value) FILTER (WHERE method = $model_method AND metric = 'HR@1')
          - max(value) FILTER (WHERE modality = $no_modality AND method <> 'Random' AND metric = 'HR@1') AS hr1,
        max(value) FILTER (WHERE method = $model_method AND metric = 'NDCG@5')
          - max(value) FILTER (WHERE modality = $no_modality AND method <> 'Random' AND metric = 'NDCG@5') AS ndcg5
    FROM primary_all
)
SELECT coalesce(hr1 > 0 AND ndcg5 > 0, false) AS passed, hr1 AS "margin_HR@1", ndcg5 AS "margin_NDCG@5"
FROM margins;
