"""Interaction-log formats: which file to read and how its columns map onto ours.

A log is read by DuckDB as text (CSV with all_varchar, Parquet cast to VARCHAR) so that a bad
value becomes a rejected row with a reason later, never a load error that loses the file. The
mapping from the file's column names to ours is configuration (a format preset plus overrides),
checked against the file's header before anything is written: a wrong mapping fails fast with a
ConfigError that names the field to change.
"""
from __future__ import annotations

import contextlib
import csv
import gzip
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
# Text encodings DuckDB's CSV reader decodes without extensions; "auto" delimiter: the header decides.
ENCODINGS = ("utf-8", "utf-16", "latin-1")
DELIMITERS = {"auto": None, ",": ",", ";": ";", "|": "|", "tab": "\t"}
_HEADER_CANDIDATES = (",", "\t", ";", "|")


@dataclass(frozen=True)
class LogSpec:
    """A resolved log: an existing file, its kind, and {our_name: their_name} for present columns.

    For CSV, `header` is the file's column names and `delimiter` / `encoding` how its lines are read.
    """

    path: Path
    kind: str  # "csv" or "parquet"
    mapping: dict[str, str]
    format: str
    header: tuple[str, ...] = ()
    delimiter: str = ","
    encoding: str = "utf-8"

    def describe(self) -> str:
        if self.kind == "csv":
            return f"{self.path} ({self.format}, csv, delimiter {self.delimiter!r}, {self.encoding})"
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


def _first_line(path: Path, encoding: str) -> str:
    """The header line only (to choose the delimiter): data lines are read by DuckDB alone."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    codec = {"utf-8": "utf-8-sig", "utf-16": "utf-16", "latin-1": "latin_1"}[encoding]
    with opener(path, "rt", encoding=codec, errors="replace", newline="") as handle:
        return handle.readline()


def _choose_delimiter(path: Path, delimiter: str, encoding: str) -> str:
    """The configured delimiter, or ("auto") the candidate the header line holds most often."""
    if delimiter not in DELIMITERS:
        raise ConfigError("log_source.delimiter", f"unknown delimiter {delimiter!r}", f"use one of {list(DELIMITERS)}")
    if DELIMITERS[delimiter] is not None:
        return DELIMITERS[delimiter]
    header = _first_line(path, encoding)
    counts = {c: header.count(c) for c in _HEADER_CANDIDATES}
    best = max(_HEADER_CANDIDATES, key=lambda c: counts[c])  # ties: the earlier candidate (comma first)
    return best if counts[best] else ("\t" if ".tsv" in path.name.lower() else ",")


def _csv_header(path: Path, delimiter: str, encoding: str) -> list[str]:
    """The column names of the header line (the csv module's quoting rules, the same as DuckDB's)."""
    try:
        line = _first_line(path, encoding).rstrip("\r\n")
    except OSError as exc:
        raise ConfigError("log_source.path", f"cannot read {path}: {exc}", "check the file") from exc
    names = next(csv.reader([line], delimiter=delimiter), [])
    if not line.strip() or not names:
        raise ConfigError("log_source.path", f"{path} has no header line", "the first line must name the columns")
    return [n.strip() for n in names]


def csv_relation(con: duckdb.DuckDBPyConnection, spec: LogSpec) -> duckdb.DuckDBPyRelation:
    """The CSV's parsed lines (all text); lines the reader cannot split or decode go to the temporary
    table `log_reject_errors` (DuckDB's store_rejects) instead of failing the read."""
    columns = {name: "VARCHAR" for name in spec.header}
    query = ("SELECT * FROM read_csv($path, columns = $columns, header = true, auto_detect = false, "
             "delim = $delim, quote = '\"', escape = '\"', encoding = $encoding, store_rejects = true, "
             "rejects_table = 'log_reject_errors', rejects_scan = 'log_reject_scans', rejects_limit = 0)")
    con.complete()
    return con.sql(query, params={"path": str(spec.path), "columns": columns, "delim": spec.delimiter,
                                  "encoding": spec.encoding})


def _parquet_relation(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    # DuckDB 2 refuses relational calls while an execute() result is unread (a fetchone() of a
    # one-row answer counts); finish it first.
    con.complete()
    try:
        return con.sql("SELECT * FROM read_parquet($path)", params={"path": str(path)})
    except duckdb.Error as exc:
        raise ConfigError(
            "log_source.path", f"DuckDB cannot read {path} as parquet: {exc}", "check the file and its format"
        ) from exc


def _header_hint(header: list[str], delimiter: str) -> str:
    """When the header came out as one name holding another delimiter, say so (the cause, not the symptom)."""
    if len(header) == 1:
        others = [c for c in _HEADER_CANDIDATES if c != delimiter and c in header[0]]
        if others:
            return (f" The header line splits on {others[0]!r}, not on the delimiter {delimiter!r}: "
                    f"set log_source.delimiter to match the file.")
    return ""


def resolve_log(
    con: duckdb.DuckDBPyConnection,
    layout: DataLayout,
    path: str,
    format: str,
    columns: Optional[Mapping[str, str]] = None,
    *,
    delimiter: str = "auto",
    encoding: str = "utf-8",
) -> LogSpec:
    """Check the configured log against its file before any table is written."""
    if encoding not in ENCODINGS:
        raise ConfigError("log_source.encoding", f"unknown encoding {encoding!r}", f"use one of {list(ENCODINGS)}")
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
    delim = ","
    if kind == "csv":
        delim = _choose_delimiter(resolved, delimiter, encoding)
        header = _csv_header(resolved, delim, encoding)
    else:
        header = list(_parquet_relation(con, resolved).columns)
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
                f"or choose the matching log_source.format ({sorted(FORMATS)})" + _header_hint(header, delim),
            )
    return LogSpec(path=resolved, kind=kind, mapping=mapping, format=format, header=tuple(header),
                   delimiter=delim, encoding=encoding)


_NO_REJECTS = ("SELECT NULL::BIGINT AS line, NULL::VARCHAR AS csv_line, NULL::VARCHAR AS error_type, "
               "NULL::VARCHAR AS error_message, NULL::BIGINT AS byte_position WHERE false")


def stage_log(con: duckdb.DuckDBPyConnection, spec: LogSpec) -> int:
    """Copy the log into temporary table raw_interactions (text, numbered by file row); returns its rows.

    The mapping becomes a connection-local view `log_mapped` built with DuckDB's relational API, so
    column names never pass through string formatting. A CSV line the reader cannot split or decode
    does not stop the read: DuckDB stores it in its rejects table and it becomes a row of
    raw_interactions with the reason (sql/malformed_lines.sql, sql/raw_interactions.sql).
    """
    text = duckdb.sqltypes.VARCHAR
    selected = []
    for ours in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
        if ours in spec.mapping:
            expr = duckdb.ColumnExpression(spec.mapping[ours]).cast(text)
        else:
            expr = duckdb.ConstantExpression(None).cast(text)
        selected.append(expr.alias(ours))
    is_csv = spec.kind == "csv"
    for table in ("temp.log_reject_errors", "temp.log_reject_scans"):  # fixed names: last read's rejects only
        con.execute(f"DROP TABLE IF EXISTS {table}")
    source = csv_relation(con, spec) if is_csv else _parquet_relation(con, spec.path)
    # register() makes a connection-local view (create_view would persist it in the file).
    con.register("log_mapped", source.select(*selected))
    try:
        run_sql(con, "raw_log_rows", {"is_csv": is_csv})
        con.complete()
        rejects = is_csv and con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'log_reject_errors'").fetchall()[0][0] > 0
        con.complete()
        con.register("log_rejects", con.table("log_reject_errors") if rejects else con.sql(_NO_REJECTS))
        run_sql(con, "malformed_lines")
        con.execute("DROP TABLE IF EXISTS temp.raw_interactions")
        if con.execute("SELECT count(*) FROM malformed_lines").fetchall()[0][0]:
            run_sql(con, "raw_interactions")  # merge the malformed lines in file order
        else:
            con.execute("ALTER TABLE temp.raw_log_rows RENAME TO raw_interactions")  # every line parsed: no copy
    except duckdb.Error as exc:
        raise ConfigError(
            "log_source.path", f"DuckDB failed reading {spec.describe()}: {exc}",
            "fix or replace the file, or set log_source.encoding / log_source.delimiter to match it"
        ) from exc
    finally:
        con.unregister("log_mapped")
        with contextlib.suppress(duckdb.Error):
            con.unregister("log_rejects")
    for temporary in ("raw_log_rows", "malformed_lines"):
        con.execute(f"DROP TABLE IF EXISTS temp.{temporary}")
    return con.execute("SELECT count(*) FROM raw_interactions").fetchall()[0][0]


def delimiter_hint(spec: LogSpec, rejected_by_reason: Mapping[str, int]) -> str:
    """When every rejected line failed to split, the likely cause is the delimiter: say so."""
    if spec.kind != "csv" or set(rejected_by_reason) != {"malformed_line"}:
        return ""
    shown = "tab" if spec.delimiter == "\t" else spec.delimiter
    return (f" No line split into the header's {len(spec.header)} fields with the delimiter {shown!r} (taken "
            "from the header line): if the rows use another delimiter than the header, fix the file or set "
            "log_source.delimiter.")
