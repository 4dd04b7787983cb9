"""The data-root resource: every asset asks it where to read and write."""
from __future__ import annotations

from dagster import ConfigurableResource

from seg_pipeline.paths import DataLayout, resolve_home


class DataHome(ConfigurableResource):
    """Data root. Empty `root` means $SEG_PIPELINE_HOME, else ./.seg_pipeline."""

    root: str = ""

    @property
    def layout(self) -> DataLayout:
        return DataLayout(resolve_home(self.root)).ensure()
