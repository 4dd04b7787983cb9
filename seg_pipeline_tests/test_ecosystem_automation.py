"""The source sensor and declarative automation on a real DagsterInstance, and code versions that
follow the code (seg_pipeline.automation, seg_pipeline.code_version)."""
from __future__ import annotations

import json
import shutil

from dagster import (
    AssetMaterialization,
    DefaultSensorStatus,
    SensorResult,
    SkipReason,
    build_sensor_context,
    evaluate_automation_conditions,
    instance_for_test,
)

from seg_pipeline.automation import source_files_sensor
from seg_pipeline.code_version import code_version, package_root
from seg_pipeline.definitions import defs
from seg_pipeline.resources import LogSource, VideoSource

VIDEO_DOWNSTREAM = {"raw_videos", "video_segments", "segment_embeddings", "segment_interest_model"}
LOG_DOWNSTREAM = {"interactions", "skip_labels", "splits", "user_histories"}


def _tick(instance, cursor, videos, log):
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs, resources={
        "video_source": VideoSource(video_dir=str(videos)), "log_source": LogSource(path=str(log), format="segmm")})
    return source_files_sensor(context), context


def _requested(result) -> set[str]:
    return {k.to_user_string() for r in result.run_requests for k in r.asset_selection}


def test_sensor_requests_what_a_changed_source_affects(tmp_path, data_home):
    videos, log = tmp_path / "videos", tmp_path / "log.csv"
    videos.mkdir()
    (videos / "a.mp4").write_bytes(b"x")
    (videos / "notes.txt").write_text("not a video")
    log.write_text("user_id,video_id\n")
    with instance_for_test() as instance:
        first, _ = _tick(instance, None, videos, log)  # nothing materialised yet: both sources run
        assert isinstance(first, SensorResult) and len(first.run_requests) == 1
        requested = _requested(first)
        assert VIDEO_DOWNSTREAM | LOG_DOWNSTREAM <= requested and "demo_world" not in requested
        cursor = first.cursor

        same, _ = _tick(instance, cursor, videos, log)  # nothing changed: skip, cursor kept
        assert not same.run_requests and same.cursor == cursor

        (videos / "other.txt").write_text("ignored")  # not a video: nothing to do
        assert not _tick(instance, cursor, videos, log)[0].run_requests
        (videos / "b.mp4").write_bytes(b"yy")  # a new video: raw_videos and downstream
        new_video, _ = _tick(instance, cursor, videos, log)
        assert VIDEO_DOWNSTREAM <= _requested(new_video) and "demo_world" not in _requested(new_video)
        assert new_video.run_requests[0].tags["seg_pipeline/changed"] == "raw_videos"

        log.write_text("user_id,video_id\nu1,a\n")  # a changed log: interactions and downstream only
        changed_log, _ = _tick(instance, new_video.cursor, videos, log)
        assert LOG_DOWNSTREAM <= _requested(changed_log)
        assert not _requested(changed_log) & {"raw_videos", "video_segments", "segment_embeddings"}
        assert json.loads(changed_log.cursor).keys() == {"raw_videos", "interactions"}


def test_sensor_first_tick_is_a_baseline_when_sources_were_materialised(tmp_path, data_home):
    videos, log = tmp_path / "videos", tmp_path / "log.csv"
    videos.mkdir()
    (videos / "a.mp4").write_bytes(b"x")
    log.write_text("user_id,video_id\n")
    with instance_for_test() as instance:
        for key in ("raw_videos", "interactions"):
            instance.report_runless_asset_event(AssetMaterialization(key))
        first, _ = _tick(instance, None, videos, log)
        assert not first.run_requests and first.cursor


def test_sensor_skips_the_demo_world_and_is_off_by_default(data_home):
    assert source_files_sensor.default_status == DefaultSensorStatus.STOPPED
    assert defs.resolve_sensor_def("keep_fresh").default_status == DefaultSensorStatus.STOPPED
    with instance_for_test() as instance:
        context = build_sensor_context(instance=instance, definitions=defs, resources={
            "video_source": VideoSource(), "log_source": LogSource()})
        assert isinstance(source_files_sensor(context), SkipReason)


def _keys(result) -> set[str]:
    graph = defs.resolve_asset_graph()
    return {k.to_user_string() for k in graph.get_all_asset_keys() if result.get_num_requested(k)}


def test_automation_brings_downstream_up_to_date(data_home):
    """Declarative automation over the real asset graph: the first evaluation is a baseline; after
    raw_videos is updated its descendants are requested (the sources never are); once they ran,
    automation is quiet."""
    with instance_for_test() as instance:
        for key in defs.resolve_asset_graph().get_all_asset_keys():
            instance.report_runless_asset_event(AssetMaterialization(key))
        baseline = evaluate_automation_conditions(defs=defs, instance=instance)
        assert baseline.total_requested == 0

        instance.report_runless_asset_event(AssetMaterialization("raw_videos"))  # new videos landed
        result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=baseline.cursor)
        requested = _keys(result)
        assert {"video_segments", "segment_embeddings", "segment_interest_model"} <= requested
        assert not requested & {"demo_world", "raw_videos", "interactions"}

        for key in requested:  # those runs happened: nothing more to do
            instance.report_runless_asset_event(AssetMaterialization(key))
        settled = evaluate_automation_conditions(defs=defs, instance=instance, cursor=result.cursor)
        assert settled.total_requested == 0


def test_code_version_follows_the_sql_and_python_not_comments(tmp_path):
    """On a copy of the package: editing an asset's SQL file or its core module changes its code
    version; a comment or docstring does not; unrelated assets keep theirs."""
    root = tmp_path / "seg_pipeline"
    shutil.copytree(package_root(), root, symlinks=False, ignore=shutil.ignore_patterns("__pycache__"))
    labels, videos = "seg_pipeline.assets.warehouse.skip_labels", "seg_pipeline.assets.videos.raw_videos"
    before = {m: code_version(m, root) for m in (labels, videos)}
    assert before[labels] == code_version(labels)  # the copy hashes like the real package

    sql = root / "sql" / "skip_labels.sql"
    sql.write_text(sql.read_text() + "\n-- changed\n")
    after_sql = code_version(labels, root)
    assert after_sql != before[labels] and code_version(videos, root) == before[videos]

    core = root / "warehouse" / "labels.py"
    assert core.is_file(), "skip_labels' core module moved: update this test"
    core.write_text(core.read_text() + "\n# a comment\n")
    assert code_version(labels, root) == after_sql
    core.write_text(core.read_text() + "\nCHANGED = 1\n")
    assert code_version(labels, root) != after_sql
    assert "-- changed" not in (package_root() / "sql" / "skip_labels.sql").read_text()  # the real file untouched


def test_definitions_carry_real_code_versions():
    graph = defs.resolve_asset_graph()
    versions = {k.to_user_string(): graph.get(k).code_version for k in graph.get_all_asset_keys()}
    assert "1" not in versions.values() and None not in versions.values()
    assert versions["demo_world"].startswith("demo-world")  # an explicit version next to the code wins
