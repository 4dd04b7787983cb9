"""Evaluation: skip-prediction metrics, the report and its figures."""
