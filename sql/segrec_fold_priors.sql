-- segrec_fold_priors: ItemPosition statistics (SPEC 4) for SegRec's weights, without label leaks.
-- Train views are split into $n_folds folds by view_id % $n_folds; the rows of fold k count only
-- the train views of the other folds, so a train view's weights never see its own skip (SPEC 7:
-- a prior fit on the same rows leaks the label). fold = -1 counts every train view and serves the
-- valid and test views. Same columns as position_priors, so the ItemPosition baseline fits on it.
CREATE OR REPLACE TABLE segrec_fold_priors AS
WITH train AS (
    SELECT l.view_id, l.video_id, l.target_slot, l.view_id % $n_folds AS fold
    FROM skip_labels AS l
    JOIN splits AS s USING (view_id)
    WHERE s.split = 'train'
),
folds AS (
    SELECT -1 AS fold
    UNION ALL
    SELECT range AS fold FROM range($n_folds)
),
fit AS (
    SELECT f.fold, t.video_id, t.target_slot
    FROM folds AS f
    JOIN train AS t ON f.fold = -1 OR t.fold <> f.fold
),
keyed AS (
    SELECT fold, 'all' AS prior, '' AS group_key, target_slot FROM fit
    UNION ALL
    SELECT fold, 'video_id', CAST(video_id AS VARCHAR), target_slot FROM fit
),
counted AS (
    SELECT fold, prior, group_key, CAST(target_slot AS INTEGER) AS slot, count(*) AS skips
    FROM keyed
    GROUP BY fold, prior, group_key, target_slot
)
SELECT fold, prior, group_key, slot, skips,
       sum(skips) OVER (PARTITION BY fold, prior, group_key) AS views
FROM counted
ORDER BY fold, prior, group_key, slot;
