"""Thin Dagster assets, one module per pipeline stage; logic lives in the pure packages."""
