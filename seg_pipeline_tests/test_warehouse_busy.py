"""A user's open DuckDB session vs. a run: the writer fails with a clear error, the file survives."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from seg_pipeline.assets.warehouse.interactions import interactions
from seg_pipeline.errors import WarehouseBusyError
from seg_pipeline.resources import DataHome, LogSource, VideoSource
from seg_pipeline.warehouse.db import connect
from seg_pipeline_tests.warehouse_helpers import DEMO_HEADER, build_tables, write_csv

HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)   # what `duckdb -readonly warehouse.duckdb` does
    print(con.execute("SELECT count(*) FROM skip_labels").fetchone()[0], flush=True)
    sys.stdin.read()                                      # hold the file until the test closes stdin
    con.close()
    """
)


@pytest.fixture
def built_warehouse(data_home, tmp_path):
    log = write_csv(tmp_path / "log.csv", DEMO_HEADER, [("u1", f"v{i}", i, 10000, 1000 * i) for i in range(12)])
    with connect(data_home.warehouse) as con:
        build_tables(con, data_home, log)
    return log


def test_reader_blocks_writer_clearly_and_file_stays_intact(data_home, built_warehouse):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_home.warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "12"  # the reader is in and holds its lock
        with pytest.raises(WarehouseBusyError, match="open in another process"):
            with connect(data_home.warehouse):
                pass
        # Other readers are welcome meanwhile.
        with connect(data_home.warehouse, read_only=True) as reader:
            assert reader.execute("SELECT count(*) FROM interactions").fetchone()[0] == 12
        # A whole run fails at its first warehouse step, with the same message.
        result = materialize(
            [interactions],
            resources={
                "home": DataHome(root=str(data_home.root)),
                "log_source": LogSource(path=str(built_warehouse), format="demo"),
                "video_source": VideoSource(video_dir="none"),
            },
            instance=DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        assert "WarehouseBusyError" in str(failure.step_failure_data.error)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert holder.returncode == 0
    con = duckdb.connect(str(data_home.warehouse))  # writable again, and nothing was lost
    try:
        assert con.execute("SELECT count(*) FROM skip_labels").fetchone()[0] == 12
        assert con.execute("SELECT count(*) FROM splits").fetchone()[0] == 12
    finally:
        con.close()


def test_writer_blocks_reader_clearly(data_home, built_warehouse):
    holder_src = HOLDER.replace("read_only=True", "read_only=False")
    holder = subprocess.Popen(
        [sys.executable, "-c", holder_src, str(data_home.warehouse)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "12"
        with pytest.raises(WarehouseBusyError):
            with connect(data_home.warehouse, read_only=True):
                pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
