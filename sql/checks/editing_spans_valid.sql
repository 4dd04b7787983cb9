-- editing_suggestions invariants: passes when no span breaks one of: inside [0, duration], positive
-- length, first_segment <= last_segment, in order without overlap within a pair.
WITH ordered AS (
    SELECT *, lag(end_s) OVER (PARTITION BY view_id ORDER BY span_idx) AS previous_end
    FROM editing_suggestions
),
counted AS (
    SELECT
        count(*) AS spans,
        count(*) FILTER (
            WHERE start_s < 0 OR end_s > duration_s OR end_s <= start_s OR first_segment > last_segment
               OR start_s < coalesce(previous_end, 0)
        ) AS bad_spans
    FROM ordered
)
SELECT bad_spans = 0 AS passed, spans, bad_spans
FROM counted
