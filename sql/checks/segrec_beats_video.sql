-- SegRec vs Video on test AUC, paired by seed (segrec_vs_video). A SegRec variant counts as ahead
-- of Video only when its mean paired difference exceeds the difference's standard error,
-- mean_delta > std_delta / sqrt(paired_seeds) (issue 10: a check that passes on noise is no
-- check); with fewer than 2 paired seeds there is no standard error, so nothing counts as ahead.
-- Passes when every backbone has at least one SegRec variant ahead.
WITH pairs AS (
    SELECT
        backbone,
        variant,
        mean_delta,
        std_delta / sqrt(paired_seeds) AS std_error,
        paired_seeds,
        paired_seeds >= 2 AND mean_delta > std_delta / sqrt(paired_seeds) AS ahead
    FROM segrec_vs_video
    WHERE metric = 'AUC' AND variant LIKE 'SegRec\_%' ESCAPE '\'
),
per_backbone AS (
    SELECT
        backbone,
        bool_or(ahead) AS ahead,
        arg_max(variant, mean_delta - std_error) AS best_variant,
        max(mean_delta) AS best_mean_delta
    FROM pairs
    GROUP BY backbone
)
SELECT
    (SELECT count(*) FROM per_backbone) AS backbones,
    (SELECT count(*) FROM per_backbone WHERE ahead) AS backbones_ahead,
    (SELECT min(paired_seeds) FROM pairs) AS min_paired_seeds,
    (SELECT min(best_mean_delta) FROM per_backbone) AS weakest_best_auc_delta,
    (SELECT string_agg(backbone || ' ' || variant || ': ' || printf('%+.4f', mean_delta) || ' (se '
        || printf('%.4f', std_error) || ')', '; ' ORDER BY backbone, variant) FROM pairs) AS auc_deltas,
    (SELECT count(*) FROM per_backbone) > 0
        AND (SELECT count(*) FROM per_backbone WHERE NOT ahead) = 0 AS passed;
