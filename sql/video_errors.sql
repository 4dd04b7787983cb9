-- Files that could not enter the pipeline, with the stage that rejected them and why.
-- `video_errors_input` (warehouse.db.write_frame) holds the rows kept from other stages plus the
-- new ones; `kind` groups reasons (unreadable_path, empty_file, not_a_video, corrupt, truncated,
-- out_of_scope, duplicate_video_id, decode_failed), `reason` is the sentence for a person.
CREATE OR REPLACE TABLE video_errors AS
SELECT
    path,
    CAST(video_id AS VARCHAR) AS video_id,
    stage,
    kind,
    reason,
    CAST(size_bytes AS BIGINT) AS size_bytes,
    CAST(recorded_at AS TIMESTAMP) AS recorded_at,
    run_id
FROM video_errors_input
ORDER BY stage, path;
