"""Open the DuckDB warehouse, run the statement files in sql/ with bound parameters, write frames.

Every table is built by exactly one file `sql/<table>.sql`; values reach SQL only as bound
parameters (`$name`), never by string formatting. Python frames enter a table through
`write_frame` alone: the frame is registered as `<table>_input`, the table's SQL file reads it.
"""
from __future__ import annotations

import contextlib
import time
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional

import duckdb
import pandas as pd

from seg_pipeline.errors import WarehouseBusyError

DEFAULT_BUSY_TIMEOUT_S = 5.0  # how long a run waits for a brief reader to let go of the file
# New warehouse files are written in this storage format so that the `duckdb` CLI installed with the
# project (PyPI's duckdb-cli, which lags the Python package by a release) can open them too.
STORAGE_COMPATIBILITY_VERSION = "v1.5.0"


def sql_dir() -> Path:
    """The shipped SQL files (package data `seg_pipeline.sql`, the repository's top-level sql/)."""
    return Path(str(resources.files("seg_pipeline"))) / "sql"


def sql_text(name: str) -> str:
    """The statement in sql/<name>.sql."""
    path = sql_dir() / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file for table '{name}' at {path}")
    return path.read_text()


def _is_lock_conflict(exc: Exception) -> bool:
    return "lock" in str(exc).lower()


@contextlib.contextmanager
def connect(
    path: str | Path, read_only: bool = False, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
    duckdb_settings: Mapping[str, Any] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that waits out brief lock holders (bounded backoff), then turns DuckDB's lock
    conflict into an error saying who holds the file.

    duckdb_settings: DuckDB configuration for this connection, e.g. {"memory_limit": "3GB",
    "temp_directory": "/scratch/duckdb_tmp"} so a build larger than memory spills to disk.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            _create(path)
    deadline = time.monotonic() + max(0.0, busy_timeout_s)
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only, config=dict(duckdb_settings or {}))
            break
        except duckdb.IOException as exc:
            if not _is_lock_conflict(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise WarehouseBusyError(
                    f"the warehouse {path} is open in another process ({exc}); waited {busy_timeout_s:g} s. "
                    "Close other DuckDB sessions on this file (read-only sessions too) or wait for the "
                    "running pipeline to finish, then retry (or raise warehouse busy_timeout_s)."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        yield con
    finally:
        con.close()


def _create(path: Path) -> None:
    """Create an empty warehouse in the CLI-readable storage format (the format sticks to the file)."""
    duckdb.connect(str(path), config={"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION}).close()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All statements inside commit together or not at all (a crash leaves the old tables)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def run_sql(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute sql/<name>.sql with named parameters bound by DuckDB."""
    return con.execute(sql_text(name), dict(params or {}))


def write_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, params: Mapping[str, Any] | None = None
) -> None:
    """(Re)build `table` from a Python frame through sql/<table>.sql, which reads `<table>_input`."""
    view = f"{table}_input"
    con.register(view, frame)
    try:
        run_sql(con, table, params)
    finally:
        con.unregister(view)


def write_frames(
    con: duckdb.DuckDBPyConnection, writes: Iterable[tuple[str, pd.DataFrame, Optional[Mapping[str, Any]]]]
) -> None:
    """Several `write_frame`s in one transaction: readers see all the new tables or all the old."""
    with transaction(con):
        for table, frame, params in writes:
            write_frame(con, table, frame, params)


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return (
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = $name",
            {"name": name},
        ).fetchall()[0][0]
        > 0
    )


def table_schema(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """(column, type) pairs, for asset metadata."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = $name ORDER BY ordinal_position",
        {"name": name},
    ).fetchall()
    return [(c, t) for c, t in rows]


def row_count(con: duckdb.DuckDBPyConnection, name: str) -> int:
    # Identifiers cannot be bound; quote_ident-style escaping keeps the name a single identifier.
    quoted = '"' + name.replace('"', '""') + '"'
    return con.execute(f"SELECT count(*) FROM {quoted}").fetchall()[0][0]
