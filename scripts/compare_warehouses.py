"""Compare two warehouses table by table, row by row (for refactors that must not change results).

    python scripts/compare_warehouses.py OLD.duckdb NEW.duckdb

Columns that differ by construction between two runs (run ids, timestamps, wall times, absolute
paths under the data root) are left out; every other column must match exactly, floats to 1e-9.
"""
from __future__ import annotations

import argparse
import re

import duckdb
import numpy as np
import pandas as pd

VOLATILE = re.compile(r"(run_id|_at$|seconds|per_s|_path$|^path$|image_path|^device$|created|timestamp|config_json)")


def tables(con) -> set[str]:
    return {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in frame.columns if not VOLATILE.search(c)]
    out = frame[keep].copy()
    for c in keep:
        if pd.api.types.is_float_dtype(out[c].dtype):
            out[c] = out[c].round(9)
        elif not pd.api.types.is_numeric_dtype(out[c].dtype) and not pd.api.types.is_datetime64_any_dtype(out[c].dtype):
            out[c] = out[c].map(lambda v: repr(np.round(np.asarray(v, dtype=float), 9).tolist())
                                if isinstance(v, (list, np.ndarray)) and len(v) and isinstance(v[0], float)
                                else repr(list(v) if isinstance(v, np.ndarray) else v))
    return out.sort_values(keep).reset_index(drop=True) if keep else out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    args = parser.parse_args()
    old, new = duckdb.connect(args.old, read_only=True), duckdb.connect(args.new, read_only=True)
    a, b = tables(old), tables(new)
    status = 0
    for name in sorted(a | b):
        if name not in a or name not in b:
            print(f"{name:32s} only in {'old' if name in a else 'new'}")
            continue
        x = canonical(old.execute(f'SELECT * FROM "{name}"').df())
        y = canonical(new.execute(f'SELECT * FROM "{name}"').df())
        if list(x.columns) != list(y.columns):
            print(f"{name:32s} COLUMNS DIFFER: {sorted(set(x.columns) ^ set(y.columns))}")
            status = 1
            continue
        same = len(x) == len(y) and x.equals(y)
        if not same and len(x) == len(y):
            diff = [c for c in x.columns if not x[c].equals(y[c])]
            sizes = {c: float((x[c] - y[c]).abs().max()) for c in diff if pd.api.types.is_float_dtype(x[c].dtype)}
            print(f"{name:32s} {len(x)} rows, DIFFERENT in columns {diff}"
                  + (f" (max abs float difference {sizes})" if sizes else ""))
            status = 1
        elif not same:
            print(f"{name:32s} ROW COUNT {len(x)} vs {len(y)}")
            status = 1
        else:
            print(f"{name:32s} {len(x)} rows identical")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
