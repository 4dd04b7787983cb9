"""Errors that name what the user must change."""


class ConfigError(ValueError):
    """Invalid configuration: the message names the field and the fix."""

    def __init__(self, field: str, problem: str, fix: str):
        self.field = field
        super().__init__(f"config field '{field}': {problem}. Fix: {fix}")


class WarehouseBusyError(RuntimeError):
    """The DuckDB file is locked by another process (a user's session or another run)."""
