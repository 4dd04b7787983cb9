"""The data-root resource: every asset asks it where to read and write."""
from __future__ import annotations

import contextlib
from typing import Iterator

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from seg_pipeline.paths import DataLayout, resolve_home
from seg_pipeline.warehouse.db import DEFAULT_BUSY_TIMEOUT_S, connect


class DataHome(ConfigurableResource):
    """Data root. Empty `root` means $SEG_PIPELINE_HOME, else ./.seg_pipeline."""

    root: str = ""
    busy_timeout_s: float = Field(DEFAULT_BUSY_TIMEOUT_S, ge=0, le=3600, description="How long a stage waits "
                                  "(s, bounded backoff) for another process holding the warehouse file before it "
                                  "fails with WarehouseBusyError (videos and warehouse stages; others wait "
                                  "the default).")
    memory_limit: str = Field("", description="DuckDB memory_limit for the stages' warehouse connections, "
                              "e.g. '3GiB' (empty = DuckDB's default, 80 % of RAM). A build larger than this "
                              "spills to temp_directory instead of dying.")
    temp_directory: str = Field("", description="Where DuckDB spills when memory_limit is reached (empty = "
                                "DuckDB's default, next to the warehouse file).")

    @property
    def layout(self) -> DataLayout:
        return DataLayout(resolve_home(self.root)).ensure()

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The warehouse, waiting up to `busy_timeout_s` for a brief holder of its lock, with the
        memory settings applied (SET, bound values: per database, so other connections in this
        process are not refused for a different configuration)."""
        with connect(self.layout.warehouse, read_only=read_only, busy_timeout_s=self.busy_timeout_s) as con:
            if self.memory_limit:
                con.execute("SET memory_limit = ?", [self.memory_limit])
            if self.temp_directory:
                con.execute("SET temp_directory = ?", [self.temp_directory])
            yield con
