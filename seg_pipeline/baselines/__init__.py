"""Position baselines: deterministic per-slot skip-frequency priors (SPEC 4)."""
