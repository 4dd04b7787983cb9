-- One verdict per raw row (temporary table): reason IS NULL means accepted. interactions and
-- rejected_interactions are both cut from this table, so accepted + rejected = input rows by
-- construction. The first failing rule names the reason:
--   malformed_line        the CSV reader could not split the line into the header's fields
--   invalid_encoding      the line holds bytes that are not valid in log_source.encoding
--   null_field            a field is missing or blank
--   non_numeric           a time is not a finite number (decimals are rounded to whole ms)
--   out_of_range          a time is a number of 1e15 ms (~31,700 years) or more in size
--   negative_time         time_ms, duration_ms or playing_time_ms < 0
--   duration_out_of_scope duration outside [$min_duration_ms, $max_duration_ms] (SPEC 1: 5-200 s)
--   unknown_video         $check_videos and the video id is not in known_videos (the videos table)
--   duplicate             same user, video, time, duration and playing time as an earlier valid row
-- Ids that read as numbers (100, 00100, 100.0, 1e2) get a numeric form (user_number, video_number:
-- 100 for all four); with $normalize_numeric_ids the keys become that form, otherwise they stay as
-- written and sql/interaction_id_collisions.sql reports the spellings that would merge.
CREATE OR REPLACE TEMP TABLE interaction_validation AS
WITH texts AS (
    SELECT
        *,
        nullif(trim(user_id), '') AS user_text,
        nullif(trim(video_id), '') AS video_text
    FROM raw_interactions
),
ids AS (
    -- the numeric form is worked out once per distinct spelling, not once per row
    SELECT DISTINCT 'user' AS kind, user_text AS spelling FROM texts WHERE user_text IS NOT NULL
    UNION
    SELECT DISTINCT 'video', video_text FROM texts WHERE video_text IS NOT NULL
),
forms AS (
    SELECT
        kind,
        spelling,
        CASE
            WHEN regexp_full_match(spelling, '[+-]?[0-9]+')
                THEN (CASE WHEN starts_with(spelling, '-') THEN '-' ELSE '' END)
                     || coalesce(nullif(ltrim(ltrim(spelling, '+-'), '0'), ''), '0')
            WHEN regexp_full_match(spelling, '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?')
                 AND coalesce(isfinite(TRY_CAST(spelling AS DOUBLE)), false)
                THEN CASE WHEN TRY_CAST(spelling AS DOUBLE) = round(TRY_CAST(spelling AS DOUBLE))
                               AND abs(TRY_CAST(spelling AS DOUBLE)) < 9007199254740992
                          THEN CAST(CAST(TRY_CAST(spelling AS DOUBLE) AS BIGINT) AS VARCHAR)
                          ELSE CAST(TRY_CAST(spelling AS DOUBLE) AS VARCHAR) END
        END AS number
    FROM ids
),
numbers AS (
    SELECT t.*, u.number AS user_number, v.number AS video_number
    FROM texts AS t
    LEFT JOIN forms AS u ON u.kind = 'user' AND u.spelling = t.user_text
    LEFT JOIN forms AS v ON v.kind = 'video' AND v.spelling = t.video_text
),
cleaned AS (
    SELECT
        source_row,
        line,
        raw_line,
        malformed_reason,
        malformed_detail,
        user_text,
        video_text,
        user_number,
        video_number,
        user_id AS raw_user_id,
        video_id AS raw_video_id,
        time_ms AS raw_time_ms,
        duration_ms AS raw_duration_ms,
        playing_time_ms AS raw_playing_time_ms,
        CASE WHEN $normalize_numeric_ids THEN coalesce(user_number, user_text) ELSE user_text END AS user_key,
        CASE WHEN $normalize_numeric_ids THEN coalesce(video_number, video_text) ELSE video_text END AS video_key,
        nullif(trim(time_ms), '') AS time_text,
        nullif(trim(duration_ms), '') AS duration_text,
        nullif(trim(playing_time_ms), '') AS playing_text,
        TRY_CAST(nullif(trim(time_ms), '') AS DOUBLE) AS time_num,
        TRY_CAST(nullif(trim(duration_ms), '') AS DOUBLE) AS duration_num,
        TRY_CAST(nullif(trim(playing_time_ms), '') AS DOUBLE) AS playing_num
    FROM numbers
),
numeric_ok AS (
    SELECT
        *,
        coalesce(isfinite(time_num), false) AS time_finite,
        coalesce(isfinite(duration_num), false) AS duration_finite,
        coalesce(isfinite(playing_num), false) AS playing_finite
    FROM cleaned
),
in_range AS (
    SELECT
        *,
        -- 1e15 ms is ~31,700 years: beyond it a value cannot be a real time and would overflow.
        time_finite AND abs(time_num) < 1e15 AS time_ok,
        duration_finite AND abs(duration_num) < 1e15 AS duration_ok,
        playing_finite AND abs(playing_num) < 1e15 AS playing_ok
    FROM numeric_ok
),
judged AS (
    SELECT
        n.*,
        CASE
            WHEN malformed_reason IS NOT NULL THEN malformed_reason
            WHEN user_key IS NULL OR video_key IS NULL OR time_text IS NULL
                 OR duration_text IS NULL OR playing_text IS NULL THEN 'null_field'
            WHEN NOT (time_finite AND duration_finite AND playing_finite) THEN 'non_numeric'
            WHEN NOT (time_ok AND duration_ok AND playing_ok) THEN 'out_of_range'
            WHEN time_num < 0 OR duration_num < 0 OR playing_num < 0 THEN 'negative_time'
            WHEN round(duration_num) < $min_duration_ms OR round(duration_num) > $max_duration_ms
                THEN 'duration_out_of_scope'
            WHEN $check_videos AND k.video_id IS NULL THEN 'unknown_video'
        END AS first_reason,
        CASE
            WHEN malformed_reason IS NOT NULL THEN malformed_detail
            WHEN user_key IS NULL OR video_key IS NULL OR time_text IS NULL
                 OR duration_text IS NULL OR playing_text IS NULL
                THEN 'missing ' || concat_ws(', ',
                    CASE WHEN user_key IS NULL THEN 'user_id' END,
                    CASE WHEN video_key IS NULL THEN 'video_id' END,
                    CASE WHEN time_text IS NULL THEN 'time_ms' END,
                    CASE WHEN duration_text IS NULL THEN 'duration_ms' END,
                    CASE WHEN playing_text IS NULL THEN 'playing_time_ms' END)
            WHEN NOT (time_finite AND duration_finite AND playing_finite)
                THEN 'not a finite number: ' || concat_ws(', ',
                    CASE WHEN NOT time_finite THEN 'time_ms=' || time_text END,
                    CASE WHEN NOT duration_finite THEN 'duration_ms=' || duration_text END,
                    CASE WHEN NOT playing_finite THEN 'playing_time_ms=' || playing_text END)
            WHEN NOT (time_ok AND duration_ok AND playing_ok)
                THEN 'out of range (1e15 ms or more): ' || concat_ws(', ',
                    CASE WHEN NOT time_ok THEN 'time_ms=' || time_text END,
                    CASE WHEN NOT duration_ok THEN 'duration_ms=' || duration_text END,
                    CASE WHEN NOT playing_ok THEN 'playing_time_ms=' || playing_text END)
            WHEN time_num < 0 OR duration_num < 0 OR playing_num < 0
                THEN 'negative: ' || concat_ws(', ',
                    CASE WHEN time_num < 0 THEN 'time_ms=' || time_text END,
                    CASE WHEN duration_num < 0 THEN 'duration_ms=' || duration_text END,
                    CASE WHEN playing_num < 0 THEN 'playing_time_ms=' || playing_text END)
            WHEN round(duration_num) < $min_duration_ms OR round(duration_num) > $max_duration_ms
                THEN 'duration_ms=' || duration_text || ' outside [' || $min_duration_ms::BIGINT
                     || ', ' || $max_duration_ms::BIGINT || ']'
            WHEN $check_videos AND k.video_id IS NULL
                THEN 'video ' || video_key || ' is not in the videos table'
        END AS first_detail
    FROM in_range AS n
    LEFT JOIN known_videos AS k ON k.video_id = n.video_key
),
typed AS (
    SELECT
        *,
        CASE WHEN first_reason IS NULL THEN round(time_num)::BIGINT END AS time_value,
        CASE WHEN first_reason IS NULL THEN round(duration_num)::BIGINT END AS duration_value,
        CASE WHEN first_reason IS NULL THEN round(playing_num)::BIGINT END AS playing_value
    FROM judged
),
deduplicated AS (
    SELECT
        *,
        -- Among valid rows, the first of each identical group is kept (first_reason IS NULL
        -- joins the partition so invalid rows never shadow a valid one).
        first_value(source_row) OVER (
            PARTITION BY first_reason IS NULL, user_key, video_key, time_value, duration_value, playing_value
            ORDER BY source_row
        ) AS first_copy
    FROM typed
)
SELECT
    source_row,
    line,
    raw_line,
    user_text,
    video_text,
    user_number,
    video_number,
    raw_user_id,
    raw_video_id,
    raw_time_ms,
    raw_duration_ms,
    raw_playing_time_ms,
    user_key,
    video_key,
    time_value,
    duration_value,
    playing_value,
    CASE
        WHEN first_reason IS NOT NULL THEN first_reason
        WHEN first_copy <> source_row THEN 'duplicate'
    END AS reason,
    CASE
        WHEN first_reason IS NOT NULL THEN first_detail
        WHEN first_copy <> source_row THEN 'same as source_row ' || first_copy
    END AS detail
FROM deduplicated;
