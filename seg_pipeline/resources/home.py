"""The data-root resource: every asset asks it where to read and write."""
from __future__ import annotations

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

    @property
    def layout(self) -> DataLayout:
        return DataLayout(resolve_home(self.root)).ensure()

    def connect(self, read_only: bool = False):
        """The warehouse, waiting up to `busy_timeout_s` for a brief holder of its lock."""
        return connect(self.layout.warehouse, read_only=read_only, busy_timeout_s=self.busy_timeout_s)
