"""The warehouse assets and their checks, materialized by Dagster on small real log files."""
from __future__ import annotations

import duckdb
import pytest
from dagster import DagsterInstance, DagsterInvalidConfigError, materialize

from seg_pipeline.assets.warehouse.interactions import interactions, interactions_accounted_for
from seg_pipeline.assets.warehouse.skip_labels import skip_labels, skip_labels_in_range, skip_labels_match_source_label
from seg_pipeline.assets.warehouse.splits import split_fractions_within_tolerance, splits, splits_in_time_order
from seg_pipeline.assets.warehouse.user_histories import user_histories, user_histories_no_leak
from seg_pipeline.assets.warehouse.views import position_skip_rates, video_skip_histogram
from seg_pipeline.resources import DataHome, LogSource, VideoSource
from seg_pipeline_tests.warehouse_helpers import write_csv

ASSETS = [interactions, skip_labels, user_histories, splits, position_skip_rates, video_skip_histogram]
CHECKS = [
    interactions_accounted_for,
    skip_labels_in_range,
    skip_labels_match_source_label,
    user_histories_no_leak,
    split_fractions_within_tolerance,
    splits_in_time_order,
]
SEGMM_HEADER = ("user_id", "video_id", "time_ms", "duration_ms", "playing_time", "label_1D")


def _segmm_log(tmp_path):
    """4 users x 10 views of 10-s videos (N = 2); views 3 and 4 of each user share a timestamp."""
    rows = []
    for u in range(4):
        for i in range(10):
            playing = (0, 7000, 10000)[i % 3]
            label = ("[ 0 -1]", "[1 0]", "[1 1]")[i % 3]
            rows.append((u, 100 + (u * 10 + i) % 13, 1000 * i if i != 4 else 3000, 10000, playing, label))
    rows.append((9, 5, 1, 250000, 1, "[0]"))  # 201 s: out of scope, rejected
    return write_csv(tmp_path / "segmm_small.csv", SEGMM_HEADER, rows)


def _materialize(data_home, log_source, video_source, run_config=None, selection=None):
    return materialize(
        selection or ASSETS + CHECKS,
        resources={"home": DataHome(root=str(data_home.root)), "log_source": log_source, "video_source": video_source},
        run_config=run_config or {},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _metadata(result, asset_name):
    mats = [m for m in result.asset_materializations_for_node(asset_name)]
    return {k: v.value for k, v in mats[-1].metadata.items()}


def test_materialize_on_ids_only(data_home, tmp_path):
    result = _materialize(
        data_home,
        LogSource(path=str(_segmm_log(tmp_path)), format="segmm"),
        VideoSource(video_dir="none"),
        {"ops": {"user_histories": {"config": {"history_length": 3}}}},
    )
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {c.check_key.name for c in CHECKS}
    assert all(e.passed for e in evaluations.values()), {n: e.metadata for n, e in evaluations.items()}

    inter = _metadata(result, "interactions")
    assert (inter["input_rows"], inter["accepted"], inter["rejected"]) == (41, 40, 1)
    assert inter["rejected_duration_out_of_scope"] == 1 and inter["rejected_unknown_video"] == 0
    labels = _metadata(result, "skip_labels")
    assert (labels["views_with_source_label"], labels["source_label_matches"]) == (40, 40)
    assert labels["full_watches"] == 4 * 3  # i = 2, 5, 8 in each user
    assert _metadata(result, "user_histories")["history_length"] == 3
    split = _metadata(result, "splits")
    # Per user: ranks 3-4 share a time (middle 3.5 < 8 -> train); ceil(0.8*10) = 8 train, 1 valid, 1 test.
    assert (split["train_views"], split["valid_views"], split["test_views"]) == (32, 4, 4)
    assert split["protocol"] == "temporal"
    assert (split["test_share"], split["test_fraction_target"]) == (0.1, 0.1) and "test_fraction" not in split

    con = duckdb.connect(str(data_home.warehouse), read_only=True)
    try:
        assert con.execute("SELECT max(history_length) FROM user_histories").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM position_skip_rates").fetchone()[0] == 2
        assert not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'videos'").fetchone()[0]
    finally:
        con.close()


def test_unknown_videos_rejected_when_videos_are_present(data_home, tmp_path):
    with duckdb.connect(str(data_home.warehouse)) as con:  # what raw_videos would have left behind
        con.execute("CREATE TABLE videos AS SELECT * FROM (VALUES ('v1', 'v1.mp4'), ('v2', 'v2.mp4')) t(video_id, path)")
    rows = [("u1", "v1", 1, 10000, 100), ("u1", "v2", 2, 10000, 100), ("u1", "v3", 3, 10000, 100)]
    log = write_csv(tmp_path / "log.csv", ("user_id", "video_id", "time_ms", "duration_ms", "playing_time_ms"), rows)
    result = _materialize(
        data_home,
        LogSource(path=str(log), format="demo"),
        VideoSource(video_dir=str(tmp_path)),
        {"ops": {"splits": {"config": {"protocol": "published", "min_user_views": 1, "history_only_views": 0}}}},
        selection=[interactions, skip_labels, user_histories, splits],
    )
    assert result.success
    inter = _metadata(result, "interactions")
    assert (inter["accepted"], inter["rejected_unknown_video"], inter["checked_against_videos"]) == (2, 1, True)
    assert _metadata(result, "splits")["protocol"] == "published"


def test_bad_mapping_fails_the_run_naming_the_field(data_home, tmp_path):
    log = write_csv(tmp_path / "log.csv", ("user_id", "video_id", "time_ms", "duration_ms", "playing_time_ms"),
                    [("u1", "v1", 1, 10000, 100)])
    result = _materialize(
        data_home, LogSource(path=str(log), format="kuairand"), VideoSource(video_dir="none"), selection=[interactions]
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = str(failure.step_failure_data.error)
    assert "log_source.format" in message and "play_time_ms" in message


def test_unknown_split_protocol_fails_at_launch(data_home):
    # A Literal choice: Dagster's own schema check refuses it before a run exists, even ad hoc.
    with pytest.raises(DagsterInvalidConfigError, match="leave_one_out"):
        _materialize(data_home, LogSource(), VideoSource(video_dir="none"),
                     {"ops": {"splits": {"config": {"protocol": "leave_one_out"}}}}, selection=[splits])


@pytest.mark.parametrize("bad", [{"train_fraction": 1.5}])
def test_bad_split_config_fails_fast(data_home, tmp_path, bad):
    # Ad hoc (outside full_pipeline, whose launch checks catch it earlier) it fails on its settings
    # before it opens the warehouse, so no upstream tables are needed.
    result = _materialize(
        data_home, LogSource(), VideoSource(video_dir="none"), {"ops": {"splits": {"config": bad}}}, selection=[splits]
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "ops.splits.config" in str(failure.step_failure_data.error)


def test_history_length_below_one_fails_when_the_step_starts(data_home):
    result = _materialize(data_home, LogSource(), VideoSource(video_dir="none"),
                          {"ops": {"user_histories": {"config": {"history_length": 0}}}}, selection=[user_histories])
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert "history_length" in str(failure.step_failure_data.error)


def test_every_asset_names_its_kinds():
    for asset in ASSETS:
        assert asset.specs_by_key[asset.key].kinds == {"duckdb"}, asset.key
