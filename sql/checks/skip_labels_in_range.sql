-- Labels that break SPEC 1: a skip segment outside [0, n_segments), a full watch whose target is
-- not the end slot, or a target / watched count that disagrees with the skip segment.
-- passed: no such label.
WITH counts AS (
    SELECT
        count(*) AS views,
        count(*) FILTER (WHERE full_watch) AS full_watches,
        count(*) FILTER (
            WHERE (NOT full_watch AND (skip_segment IS NULL OR skip_segment < 0 OR skip_segment >= n_segments
                                       OR target_slot <> skip_segment OR watched_segments <> skip_segment + 1))
               OR (full_watch AND (skip_segment IS NOT NULL OR target_slot <> n_segments
                                   OR watched_segments <> n_segments))
               OR full_watch IS NULL
        ) AS bad_labels
    FROM skip_labels
)
SELECT bad_labels = 0 AS passed, * FROM counts;
