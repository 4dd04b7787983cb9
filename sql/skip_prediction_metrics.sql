-- One row per (method, modality, protocol, subset, metric) of the skip-prediction report.
-- Input: the registered frame skip_prediction_metrics_input (rows computed in Python from scores).
-- method: 'segment_interest' (the model) or a baseline name; modality: id / visual / both for the
-- model, 'none' for baselines. protocol: 'segments_end' (primary) or 'slots40' (published).
-- subset: all / cold / warm test views. MAE, MAE_segments and spearman_latent appear only under
-- 'segments_end': they do not depend on which slots are ranked. seed: the run's seed (a trained
-- model's seed, GBDTHazard's and Random's seed); NULL for deterministic methods (position priors).
-- Several trained seeds of one modality give several rows per key; skip_prediction_summary averages them.
CREATE OR REPLACE TABLE skip_prediction_metrics AS
SELECT CAST(method AS VARCHAR) AS method,
       CAST(modality AS VARCHAR) AS modality,
       CAST(protocol AS VARCHAR) AS protocol,
       CAST(subset AS VARCHAR) AS subset,
       CAST(metric AS VARCHAR) AS metric,
       CAST(value AS DOUBLE) AS value,
       CAST(n_views AS BIGINT) AS n_views,
       CAST(seed AS BIGINT) AS seed,
       CAST($mlflow_run_id AS VARCHAR) AS mlflow_run_id,
       CAST($dagster_run_id AS VARCHAR) AS dagster_run_id
FROM skip_prediction_metrics_input
ORDER BY method, modality, protocol, subset, metric, seed;
