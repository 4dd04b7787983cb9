-- segrec_interest_scores: each source scores every labelled view exactly once, with one finite
-- score per real segment; and what can be checked cheaply of "out of fold":
--   * a train row's fold is view_id % n_folds (n_folds as recorded in segrec_fold_settings), a
--     valid/test row's fold is -1 (scored by the prior / checkpoint fit on every train view);
--   * the ItemPosition prior of fold k (segrec_fold_priors, prior 'all') counts exactly the train
--     views outside fold k, and fold -1 counts every train view: a train view's prior never saw it.
-- (That each per-fold segment-interest model was fit without its fold is recorded per fold in the
-- asset's fold_models metadata, fit_views.)
WITH settings AS (
    SELECT any_value(n_folds) AS n_folds, count(*) AS settings_rows FROM segrec_fold_settings
),
labelled AS (
    SELECT count(*) AS labelled_views FROM effective_views
),
per_source AS (
    SELECT
        s.source,
        count(*) AS n,
        count(DISTINCT s.view_id) AS distinct_views,
        count(*) FILTER (WHERE len(s.scores) <> e.n_segments
            OR list_count(list_filter(s.scores, lambda x: isfinite(x))) <> e.n_segments) AS bad_lists,
        count(*) FILTER (WHERE (e.split = 'train') <> (s.fold >= 0)) AS wrong_split_fold,
        count(*) FILTER (WHERE e.split = 'train' AND s.fold <> s.view_id % st.n_folds) AS wrong_fold_number
    FROM segrec_interest_scores AS s
    JOIN effective_views AS e USING (view_id)
    CROSS JOIN settings AS st
    GROUP BY s.source
),
train_views AS (  -- the train views the priors are fit on (as sql/segrec_fold_priors.sql defines them)
    SELECT l.view_id % st.n_folds AS fold, count(*) AS views
    FROM skip_labels AS l
    JOIN splits AS s USING (view_id)
    CROSS JOIN settings AS st
    WHERE s.split = 'train'
    GROUP BY ALL
),
prior_totals AS (
    SELECT fold, sum(skips) AS counted
    FROM segrec_fold_priors
    WHERE prior = 'all'
    GROUP BY fold
),
expected_totals AS (
    SELECT -1 AS fold, (SELECT sum(views) FROM train_views) AS expected
    UNION ALL
    SELECT k.fold, (SELECT coalesce(sum(views), 0) FROM train_views AS t WHERE t.fold <> k.fold)
    FROM (SELECT range AS fold FROM range((SELECT n_folds FROM settings))) AS k
),
prior_check AS (
    SELECT count(*) FILTER (WHERE coalesce(p.counted, 0) <> x.expected) AS prior_fold_mismatches
    FROM expected_totals AS x
    LEFT JOIN prior_totals AS p USING (fold)
)
SELECT
    l.labelled_views,
    st.n_folds,
    (SELECT count(*) FROM per_source) AS sources,
    (SELECT count(*) FROM per_source WHERE n <> l.labelled_views OR distinct_views <> l.labelled_views)
        AS sources_not_covering,
    (SELECT coalesce(sum(bad_lists), 0) FROM per_source) AS bad_score_lists,
    (SELECT coalesce(sum(wrong_split_fold), 0) FROM per_source) AS wrong_split_folds,
    (SELECT coalesce(sum(wrong_fold_number), 0) FROM per_source) AS wrong_fold_numbers,
    pc.prior_fold_mismatches,
    st.settings_rows = 1
        AND (SELECT count(*) FROM per_source) > 0
        AND (SELECT count(*) FROM per_source WHERE n <> l.labelled_views OR distinct_views <> l.labelled_views) = 0
        AND (SELECT coalesce(sum(bad_lists + wrong_split_fold + wrong_fold_number), 0) FROM per_source) = 0
        AND pc.prior_fold_mismatches = 0 AS passed
FROM labelled AS l, settings AS st, prior_check AS pc;
