-- Every trained model (one per (modality, seed)) ranks valid views better than Random: valid NDCG@5
-- above the Random floor measured on the same views (trained_models.valid_random_ndcg5). One
-- margin per modality: its worst seed's.
SELECT
    count(*) > 0 AND bool_and(valid_ndcg5 > valid_random_ndcg5) AS passed,
    count(DISTINCT modality) AS modalities,
    count(*) AS models,
    count(*) FILTER (WHERE NOT coalesce(valid_ndcg5 > valid_random_ndcg5, false)) AS not_above_random,
    min(valid_ndcg5 - valid_random_ndcg5) FILTER (WHERE modality = 'id') AS "id_margin_NDCG@5",
    min(valid_ndcg5 - valid_random_ndcg5) FILTER (WHERE modality = 'visual') AS "visual_margin_NDCG@5",
    min(valid_ndcg5 - valid_random_ndcg5) FILTER (WHERE modality = 'both') AS "both_margin_NDCG@5"
FROM trained_models;
