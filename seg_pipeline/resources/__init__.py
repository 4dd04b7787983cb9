"""Dagster resources: shared infrastructure and the run's data sources."""
from __future__ import annotations

from seg_pipeline.resources.home import DataHome
from seg_pipeline.resources.settings import RunSettings
from seg_pipeline.resources.sources import LogSource, VideoSource
from seg_pipeline.resources.tracking import MlflowTracking


def default_resources() -> dict:
    """Resource instances used by the job unless a run config overrides their fields."""
    return {
        "home": DataHome(),
        "video_source": VideoSource(),
        "log_source": LogSource(),
        "tracking": MlflowTracking(),
        "run_settings": RunSettings(),
    }
