"""seg_pipeline: segment-level user interest in short videos, orchestrated by Dagster."""
