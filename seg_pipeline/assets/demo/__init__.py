"""The demo group: the simulated world the default run reads."""
