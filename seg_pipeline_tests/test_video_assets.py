"""The three video assets materialised by Dagster on real files, in a temporary instance and data root."""
import os

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.videos.raw_videos import raw_videos
from seg_pipeline.assets.videos.segment_embeddings import (
    embeddings_finite_unit_norm,
    every_segment_has_one_embedding,
    segment_embeddings,
)
from seg_pipeline.assets.videos.video_segments import every_video_has_n_segments, video_segments
from seg_pipeline.contract import SEGMENT_MS
from seg_pipeline.errors import ConfigError
from seg_pipeline.resources import DataHome, RunSettings, VideoSource
from seg_pipeline.warehouse.checks import check_row

ASSETS = [raw_videos, video_segments, segment_embeddings]
CHECKS = [every_video_has_n_segments, every_segment_has_one_embedding, embeddings_finite_unit_norm]


@pytest.fixture
def folder(make_video, tmp_path):
    make_video("v1.mp4", 12.3)
    make_video("v2.mp4", 5.0)
    make_video("v3.mp4", 7.0, size=(96, 64))
    make_video("short.mp4", 4.9)
    videos = tmp_path / "videos"
    (videos / "empty.mp4").write_bytes(b"")
    (videos / "text.mp4").write_text("not a video")
    return videos


def _run(folder, selection=ASSETS + CHECKS, run_config=None, video_dir=None):
    resources = {"home": DataHome(), "video_source": VideoSource(video_dir=video_dir or str(folder)),
                 "run_settings": RunSettings(device="cpu")}
    return materialize(selection, resources=resources, instance=DagsterInstance.ephemeral(),
                       run_config=run_config)


def _metadata(result, asset):
    events = [e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == asset]
    return {k: v.value for k, v in events[-1].materialization.metadata.items()}


def _query(data_home, sql):
    with duckdb.connect(str(data_home.warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_three_assets_build_the_tables_and_pass_their_checks(data_home, folder):
    result = _run(folder)
    assert result.success
    raw = _metadata(result, "raw_videos")
    assert (raw["videos"], raw["rejected"], raw["files_examined"]) == (3, 3, 6)
    assert raw["rejected_by_kind"] == {"empty_file": 1, "not_a_video": 1, "out_of_scope": 1}
    assert raw["dagster/row_count"] == 3 and raw["errors_row_count"] == 3
    assert _query(data_home, "SELECT video_id, n_segments, duration_s, width FROM videos ORDER BY 1") == [
        ("v1", 3, 12.3, 64), ("v2", 1, 5.0, 64), ("v3", 2, 7.0, 96)]
    assert _query(data_home, "SELECT count(*), count(DISTINCT stage) FROM video_errors") == [(3, 1)]
    assert _query(data_home, "SELECT video_id, segment_idx, frame_indices FROM segments ORDER BY 1, 2") == [
        ("v1", 0, [25]), ("v1", 1, [75]), ("v1", 2, [111]), ("v2", 0, [25]), ("v3", 0, [25]), ("v3", 1, [60])]

    emb = _metadata(result, "segment_embeddings")
    assert (emb["videos"], emb["cache_hits"], emb["cache_misses"], emb["errors"]) == (3, 0, 3, 0)
    assert (emb["embedded_segments"], emb["decoded_frames"], emb["weights"]) == (6, 6, "random")
    assert emb["segments_per_s"] > 0 and emb["device"].startswith("cpu")
    types = dict(_query(data_home, "SELECT column_name, data_type FROM information_schema.columns "
                                   "WHERE table_name = 'segment_embeddings'"))
    assert types["embedding"] == "FLOAT[64]"
    rows = _query(data_home, "SELECT DISTINCT model, weights, weights_fingerprint FROM segment_embeddings")
    assert rows == [("seg-tiny-vit", "random", emb["weights_fingerprint"])]

    checks = {c.check_name: c.passed for c in result.get_asset_check_evaluations()}
    assert checks == {"every_video_has_n_segments": True, "every_segment_has_one_embedding": True,
                      "embeddings_finite_unit_norm": True}


def test_rematerialising_skips_embedded_videos_and_embeds_only_new_ones(data_home, folder, make_video):
    assert _run(folder).success
    cache_files = sorted(data_home.embedding_cache_dir.rglob("*.parquet"))
    assert len(cache_files) == 3
    stamps = [f.stat().st_mtime_ns for f in cache_files]
    before = _query(data_home, "SELECT video_id, segment_idx, embedding FROM segment_embeddings ORDER BY 1, 2")

    again = _run(folder)
    emb = _metadata(again, "segment_embeddings")
    assert (emb["cache_hits"], emb["cache_misses"], emb["decoded_frames"]) == (3, 0, 0)
    assert [f.stat().st_mtime_ns for f in cache_files] == stamps
    assert _query(data_home, "SELECT video_id, segment_idx, embedding FROM segment_embeddings ORDER BY 1, 2") == before

    make_video("v4.mp4", 10.0)
    third = _metadata(_run(folder), "segment_embeddings")
    assert (third["cache_hits"], third["cache_misses"], third["videos"]) == (3, 1, 4)

    # Another sampling (k = 2) is another cache entry, not a stale hit.
    k2 = {"ops": {"video_segments": {"config": {"frames_per_segment": 2}}}}
    fourth = _metadata(_run(folder, run_config=k2), "segment_embeddings")
    assert (fourth["cache_hits"], fourth["cache_misses"], fourth["frames_per_segment"]) == (0, 4, 2)


def test_a_video_lost_before_embedding_is_rejected_and_the_rest_are_kept(data_home, folder):
    assert _run(folder, [raw_videos, video_segments]).success
    os.remove(folder / "v2.mp4")
    result = _run(folder, [segment_embeddings, every_segment_has_one_embedding])
    assert result.success
    assert _metadata(result, "segment_embeddings")["errors"] == 1
    assert _query(data_home, "SELECT DISTINCT video_id FROM segment_embeddings ORDER BY 1") == [("v1",), ("v3",)]
    assert _query(data_home, "SELECT video_id, stage, kind FROM video_errors WHERE stage = 'segment_embeddings'") == [
        ("v2", "segment_embeddings", "decode_failed")]
    # The probe stage's own rejections are kept beside the new one.
    assert _query(data_home, "SELECT count(*) FROM video_errors WHERE stage = 'raw_videos'") == [(3,)]
    assert all(c.passed for c in result.get_asset_check_evaluations())


def test_coverage_checks_fail_on_a_missing_embedding_or_segment(data_home, folder):
    assert _run(folder).success
    with duckdb.connect(str(data_home.warehouse)) as con:
        con.execute("DELETE FROM segment_embeddings WHERE video_id = 'v1' AND segment_idx = 2")
        coverage = check_row(con, "segment_embedding_coverage")
        con.execute("DELETE FROM segments WHERE video_id = 'v3' AND segment_idx = 1")
        per_video = check_row(con, "segments_per_video", {"segment_ms": SEGMENT_MS})
    assert not coverage["passed"] and coverage["segments_without_embedding"] == 1
    assert not per_video["passed"] and per_video["videos_with_wrong_segments"] == 1


def test_videos_off_drops_the_visual_tables(data_home, folder):
    assert _run(folder).success
    result = _run(folder, video_dir="none")
    assert result.success
    assert _metadata(result, "raw_videos")["videos_enabled"] is False
    tables = {t for (t,) in _query(data_home, "SELECT table_name FROM information_schema.tables")}
    assert not tables & {"videos", "video_errors", "segments", "segment_embeddings"}
    assert all(c.passed for c in result.get_asset_check_evaluations())


def test_wrong_configuration_fails_fast_naming_the_field(data_home, folder):
    with pytest.raises(ConfigError, match="video_source.video_dir"):
        _run(folder, [raw_videos], video_dir=str(folder / "missing"))
    assert _run(folder, [raw_videos, video_segments]).success
    with pytest.raises(ConfigError, match="segment_embeddings.config.model"):
        _run(folder, [segment_embeddings], run_config={"ops": {"segment_embeddings": {"config": {"model": "nope"}}}})
    # Checked by the run config's validator when the step starts, naming the field.
    with pytest.raises(Exception, match="video_segments.config.frames_per_segment"):
        _run(folder, [video_segments], run_config={"ops": {"video_segments": {"config": {"frames_per_segment": 0}}}})
    with pytest.raises(Exception, match="raw_videos.config.decoder"):
        _run(folder, [raw_videos], run_config={"ops": {"raw_videos": {"config": {"decoder": "ffmpeg"}}}})


def test_definitions_include_the_video_assets_and_checks():
    from seg_pipeline.definitions import defs

    job = defs.resolve_job_def("full_pipeline")
    keys = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert {"raw_videos", "video_segments", "segment_embeddings"} <= keys
