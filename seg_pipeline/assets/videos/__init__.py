"""The videos group: raw video files -> `videos` (+ `video_errors`) -> `segments` -> `segment_embeddings`."""
