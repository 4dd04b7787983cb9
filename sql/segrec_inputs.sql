-- segrec_inputs: what the SegRec backbones read per labelled view: ids, segment count, label,
-- split, and the videos of the user's strictly earlier views (user_histories, oldest first).
-- A view so people can inspect exactly the rows a SegRec run trained and tested on.
CREATE OR REPLACE VIEW segrec_inputs AS
SELECT
    e.view_id,
    e.user_id,
    e.video_id,
    e.n_segments,
    e.split,
    e.label,
    coalesce(h.history_video_ids, []::VARCHAR[]) AS history_video_ids
FROM effective_views AS e
LEFT JOIN user_histories AS h USING (view_id);
