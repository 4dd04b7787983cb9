"""Issue 11, case 2 (Dagster side): the repository's dagster.yaml turns run monitoring on, and a run
whose process died (still STARTED) is marked failed once it exceeds max_runtime_seconds."""
from __future__ import annotations

import logging
import shutil
import time

from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.storage.dagster_run import DagsterRun, RunRecord
from dagster._daemon.monitoring.run_monitoring import check_run_timeout

from seg_pipeline.paths import REPO_ROOT


def test_a_dead_started_run_is_failed_by_monitoring(tmp_path, monkeypatch):
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.chdir(tmp_path)  # the yaml's storage folders are relative
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        assert instance.run_monitoring_enabled
        limit = instance.run_monitoring_max_runtime_seconds
        assert limit >= 3600  # long enough for a real run, which monitoring would also stop
        run = instance.add_run(DagsterRun(job_name="full_pipeline", run_id="dead-run", status=DagsterRunStatus.STARTED))
        record = instance.get_run_record_by_id(run.run_id)
        # What the daemon sees for a CLI run killed with SIGKILL: STARTED, started long ago, no process.
        stale = RunRecord(storage_id=record.storage_id, dagster_run=record.dagster_run,
                          create_timestamp=record.create_timestamp, update_timestamp=record.update_timestamp,
                          start_time=time.time() - limit - 1)
        check_run_timeout(instance, stale, logging.getLogger("test"), float(limit))
        assert instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
    finally:
        instance.dispose()
