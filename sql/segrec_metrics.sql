-- segrec_metrics: effective-view prediction on the test split, one row per
-- (backbone, variant, seed, metric) with metric in ('AUC', 'F1', 'logloss'). F1 uses the
-- threshold that maximised F1 on the valid split (f1_threshold), never one tuned on test;
-- valid_auc is the valid AUC of the epoch kept by early stopping. Rows come from
-- segrec_metrics_input (write_frame; segrec/report.py write_metrics).
CREATE OR REPLACE TABLE segrec_metrics AS
SELECT
    CAST(backbone AS VARCHAR) AS backbone,
    CAST(variant AS VARCHAR) AS variant,
    CAST(seed AS INTEGER) AS seed,
    CAST(metric AS VARCHAR) AS metric,
    CAST(value AS DOUBLE) AS value,
    CAST(split AS VARCHAR) AS split,
    CAST(f1_threshold AS DOUBLE) AS f1_threshold,
    CAST(best_epoch AS INTEGER) AS best_epoch,
    CAST(epochs_run AS INTEGER) AS epochs_run,
    CAST(valid_auc AS DOUBLE) AS valid_auc,
    CAST(n_train AS BIGINT) AS n_train,
    CAST(n_test AS BIGINT) AS n_test,
    CAST(test_positive_rate AS DOUBLE) AS test_positive_rate,
    CAST(seconds AS DOUBLE) AS train_seconds,
    $mlflow_run_id AS mlflow_run_id,
    $dagster_run_id AS dagster_run_id
FROM segrec_metrics_input
ORDER BY backbone, variant, seed, metric;
