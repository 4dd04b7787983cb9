"""Integrity checks are blocking: a table tampered with between runs fails its check, and Dagster
skips every step downstream instead of training on bad data."""
from __future__ import annotations

from dagster import DagsterEventType, DagsterInstance, materialize

from seg_pipeline.assets.warehouse.interactions import interactions
from seg_pipeline.assets.warehouse.skip_labels import skip_labels, skip_labels_in_range, skip_labels_match_source_label
from seg_pipeline.assets.warehouse.splits import splits
from seg_pipeline.assets.warehouse.user_histories import user_histories
from seg_pipeline.resources import DataHome, LogSource, VideoSource
from seg_pipeline.warehouse.db import connect
from seg_pipeline_tests.test_warehouse_assets import _segmm_log


def _run(data_home, log, selection):
    return materialize(selection, resources={"home": DataHome(root=str(data_home.root)),
                                             "log_source": LogSource(path=str(log), format="segmm"),
                                             "video_source": VideoSource(video_dir="none")},
                       instance=DagsterInstance.ephemeral(), raise_on_error=False)


def test_tampered_source_labels_fail_a_blocking_check_and_downstream_is_skipped(data_home, tmp_path):
    log = _segmm_log(tmp_path)
    assert _run(data_home, log, [interactions]).success
    with connect(data_home.warehouse) as con:  # view 0 left in segment 0; claim it was watched to the end
        con.execute("UPDATE source_labels SET label_1d = '[1 1]' WHERE source_row = 0")

    result = _run(data_home, log, [skip_labels, skip_labels_in_range, skip_labels_match_source_label,
                                   user_histories, splits])
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["skip_labels_match_source_label"].passed is False
    assert checks["skip_labels_match_source_label"].metadata["first_mismatch_view_id"].value == 0
    assert checks["skip_labels_in_range"].passed is True
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == {"skip_labels"}
    started = {e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_START}
    assert "skip_labels" in started and not {"user_histories", "splits"} & started
    assert not result.success  # the run says why: the blocking check failed
    failure = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert "skip_labels_match_source_label" in str(failure[0].event_specific_data.error)
