"""The DuckDB file behind the engine: catalog rows, one wide data table per Timestream table, and a view
that shows it with Timestream's columns.

Layout (all inside one DuckDB database, file or memory):
- `__tslake.databases` / `__tslake.tables`: the catalog, so it survives a restart.
- `__tslake.t<id>`: the data of one table. Columns are the Timestream columns (dimensions, `measure_name`,
  `time` as TIMESTAMP_NS, `measure_value::<type>` and multi-measure columns) plus two hidden columns for
  version semantics. The schema grows with ALTER TABLE ADD COLUMN as new dimensions and measures arrive.
- `"<database>"."<table>"`: a view with only the Timestream columns in Timestream's order; queries read it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from tslake.timestream import udf

DB_FILE_NAME = "timestream.duckdb"
INTERNAL_SCHEMA = "__tslake"
SERIES_COLUMN = "__tslake_series"
VERSION_COLUMN = "__tslake_version"
HIDDEN_COLUMNS = (SERIES_COLUMN, VERSION_COLUMN)
RESERVED_PREFIXES = ("__tslake", "measure_value::")
FIXED_COLUMNS = ("measure_name", "time")

# Timestream measure type -> DuckDB column type.
DUCKDB_TYPES = {
    "DOUBLE": "DOUBLE",
    "BIGINT": "BIGINT",
    "VARCHAR": "VARCHAR",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP_NS",
}


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class Store:
    """Owns the DuckDB connection. Every statement runs under one lock: a DuckDB connection is not
    safe to use from several threads at once, and the endpoint serves requests from a thread pool."""

    def __init__(self, data_dir: Path | None) -> None:
        if data_dir is None:
            self.path: str = ":memory:"
        else:
            data_dir.mkdir(parents=True, exist_ok=True)
            self.path = str(data_dir / DB_FILE_NAME)
        self.lock = threading.RLock()
        self.con = duckdb.connect(self.path)
        self.con.execute("SET TimeZone = 'UTC'")
        self.catalog_name: str = self.con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {INTERNAL_SCHEMA}")
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {INTERNAL_SCHEMA}.databases ("
            "name VARCHAR PRIMARY KEY, kms_key_id VARCHAR, created DOUBLE, updated DOUBLE)"
        )
        self.con.execute(
            f"CREATE TABLE IF NOT EXISTS {INTERNAL_SCHEMA}.tables ("
            "id INTEGER PRIMARY KEY, database VARCHAR, name VARCHAR, created DOUBLE, updated DOUBLE, "
            "properties JSON, columns JSON)"
        )
        udf.register(self.con)
        self._warm_up()

    def _warm_up(self) -> None:
        """The first Arrow insert imports ~0.5 s of modules; pay that at start-up, not in a client's call."""
        import pyarrow as pa

        self.con.execute("CREATE TEMP TABLE __tslake_warm_up (x BIGINT)")
        self.con.from_arrow(pa.table({"x": pa.array([1], pa.int64())})).insert_into("__tslake_warm_up")
        self.con.sql("SELECT * FROM __tslake_warm_up").to_arrow_table()
        self.con.execute("DROP TABLE __tslake_warm_up")

    @contextmanager
    def locked(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.lock:
            yield self.con

    def execute(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.con.execute(sql, params or []).fetchall()

    def close(self) -> None:
        with self.lock:
            self.con.close()

    # -- data tables ---------------------------------------------------------------------------------

    @staticmethod
    def data_table(table_id: int) -> str:
        return f"{INTERNAL_SCHEMA}.t{table_id}"

    def create_data_table(self, table_id: int) -> None:
        self.execute(
            f"CREATE TABLE IF NOT EXISTS {self.data_table(table_id)} ("
            f"measure_name VARCHAR NOT NULL, time TIMESTAMP_NS NOT NULL, "
            f"{SERIES_COLUMN} VARCHAR NOT NULL, {VERSION_COLUMN} BIGINT NOT NULL)"
        )

    def add_column(self, table_id: int, name: str, duckdb_type: str) -> None:
        self.execute(f"ALTER TABLE {self.data_table(table_id)} ADD COLUMN {quote(name)} {duckdb_type}")

    def replace_view(self, database: str, table: str, table_id: int, visible: list[str]) -> None:
        columns = ", ".join(quote(c) for c in visible)
        with self.lock:
            self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(database)}")
            self.con.execute(
                f"CREATE OR REPLACE VIEW {quote(database)}.{quote(table)} AS "
                f"SELECT {columns} FROM {self.data_table(table_id)}"
            )

    def drop_table(self, database: str, table: str, table_id: int) -> None:
        with self.lock:
            self.con.execute(f"DROP VIEW IF EXISTS {quote(database)}.{quote(table)}")
            self.con.execute(f"DROP TABLE IF EXISTS {self.data_table(table_id)}")

    def create_schema(self, database: str) -> None:
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(database)}")

    def drop_schema(self, database: str) -> None:
        if database != "main":
            self.execute(f"DROP SCHEMA IF EXISTS {quote(database)}")
