-- Where the interactions came from (one row): the file, its format and column mapping, and how
-- many rows it had, so "accepted + rejected = input rows" can be checked at any later time.
CREATE OR REPLACE TABLE interaction_log AS
SELECT
    $path AS path,
    $format AS format,
    $file_kind AS file_kind,
    $column_mapping AS column_mapping,
    (SELECT count(*) FROM raw_interactions) AS input_rows,
    now() AS loaded_at;
