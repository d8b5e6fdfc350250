"""The warehouse: interface, shared raw-load validation, DuckDB and Snowflake implementations."""
