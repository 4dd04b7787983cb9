"""Issue 11, case 7: a bad config value never starts a run of full_pipeline. Choices are Literal (Dagster's
schema check at launch), ranges and validators run at launch through the job's ConfigMapping."""
from __future__ import annotations

import pytest
from dagster import DagsterInvalidConfigError, validate_run_config

from seg_pipeline.definitions import defs

JOB = defs.resolve_job_def("full_pipeline")


def _errors(run_config) -> str:
    with pytest.raises(DagsterInvalidConfigError) as err:
        validate_run_config(JOB, run_config)
    return str(err.value)


@pytest.mark.parametrize("run_config, expected", [
    ({"ops": {"user_histories": {"config": {"history_length": 0}}}},
     "ops.user_histories.config.history_length: Input should be greater than or equal to 1"),
    ({"ops": {"user_histories": {"config": {"history_length": 10**9}}}},
     "ops.user_histories.config.history_length: Input should be less than or equal to 10000"),
    ({"ops": {"splits": {"config": {"protocol": "random"}}}}, "random"),
    ({"ops": {"splits": {"config": {"train_fraction": 1e30}}}}, "must be in (0, 1), got 1e+30"),
    ({"ops": {"splits": {"config": {"tolerance": 1e30}}}}, "ops.splits.config.tolerance"),
    ({"ops": {"raw_videos": {"config": {"truncation_tolerance_s": 1e30}}}},
     "truncation_tolerance_s: Input should be less than or equal to 60"),
    ({"ops": {"raw_videos": {"config": {"decoder": "opencv"}}}}, "opencv"),
    ({"ops": {"video_segments": {"config": {"frames_per_segment": 0}}}}, "must be a whole number >= 1"),
    ({"resources": {"video_source": {"config": {"max_duration_s": 1e30}}}},
     "resources.video_source.config.max_duration_s: Input should be less than or equal to 200"),
    ({"resources": {"video_source": {"config": {"min_duration_s": 50, "max_duration_s": 10}}}}, "need min < max"),
    ({"resources": {"log_source": {"config": {"delimiter": "#"}}}}, "#"),
    ({"resources": {"home": {"config": {"busy_timeout_s": -1}}}}, "busy_timeout_s"),
    ({"ops": {"segrec_report": {"config": {"backbones": ["NoSuchNet"]}}}}, "NoSuchNet"),
])
def test_bad_values_fail_at_launch_naming_the_field(run_config, expected):
    assert expected in _errors(run_config)


def test_several_problems_are_listed_together_and_good_configs_pass():
    message = _errors({"ops": {"user_histories": {"config": {"history_length": 0}},
                               "splits": {"config": {"train_fraction": 2.0}}}})
    assert "no step has run" in message and "history_length" in message and "train_fraction" in message
    resolved = validate_run_config(JOB, {"ops": {"user_histories": {"config": {"history_length": 3}}},
                                         "resources": {"log_source": {"config": {"delimiter": "tab"}}}})
    assert resolved["ops"]["user_histories"]["config"]["history_length"] == 3
    assert validate_run_config(JOB, {})  # the default job is unchanged


def test_a_bad_value_fails_execute_in_process_before_any_step(tmp_path, monkeypatch):
    monkeypatch.setenv("SEG_PIPELINE_HOME", str(tmp_path / "home"))
    with pytest.raises(DagsterInvalidConfigError, match="history_length"):
        JOB.execute_in_process(run_config={"ops": {"user_histories": {"config": {"history_length": 0}}}})
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()  # nothing ran, nothing was written
