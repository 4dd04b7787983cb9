-- The history length user_histories was built with, read by later stages (model inputs, SegRec,
-- one-off scoring) instead of being repeated in their configs.
CREATE OR REPLACE TABLE history_settings AS
SELECT $history_length::INTEGER AS history_length
