"""Open the DuckDB warehouse and run the statement files in sql/ with bound parameters.

Every table is built by exactly one file `sql/<table>.sql`; values reach SQL only as bound
parameters (`$name`), never by string formatting.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator, Mapping

import duckdb

from seg_pipeline.errors import WarehouseBusyError
from seg_pipeline.paths import SQL_DIR


def sql_text(name: str) -> str:
    """The statement in sql/<name>.sql."""
    path = SQL_DIR / f"{name}.sql"
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file for table '{name}' at {path}")
    return path.read_text()


@contextlib.contextmanager
def connect(path: str | Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that turns DuckDB's lock conflict into an error saying who holds the file."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise WarehouseBusyError(
                f"the warehouse {path} is open in another process ({exc}). "
                "Close other DuckDB sessions on this file (read-only sessions too) "
                "or wait for the running pipeline to finish, then retry."
            ) from exc
        raise
    try:
        yield con
    finally:
        con.close()


def run_sql(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute sql/<name>.sql with named parameters bound by DuckDB."""
    return con.execute(sql_text(name), dict(params or {}))


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
