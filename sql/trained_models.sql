-- One row per trained (modality, seed) of the latest segment_interest_model run, each with its own
-- checkpoint; configuration names the model/named_configs.py entry the knobs started from. The
-- rows come from the registered frame trained_models_input (the asset's training summaries).
CREATE OR REPLACE TABLE trained_models AS
SELECT
    modality::VARCHAR AS modality,
    seed::INTEGER AS seed,
    configuration::VARCHAR AS configuration,
    checkpoint_path::VARCHAR AS checkpoint_path,
    mlflow_run_id::VARCHAR AS mlflow_run_id,
    best_epoch::INTEGER AS best_epoch,
    epochs_run::INTEGER AS epochs_run,
    valid_ndcg5::DOUBLE AS valid_ndcg5,
    valid_hr1::DOUBLE AS valid_hr1,
    valid_random_ndcg5::DOUBLE AS valid_random_ndcg5,
    valid_random_hr1::DOUBLE AS valid_random_hr1,
    loss::VARCHAR AS loss,
    embedding_model::VARCHAR AS embedding_model,
    weights::VARCHAR AS weights,
    n_train_views::BIGINT AS n_train_views,
    n_valid_views::BIGINT AS n_valid_views,
    train_seconds::DOUBLE AS train_seconds,
    views_per_s::DOUBLE AS views_per_s,
    device::VARCHAR AS device,
    config_json::VARCHAR AS config_json,
    $dagster_run_id::VARCHAR AS dagster_run_id,
    now() AS trained_at
FROM trained_models_input
ORDER BY modality, seed
