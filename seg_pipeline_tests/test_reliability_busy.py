"""Issue 11, case 5: a brief reader (open read-only for 50 ms every 0.5 s) never fails a run; how long
a stage waits for the lock is the `home` resource's busy_timeout_s."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from dagster import DagsterInstance, materialize

from seg_pipeline.assets.warehouse.interactions import interactions, interactions_accounted_for
from seg_pipeline.assets.warehouse.skip_labels import skip_labels, skip_labels_in_range
from seg_pipeline.assets.warehouse.splits import splits
from seg_pipeline.assets.warehouse.user_histories import user_histories, user_histories_no_leak
from seg_pipeline.resources import DataHome, LogSource, VideoSource
from seg_pipeline.warehouse.db import connect
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER, write_csv

BRIEF_READER = textwrap.dedent(
    """
    import sys, time, duckdb
    opened = 0
    while True:
        try:
            con = duckdb.connect(sys.argv[1], read_only=True)
        except duckdb.Error:
            pass                      # the run holds the file right now: try again next round
        else:
            time.sleep(0.05)          # a quick look, e.g. `duckdb -readonly ... -c 'SELECT ...'`
            con.close()
            opened += 1
            print(opened, flush=True)
        time.sleep(0.45)
    """
)
ASSETS = [interactions, interactions_accounted_for, skip_labels, skip_labels_in_range, user_histories,
          user_histories_no_leak, splits]


def _run(data_home, log, busy_timeout_s=None):
    home = DataHome(root=str(data_home.root)) if busy_timeout_s is None else \
        DataHome(root=str(data_home.root), busy_timeout_s=busy_timeout_s)
    return materialize(ASSETS, resources={"home": home, "log_source": LogSource(path=str(log), format="demo"),
                                          "video_source": VideoSource(video_dir="none")},
                       run_config={"ops": {"user_histories": {"config": {"history_length": 3}}}},
                       instance=DagsterInstance.ephemeral(), raise_on_error=False)


def test_a_run_succeeds_beside_a_brief_reader(data_home, tmp_path):
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER,
                    [(f"u{u}", f"v{i % 7}", 1000 * i, 10000, 700 * i) for u in range(4) for i in range(12)])
    with connect(data_home.warehouse):
        pass  # the file exists before the reader starts looking
    reader = subprocess.Popen([sys.executable, "-c", BRIEF_READER, str(data_home.warehouse)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "1"  # the reader is looking
        results = [_run(data_home, log) for _ in range(2)]
    finally:
        reader.kill()
        reader.wait(timeout=30)
        reader.stdout.close()
    assert all(r.success for r in results)
    assert DataHome(root=str(data_home.root), busy_timeout_s=0.5).busy_timeout_s == 0.5


def test_busy_timeout_s_bounds_the_wait_for_a_long_holder(data_home, tmp_path):
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, [("u1", "v1", 1000, 10000, 700)])
    with connect(data_home.warehouse):
        pass
    holder = subprocess.Popen([sys.executable, "-c", "import sys, duckdb; c = duckdb.connect(sys.argv[1], "
                               "read_only=True); print('in', flush=True); sys.stdin.read()", str(data_home.warehouse)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "in"
        result = materialize([interactions], resources={
            "home": DataHome(root=str(data_home.root), busy_timeout_s=0.3),
            "log_source": LogSource(path=str(log), format="demo"), "video_source": VideoSource(video_dir="none")},
            instance=DagsterInstance.ephemeral(), raise_on_error=False)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert not result.success
    error = str(next(e for e in result.all_events if e.is_step_failure).step_failure_data.error)
    assert "WarehouseBusyError" in error and "waited 0.3 s" in error
