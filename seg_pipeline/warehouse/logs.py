"""Interaction-log formats: which file to read and how its columns map onto ours.

A log is read by DuckDB as text (CSV with all_varchar, Parquet cast to VARCHAR) so that a bad
value becomes a rejected row with a reason later, never a load error that loses the file. The
mapping from the file's column names to ours is configuration (a format preset plus overrides),
checked against the file's header before anything is written: a wrong mapping fails fast with a
ConfigError that names the field to change.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

import duckdb

from seg_pipeline.errors import ConfigError
from seg_pipeline.paths import REPO_ROOT, DataLayout
from seg_pipeline.warehouse.db import run_sql

DEMO = "demo"

# Our column names: the five every log must provide, then optional ones carried when present.
REQUIRED_COLUMNS = ("user_id", "video_id", "time_ms", "duration_ms", "playing_time_ms")
OPTIONAL_COLUMNS = ("label_1d",)

# Format presets {our_name: their_name}. SegMM's label_1D is kept so the warehouse can show that
# our skip labels reproduce the dataset's own per-segment label vectors.
FORMATS: dict[str, dict[str, str]] = {
    "demo": {c: c for c in REQUIRED_COLUMNS},
    "segmm": {
        "user_id": "user_id",
        "video_id": "video_id",
        "time_ms": "time_ms",
        "duration_ms": "duration_ms",
        "playing_time_ms": "playing_time",
        "label_1d": "label_1D",
    },
    "kuairand": {
        "user_id": "user_id",
        "video_id": "video_id",
        "time_ms": "time_ms",
        "duration_ms": "duration_ms",
        "playing_time_ms": "play_time_ms",
    },
}

CSV_SUFFIXES = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")


@dataclass(frozen=True)
class LogSpec:
    """A resolved log: an existing file, its kind, and {our_name: their_name} for present columns."""

    path: Path
    kind: str  # "csv" or "parquet"
    mapping: dict[str, str]
    format: str

    def describe(self) -> str:
        return f"{self.path} ({self.format}, {self.kind})"


def _file_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise ConfigError(
        "log_source.path",
        f"cannot tell the file type of {path} from its name",
        f"use a file ending in one of {CSV_SUFFIXES + PARQUET_SUFFIXES}",
    )


def _resolve_path(path: str, layout: DataLayout) -> Path:
    """'demo' is the demo world's log; relative paths try the current directory, then the repo root."""
    if path == DEMO:
        demo_log = layout.demo_dir / "interactions.parquet"
        if not demo_log.is_file():
            raise ConfigError(
                "log_source.path",
                f"the demo world's log {demo_log} does not exist",
                "materialize demo_world first, or point log_source.path at a log file",
            )
        return demo_log
    given = Path(os.path.expanduser(path))
    tried = [given] if given.is_absolute() else [Path.cwd() / given, REPO_ROOT / given]
    for candidate in tried:
        if candidate.is_file():
            return candidate.resolve()
    raise ConfigError(
        "log_source.path",
        f"no log file at {' or '.join(str(t) for t in tried)}",
        "give an existing CSV/Parquet file (relative paths resolve against the current "
        "directory, then the repository root) or 'demo'",
    )


def _scan(con: duckdb.DuckDBPyConnection, path: Path, kind: str) -> duckdb.DuckDBPyRelation:
    """The file as a relation; the path is a bound parameter, CSV fields stay text."""
    if kind == "csv":
        query = "SELECT * FROM read_csv($path, all_varchar = true, header = true)"
    else:
        query = "SELECT * FROM read_parquet($path)"
    # DuckDB 2 refuses relational calls while an execute() result is unread (a fetchone() of a
    # one-row answer counts); finish it first.
    con.complete()
    try:
        return con.sql(query, params={"path": str(path)})
    except duckdb.Error as exc:
        raise ConfigError(
            "log_source.path", f"DuckDB cannot read {path} as {kind}: {exc}", "check the file and its format"
        ) from exc


def resolve_log(
    con: duckdb.DuckDBPyConnection,
    layout: DataLayout,
    path: str,
    format: str,
    columns: Optional[Mapping[str, str]] = None,
) -> LogSpec:
    """Check the configured log against its file before any table is written."""
    if format not in FORMATS:
        raise ConfigError("log_source.format", f"unknown format '{format}'", f"use one of {sorted(FORMATS)}")
    wanted = dict(FORMATS[format])
    for ours, theirs in (columns or {}).items():
        if ours not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            raise ConfigError(
                "log_source.columns",
                f"'{ours}' is not one of our column names",
                f"map {{our_name: their_name}} with our_name in {list(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}",
            )
        wanted[ours] = theirs
    resolved = _resolve_path(path, layout)
    kind = _file_kind(resolved)
    header = _scan(con, resolved, kind).columns
    by_lower = {h.lower(): h for h in header}
    mapping: dict[str, str] = {}
    for ours, theirs in wanted.items():
        found = theirs if theirs in header else by_lower.get(theirs.lower())
        if found is not None:
            mapping[ours] = found
        elif ours in REQUIRED_COLUMNS:
            field = f"log_source.columns.{ours}" if columns and ours in columns else "log_source.format"
            raise ConfigError(
                field,
                f"column '{theirs}' (our {ours}) is not in {resolved}; its columns are {header}",
                f"set log_source.columns.{ours} to the file's column for {ours}, "
                f"or choose the matching log_source.format ({sorted(FORMATS)})",
            )
    return LogSpec(path=resolved, kind=kind, mapping=mapping, format=format)


def stage_log(con: duckdb.DuckDBPyConnection, spec: LogSpec) -> int:
    """Copy the log into temporary table raw_interactions (text, numbered by file row); returns its rows.

    The mapping becomes a connection-local view `log_mapped` built with DuckDB's relational API, so
    column names never pass through string formatting; sql/raw_interactions.sql does the rest.
    """
    text = duckdb.sqltypes.VARCHAR
    selected = []
    for ours in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
        if ours in spec.mapping:
            expr = duckdb.ColumnExpression(spec.mapping[ours]).cast(text)
        else:
            expr = duckdb.ConstantExpression(None).cast(text)
        selected.append(expr.alias(ours))
    # register() makes a connection-local view (create_view would persist it in the file).
    con.register("log_mapped", _scan(con, spec.path, spec.kind).select(*selected))
    try:
        run_sql(con, "raw_interactions")
    except duckdb.Error as exc:
        raise ConfigError(
            "log_source.path", f"DuckDB failed reading {spec.describe()}: {exc}", "fix or replace the file"
        ) from exc
    finally:
        con.unregister("log_mapped")
    return con.execute("SELECT count(*) FROM raw_interactions").fetchall()[0][0]
