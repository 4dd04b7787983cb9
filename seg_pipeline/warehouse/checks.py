"""Invariants of the warehouse tables, as plain queries (sql/checks/*.sql) returning numbers.

The asset checks wrap these; tests call them directly.
"""
from __future__ import annotations

import duckdb

from seg_pipeline.warehouse.db import run_sql, table_exists


def _one_row(con: duckdb.DuckDBPyConnection, name: str, params: dict | None = None) -> dict:
    cursor = run_sql(con, f"checks/{name}", params)
    columns = [d[0] for d in cursor.description]
    return dict(zip(columns, cursor.fetchall()[0]))


def interactions_accounted(con: duckdb.DuckDBPyConnection) -> dict:
    """passed: input = accepted + rejected and every input row is in exactly one of them."""
    out = _one_row(con, "interactions_accounted")
    out["passed"] = (
        out["input_rows"] == out["accepted"] + out["rejected"] == out["distinct_rows"]
        and out["rows_not_in_input"] == 0
    )
    return out


def skip_labels_in_range(con: duckdb.DuckDBPyConnection) -> dict:
    out = _one_row(con, "skip_labels_in_range")
    out["passed"] = out["bad_labels"] == 0
    return out


def source_label_agreement(con: duckdb.DuckDBPyConnection) -> dict:
    """Our labels against a label_1D column carried by the log (SegMM); passes when there is none."""
    out = _one_row(con, "skip_labels_source_label")
    out["passed"] = out["matching"] == out["views_with_source_label"]
    return out


ORDER_CHECK_VIEWS = 100_000


def histories_no_leak(con: duckdb.DuckDBPyConnection, history_length: int) -> dict:
    """Leaks over every item; item order over about ORDER_CHECK_VIEWS views (all of a small table)."""
    views = con.execute("SELECT count(*) FROM user_histories").fetchall()[0][0]
    order_every = max(1, views // ORDER_CHECK_VIEWS)
    out = _one_row(con, "user_histories_no_leak", {"history_length": int(history_length), "order_every": order_every})
    bad = ("bad_lengths", "self_items", "foreign_items", "same_time_or_later_items", "out_of_order_items")
    out["passed"] = all(out[k] == 0 for k in bad)
    return out


def split_fractions(con: duckdb.DuckDBPyConnection) -> dict:
    """Shares per split within the recorded tolerance of the protocol's nominal fractions."""
    out = _one_row(con, "split_fractions")
    if not out["examples"]:
        out["passed"] = False
        return out
    tol = out["tolerance"]
    out["passed"] = out["unknown_split"] == 0 and all(
        abs(out[f"{s}_share"] - out[f"{s}_fraction"]) <= tol + 1e-12 for s in ("train", "valid", "test")
    )
    return out


def splits_time_order(con: duckdb.DuckDBPyConnection) -> dict:
    out = _one_row(con, "splits_time_order")
    out["passed"] = out["users_overlapping"] == 0
    return out


def has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    return all(table_exists(con, n) for n in names)
