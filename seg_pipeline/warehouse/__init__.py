"""DuckDB warehouse: connections and the sql/*.sql statements that build each table."""
