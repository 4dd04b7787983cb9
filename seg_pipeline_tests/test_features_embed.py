"""Streaming segment embedding over real videos: batches that span videos change nothing, k frames
are mean-pooled then re-normalised, and a video that fails to decode is reported, not fatal."""
import numpy as np
import pytest

from seg_pipeline.features.embed import EmbedStats, VideoJob, embed_videos, jobs_from_rows, pool_segments
from seg_pipeline.features.encoder import EncoderSettings, load_encoder
from seg_pipeline.video.frames import read_frames
from seg_pipeline.video.segments import plan_segments


@pytest.fixture(scope="module")
def encoder():
    return load_encoder(EncoderSettings(device="cpu"))


def _job(path, seconds, k=1, fps=10):
    plans = plan_segments(int(seconds * 1000), fps, int(seconds * fps), k)
    return VideoJob(path.stem, str(path), "decord", f"hash-{path.stem}", [list(p.frame_indices) for p in plans])


def test_pool_segments_by_hand():
    vectors = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.6, 0.8]], dtype=np.float32)
    pooled = pool_segments(vectors, n_segments=2, k=2)
    np.testing.assert_allclose(pooled, [[0.70710677, 0.70710677], [0.6, 0.8]], rtol=1e-6)


def test_batches_spanning_videos_give_the_same_vectors(make_video, encoder):
    jobs = [_job(make_video("a.mp4", 12.3), 12.3), _job(make_video("b.mp4", 7.0), 7.0),
            _job(make_video("c.mp4", 5.0), 5.0)]
    small = list(embed_videos(jobs, encoder.prepare, encoder.encode_prepared, encoder.dim, batch_size=2))
    large = list(embed_videos(jobs, encoder.prepare, encoder.encode_prepared, encoder.dim, batch_size=64))
    assert [r.job.video_id for r in small] == ["a", "b", "c"]
    assert [r.embeddings.shape for r in small] == [(3, 64), (2, 64), (1, 64)]
    for s, l, job in zip(small, large, jobs):
        np.testing.assert_allclose(s.embeddings, l.embeddings, atol=1e-5)
        # k = 1: each segment vector is the encoder's vector of its midpoint frame.
        direct = encoder.encode(read_frames(job.path, [f[0] for f in job.frame_indices]))
        np.testing.assert_allclose(s.embeddings, direct, atol=1e-5)


def test_k_frames_are_mean_pooled_and_renormalised(make_video, encoder):
    job = _job(make_video("k2.mp4", 10.0), 10.0, k=2)
    assert job.frame_indices == [[12, 37], [62, 87]]
    result = next(embed_videos([job], encoder.prepare, encoder.encode_prepared, encoder.dim))
    each = encoder.encode(read_frames(job.path, [12, 37, 62, 87]))
    expected = each.reshape(2, 2, -1).mean(axis=1)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(result.embeddings, expected, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(result.embeddings, axis=1), 1.0, atol=1e-5)


def test_a_video_that_cannot_be_decoded_is_reported_and_the_rest_go_on(make_video, encoder):
    good = _job(make_video("good.mp4", 6.0), 6.0)
    gone = make_video("gone.mp4", 6.0)
    bad = _job(gone, 6.0)
    gone.unlink()
    stats = EmbedStats()
    results = list(embed_videos([bad, good], encoder.prepare, encoder.encode_prepared, encoder.dim, 4, stats))
    assert results[0].embeddings is None and "decord" in results[0].error
    assert results[1].embeddings.shape == (2, 64)
    assert (stats.videos, stats.segments, stats.frames, stats.failed) == (1, 2, 2, 1)


def test_jobs_embed_duplicate_contents_once():
    videos = [{"video_id": v, "path": f"/x/{v}.mp4", "decoder": "decord", "content_hash": h}
              for v, h in (("b", "h1"), ("a", "h1"), ("c", "h2"), ("d", "h3"))]
    segments = [{"video_id": v, "segment_idx": i, "frame_indices": [i * 50 + 25]}
                for v, n in (("a", 2), ("b", 2), ("c", 1)) for i in reversed(range(n))]
    jobs, owners = jobs_from_rows(videos, segments)
    assert [(j.video_id, j.frame_indices) for j in jobs] == [("a", [[25], [75]]), ("c", [[25]])]
    assert [v["video_id"] for v in owners["h1"]] == ["a", "b"] and "h3" not in owners
