"""Downstream uses of segment interest (SPEC 6): score a (user, video) pair, pick a personalised
thumbnail, suggest cuts. Plain functions; the CLI and the Dagster assets are thin layers on top.
A new use is one module here with a `batch_<use>(layout, spec, ...) -> BatchResult` over the shared
scaffold (batch.py), one sql/<table>.sql and one asset in seg_pipeline/assets/downstream/."""
