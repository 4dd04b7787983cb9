-- Share of examples per split against the protocol's nominal fractions.
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
)
SELECT
    c.*,
    c.train / nullif(c.examples, 0) AS train_share,
    c.valid / nullif(c.examples, 0) AS valid_share,
    c.test / nullif(c.examples, 0) AS test_share,
    c.cold / nullif(c.evaluated, 0) AS cold_share,
    s.protocol,
    s.train_fraction,
    s.valid_fraction,
    s.test_fraction,
    s.tolerance
FROM counts AS c, split_settings AS s;
