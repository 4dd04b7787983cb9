-- segrec_fold_settings: how segrec_interest_scores cut train views into folds (one row), so the
-- check interest_scores_cover_views can verify every train row's fold against view_id % n_folds.
-- fold_epochs: epochs of the per-fold segment-interest models (0 = the checkpoint's best epoch).
-- Written in the same transaction as segrec_interest_scores from segrec_fold_settings_input.
CREATE OR REPLACE TABLE segrec_fold_settings AS
SELECT
    CAST(n_folds AS INTEGER) AS n_folds,
    CAST(fold_epochs AS INTEGER) AS fold_epochs,
    $dagster_run_id AS dagster_run_id
FROM segrec_fold_settings_input;
