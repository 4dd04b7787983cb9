-- Each listed thumbnail with its video's frame size and rate, so the check can compare the image
-- file with the video and the frame's time with its segment.
SELECT t.path, t.segment_idx, t.start_s, t.end_s, t.frame_index, v.width AS vw, v.height AS vh, v.fps
FROM user_thumbnails AS t
LEFT JOIN videos AS v USING (video_id)
ORDER BY t.view_id
