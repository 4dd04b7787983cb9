-- Embeddings are finite and of unit L2 norm (within $tolerance), from one encoder only.
-- passed: no non-finite vector, none off the unit norm, at most one encoder.
WITH norms AS (
    SELECT sqrt(array_inner_product(embedding, embedding)) AS norm, model, weights, weights_fingerprint
    FROM segment_embeddings
),
counts AS (
    SELECT
        count(*) AS embeddings,
        count(*) FILTER (WHERE isnan(norm) OR isinf(norm)) AS non_finite,
        count(*) FILTER (WHERE NOT (abs(norm - 1.0) <= $tolerance)) AS off_unit_norm,
        max(abs(norm - 1.0)) FILTER (WHERE NOT isnan(norm)) AS max_norm_error,
        count(DISTINCT (model, weights, weights_fingerprint)) AS encoders,
        $tolerance::DOUBLE AS tolerance
    FROM norms
)
SELECT non_finite = 0 AND off_unit_norm = 0 AND encoders <= 1 AS passed, * FROM counts;
