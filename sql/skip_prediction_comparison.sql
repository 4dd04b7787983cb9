-- The best model vs the best baseline, both chosen on valid NDCG@5 (never on test), one row per
-- compared metric (HR@1, NDCG@5; primary protocol, all test views). Input: the registered frame
-- skip_prediction_comparison_input (seg_pipeline/evaluation/comparison.py).
-- model_valid / baseline_valid: the valid values the choice read (model: mean over its seeds;
-- baseline: statistics fitted on train only). model_test / baseline_test: test means; difference:
-- mean over test views of (model per-view metric averaged over seeds - baseline per-view metric);
-- low / high: paired bootstrap 95 % interval of that difference (resamples over test views, fixed
-- bootstrap_seed). No rows without a model, a baseline or valid views.
CREATE OR REPLACE TABLE skip_prediction_comparison AS
SELECT CAST(metric AS VARCHAR) AS metric,
       CAST(model_method AS VARCHAR) AS model_method,
       CAST(model_modality AS VARCHAR) AS model_modality,
       CAST(model_configuration AS VARCHAR) AS model_configuration,
       CAST(model_seeds AS INTEGER) AS model_seeds,
       CAST(baseline AS VARCHAR) AS baseline,
       CAST(selected_on AS VARCHAR) AS selected_on,
       CAST(model_valid AS DOUBLE) AS model_valid,
       CAST(baseline_valid AS DOUBLE) AS baseline_valid,
       CAST(model_test AS DOUBLE) AS model_test,
       CAST(baseline_test AS DOUBLE) AS baseline_test,
       CAST(difference AS DOUBLE) AS difference,
       CAST(low AS DOUBLE) AS low,
       CAST(high AS DOUBLE) AS high,
       CAST(n_views AS BIGINT) AS n_views,
       CAST(resamples AS INTEGER) AS resamples,
       CAST(bootstrap_seed AS BIGINT) AS bootstrap_seed,
       CAST(protocol AS VARCHAR) AS protocol,
       CAST(subset AS VARCHAR) AS subset,
       CAST($mlflow_run_id AS VARCHAR) AS mlflow_run_id,
       CAST($dagster_run_id AS VARCHAR) AS dagster_run_id
FROM skip_prediction_comparison_input
ORDER BY metric;
