-- Share of examples per split (<split>_share, actual) against the protocol's nominal fractions
-- (<split>_fraction_target, as recorded in split_settings).
-- passed: there are examples, every split name is known, and each share is within the tolerance.
WITH counts AS (
    SELECT
        count(*) AS examples,
        count(*) FILTER (WHERE split = 'train') AS train,
        count(*) FILTER (WHERE split = 'valid') AS valid,
        count(*) FILTER (WHERE split = 'test') AS test,
        count(*) FILTER (WHERE split NOT IN ('train', 'valid', 'test')) AS unknown_split,
        count(*) FILTER (WHERE cold_video) AS cold,
        count(*) FILTER (WHERE split <> 'train') AS evaluated
    FROM splits
),
shares AS (
    SELECT
        c.*,
        c.train / nullif(c.examples, 0) AS train_share,
        c.valid / nullif(c.examples, 0) AS valid_share,
        c.test / nullif(c.examples, 0) AS test_share,
        c.cold / nullif(c.evaluated, 0) AS cold_share,
        s.protocol,
        s.train_fraction AS train_fraction_target,
        s.valid_fraction AS valid_fraction_target,
        s.test_fraction AS test_fraction_target,
        s.tolerance
    FROM counts AS c, split_settings AS s
)
SELECT
    coalesce(examples > 0 AND unknown_split = 0
             AND abs(train_share - train_fraction_target) <= tolerance + 1e-12
             AND abs(valid_share - valid_fraction_target) <= tolerance + 1e-12
             AND abs(test_share - test_fraction_target) <= tolerance + 1e-12, false) AS passed,
    *
FROM shares;
