"""A Timestream-compatible engine on DuckDB: the write and query JSON APIs, served by the local endpoint.

- `service.py`: `TimestreamService.handle(target, body)`, the JSON protocol (dispatch, error shapes).
- `catalog.py`: databases and tables (retention, magnetic writes, schema), persisted in the DuckDB file.
- `storage.py`: the DuckDB connection; one wide table per Timestream table, grown by ALTER TABLE as new
  dimensions and measures arrive, behind a view with Timestream's columns.
- `write.py`: WriteRecords rules, rejections (RejectedRecordsException), Version semantics, batched inserts.
- `dialect.py`: Timestream SQL -> DuckDB SQL with sqlglot (Trino), `udf.py`: timeseries functions,
  `metadata.py`: SHOW/DESCRIBE, `query.py`: execution, ColumnInfo/Rows encoding, pagination.

Environment (read at construction):
- TSLAKE_LOCAL_TIMESTREAM_WRITE_LATENCY_MS: test-only latency added to every WriteRecords call.
- TSLAKE_LOCAL_TIMESTREAM_FLUSH_MS (default 50): accepted writes reach DuckDB in batches at most this far
  apart; 0 inserts inside each call. Queries always see every acknowledged write (they flush first); an
  endpoint crash (not a clean stop) can lose the last batch, like the rest of the endpoint's in-memory state.
- TSLAKE_LOCAL_TIMESTREAM_ADDRESS: the URL DescribeEndpoints answers (found by itself otherwise).
"""
