"""A Timestream-compatible engine on DuckDB: the write and query JSON APIs, served by the local endpoint."""
