-- Embeddings are finite and of unit L2 norm (within $tolerance), from one encoder only.
WITH norms AS (
    SELECT sqrt(array_inner_product(embedding, embedding)) AS norm, model, weights, weights_fingerprint
    FROM segment_embeddings
)
SELECT
    count(*) AS embeddings,
    count(*) FILTER (WHERE isnan(norm) OR isinf(norm)) AS non_finite,
    count(*) FILTER (WHERE NOT (abs(norm - 1.0) <= $tolerance)) AS off_unit_norm,
    max(abs(norm - 1.0)) FILTER (WHERE NOT isnan(norm)) AS max_norm_error,
    count(DISTINCT (model, weights, weights_fingerprint)) AS encoders
FROM norms;
