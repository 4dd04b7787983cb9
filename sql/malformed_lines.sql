-- Lines DuckDB's CSV reader could not turn into a row (temporary): wrong number of fields, an
-- unterminated quote, bytes that are not valid in the configured encoding. `log_rejects` is the
-- reader's own rejects table (store_rejects = true; empty for Parquet), one entry per problem, so
-- several per line are folded into one. `line` is the reader's 1-based line number (header = 1).
-- good_before: how many parsed rows precede the line, so raw_interactions can merge the two in file
-- order; it is exact when every record is one line without blank lines in between, and is clamped
-- to [0, parsed rows] so the merge always numbers rows 0..input-1 exactly once.
CREATE OR REPLACE TEMP TABLE malformed_lines AS
WITH per_line AS (
    SELECT
        line::BIGINT AS line,
        arg_min(csv_line, byte_position) AS raw_line,
        bool_or(error_type = 'INVALID ENCODING') AS bad_encoding,
        arg_min(lower(error_type) || ': ' || error_message, byte_position) AS problem
    FROM log_rejects
    GROUP BY line
),
numbered AS (
    SELECT *, (row_number() OVER (ORDER BY line) - 1)::BIGINT AS nth FROM per_line
)
SELECT
    line,
    raw_line,
    CASE WHEN bad_encoding THEN 'invalid_encoding' ELSE 'malformed_line' END AS reason,
    problem,
    nth,
    least(greatest(line - 2 - nth, 0), (SELECT count(*) FROM raw_log_rows))::BIGINT AS good_before
FROM numbered;
