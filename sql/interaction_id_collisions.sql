-- Ids written differently that read as the same number (100, 00100, 100.0, 1e2), per id column:
-- the number, how the log spells it, and how many rows use those spellings. With
-- log_source.normalize_numeric_ids they were merged into one id (the number); without, they stay
-- separate ids and this table is the warning. Lines the reader could not split are left out.
CREATE OR REPLACE TABLE interaction_id_collisions AS
WITH spelled AS (
    SELECT 'user_id' AS id_column, user_number AS numeric_id, user_text AS spelling
    FROM interaction_validation
    WHERE user_number IS NOT NULL
    UNION ALL
    SELECT 'video_id', video_number, video_text
    FROM interaction_validation
    WHERE video_number IS NOT NULL
)
SELECT
    id_column,
    numeric_id,
    list_sort(list_distinct(list(spelling))) AS spellings,
    count(*) AS rows
FROM spelled
GROUP BY id_column, numeric_id
HAVING count(DISTINCT spelling) > 1
ORDER BY id_column, numeric_id;
