"""Effective-view labels (SPEC 5), built in SQL from `interactions` and `splits`.

The label is what SegRec predicts: did this user watch more of the video than is usual for
videos of its length? Thresholds come from train views only, so valid/test behaviour never
shapes the labels the backbones learn from.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from seg_pipeline.errors import ConfigError
from seg_pipeline.warehouse.db import run_sql, table_exists, transaction
from seg_pipeline.warehouse.fingerprint import frame_fingerprint

LABEL_RULES = ("gt", "ge")  # the first is the default (SPEC 5: "exceeds")
DEFAULT_BUCKETS = 10  # the paper's duration buckets


@dataclass(frozen=True)
class EffectiveViewSummary:
    """Counts for asset metadata: how many views got a label and how many could not."""

    labelled: int
    unsplit_views: int
    positive_rate: dict[str, float]
    degenerate_buckets: list[int]
    buckets: pd.DataFrame  # the effective_view_buckets view
    fingerprint: str  # of (view_id, bucket, label): the asset's data version


def validate_label_config(n_buckets: int, label_rule: str) -> None:
    if n_buckets < 1:
        raise ConfigError("n_buckets", f"must be >= 1, got {n_buckets}", "use 10 (the paper's value)")
    if label_rule not in LABEL_RULES:
        raise ConfigError(
            "label_rule", f"unknown rule '{label_rule}'", f"use one of {', '.join(LABEL_RULES)}"
        )


def build_effective_views(
    con: duckdb.DuckDBPyConnection, n_buckets: int = DEFAULT_BUCKETS, label_rule: str = LABEL_RULES[0]
) -> EffectiveViewSummary:
    """(Re)build `effective_views` and the `effective_view_buckets` view; returns counts."""
    validate_label_config(n_buckets, label_rule)
    for needed in ("interactions", "splits"):
        if not table_exists(con, needed):
            raise RuntimeError(
                f"table '{needed}' is missing from the warehouse; materialise it first "
                "(dagster asset materialize --select +effective_views -m seg_pipeline.definitions)"
            )
    n_train = con.execute("SELECT count(*) FROM splits WHERE split = 'train'").fetchone()[0]
    if n_train == 0:
        raise RuntimeError("the splits table has no train views: effective-view thresholds need some")
    with transaction(con):
        run_sql(con, "effective_views", {"n_buckets": n_buckets, "label_rule": label_rule})
        run_sql(con, "effective_view_buckets")
    labelled = con.execute("SELECT count(*) FROM effective_views").fetchone()[0]
    total = con.execute("SELECT count(*) FROM interactions").fetchone()[0]
    rates = dict(
        con.execute("SELECT split, avg(label) FROM effective_views GROUP BY split ORDER BY split").fetchall()
    )
    degenerate = [
        b
        for (b,) in con.execute(
            "SELECT bucket FROM effective_view_buckets "
            "WHERE train_positive_rate IN (0, 1) ORDER BY bucket"
        ).fetchall()
    ]
    return EffectiveViewSummary(
        labelled=labelled,
        unsplit_views=total - labelled,
        positive_rate={k: float(v) for k, v in rates.items()},
        degenerate_buckets=degenerate,
        buckets=con.execute("SELECT * FROM effective_view_buckets").df(),
        fingerprint=frame_fingerprint(
            con.execute("SELECT view_id, bucket, label FROM effective_views ORDER BY view_id").df()),
    )
