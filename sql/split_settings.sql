-- The settings the splits table was built with (one row), so a reader and the asset checks know
-- the protocol and the nominal fractions without the run config.
CREATE OR REPLACE TABLE split_settings AS
SELECT
    $protocol AS protocol,
    $train_fraction::DOUBLE AS train_fraction,
    $valid_fraction::DOUBLE AS valid_fraction,
    round(1 - $train_fraction - $valid_fraction, 9)::DOUBLE AS test_fraction,
    $keep_full_watches AS keep_full_watches,
    $seed::BIGINT AS seed,
    $min_user_views::BIGINT AS min_user_views,
    $history_only_views::BIGINT AS history_only_views,
    $tolerance::DOUBLE AS tolerance;
