"""Downstream uses of segment interest (SPEC 6): score a (user, video) pair, pick a personalised
thumbnail, suggest cuts. Plain functions; the CLI and the Dagster assets are thin layers on top."""
