"""The README's `duckdb -readonly warehouse.duckdb "..."` line works with the CLI the install provides."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from seg_pipeline.warehouse.db import connect


def _duckdb_cli() -> str:
    beside_python = Path(sys.executable).parent / "duckdb"
    found = str(beside_python) if beside_python.is_file() else shutil.which("duckdb")
    if found is None:
        pytest.fail("the duckdb CLI is not installed (pyproject dependency duckdb-cli)")
    return found


def test_cli_reads_a_warehouse_written_by_the_pipeline(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    with connect(path) as con:
        con.execute("CREATE TABLE rejected_interactions AS SELECT * FROM (VALUES ('duplicate', 2), "
                    "('null_field', 3)) t(reason, n)")
        con.execute("CREATE TABLE emb AS SELECT 7 AS segment_idx, [0.5, 0.25]::FLOAT[] AS embedding")
    done = subprocess.run([_duckdb_cli(), "-readonly", "-csv", str(path),
                           "SELECT reason, n FROM rejected_interactions ORDER BY reason; "
                           "SELECT segment_idx, embedding[2] AS second FROM emb"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["reason,n", "duplicate,2", "null_field,3", "segment_idx,second", "7,0.25"]


def test_home_applies_duckdb_memory_settings(tmp_path):
    from seg_pipeline.resources import DataHome

    home = DataHome(root=str(tmp_path / "home"), memory_limit="512MiB", temp_directory=str(tmp_path / "spill"))
    with home.connect() as con:
        limit, spill = con.execute("SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchall()[0]
    assert limit == "512.0 MiB"
    assert spill == str(tmp_path / "spill")
