"""Databases and tables: create, describe, list, update (retention) and delete, persisted in the store."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tslake.timestream.errors import ConflictError, ResourceNotFoundError, ValidationError
from tslake.timestream.storage import FIXED_COLUMNS, Store

ACCOUNT_ID = "123456789012"
DEFAULT_MEMORY_HOURS = 6
DEFAULT_MAGNETIC_DAYS = 73000
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_.-]+$")
MAX_PAGE = {"databases": 20, "tables": 20}


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def check_name(kind: str, name: Any, max_len: int) -> str:
    if not isinstance(name, str) or not name:
        raise ValidationError(f"{kind} is required")
    if len(name) < 3 or len(name) > max_len or not NAME_PATTERN.match(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at '{kind[0].lower() + kind[1:]}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length "
            f"between 3 and {max_len}"
        )
    return name


@dataclass
class Column:
    name: str
    kind: str  # "dimension" | "measure"
    duckdb_type: str


@dataclass
class Table:
    id: int
    database: str
    name: str
    created: float
    updated: float
    memory_hours: int = DEFAULT_MEMORY_HOURS
    magnetic_days: int = DEFAULT_MAGNETIC_DAYS
    magnetic_writes: dict[str, Any] = field(default_factory=lambda: {"EnableMagneticStoreWrites": False})
    schema: dict[str, Any] = field(default_factory=lambda: {"CompositePartitionKey": [{"Type": "MEASURE"}]})
    columns: dict[str, Column] = field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        return {
            "memory_hours": self.memory_hours,
            "magnetic_days": self.magnetic_days,
            "magnetic_writes": self.magnetic_writes,
            "schema": self.schema,
        }

    def visible_columns(self) -> list[str]:
        dims = [c.name for c in self.columns.values() if c.kind == "dimension"]
        measures = [c.name for c in self.columns.values() if c.kind == "measure"]
        return [*dims, *FIXED_COLUMNS, *measures]

    def describe(self) -> dict[str, Any]:
        return {
            "Arn": f"arn:aws:timestream:{_region()}:{ACCOUNT_ID}:database/{self.database}/table/{self.name}",
            "TableName": self.name,
            "DatabaseName": self.database,
            "TableStatus": "ACTIVE",
            "RetentionProperties": {
                "MemoryStoreRetentionPeriodInHours": self.memory_hours,
                "MagneticStoreRetentionPeriodInDays": self.magnetic_days,
            },
            "CreationTime": self.created,
            "LastUpdatedTime": self.updated,
            "MagneticStoreWriteProperties": self.magnetic_writes,
            "Schema": self.schema,
        }


@dataclass
class Database:
    name: str
    kms_key_id: str
    created: float
    updated: float


def _retention(props: Any, table: Table) -> None:
    if props is None:
        return
    if not isinstance(props, dict):
        raise ValidationError("RetentionProperties must be a structure")
    hours = props.get("MemoryStoreRetentionPeriodInHours")
    days = props.get("MagneticStoreRetentionPeriodInDays")
    if not isinstance(hours, int) or not 1 <= hours <= 8766:
        raise ValidationError(
            f"1 validation error detected: Value '{hours}' at 'retentionProperties.memoryStoreRetentionPeriodInHours' "
            "failed to satisfy constraint: Member must have value between 1 and 8766"
        )
    if not isinstance(days, int) or not 1 <= days <= 73000:
        raise ValidationError(
            f"1 validation error detected: Value '{days}' at 'retentionProperties.magneticStoreRetentionPeriodInDays' "
            "failed to satisfy constraint: Member must have value between 1 and 73000"
        )
    table.memory_hours, table.magnetic_days = hours, days


class Catalog:
    """In-memory view of the catalog, written through to the store on every change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.RLock()
        self.databases: dict[str, Database] = {}
        self.tables: dict[tuple[str, str], Table] = {}
        for name, kms, created, updated in store.execute(f"SELECT * FROM {'__tslake'}.databases"):
            self.databases[name] = Database(name, kms, created, updated)
        for tid, db, name, created, updated, props, columns in store.execute("SELECT * FROM __tslake.tables"):
            p = json.loads(props)
            table = Table(
                tid,
                db,
                name,
                created,
                updated,
                p["memory_hours"],
                p["magnetic_days"],
                p["magnetic_writes"],
                p["schema"],
            )
            table.columns = {c["name"]: Column(c["name"], c["kind"], c["duckdb_type"]) for c in json.loads(columns)}
            self.tables[(db, name)] = table

    # -- databases -------------------------------------------------------------------------------------

    def _db_arn(self, name: str) -> str:
        return f"arn:aws:timestream:{_region()}:{ACCOUNT_ID}:database/{name}"

    def describe_database(self, db: Database) -> dict[str, Any]:
        count = sum(1 for (d, _t) in self.tables if d == db.name)
        return {
            "Arn": self._db_arn(db.name),
            "DatabaseName": db.name,
            "TableCount": count,
            "KmsKeyId": db.kms_key_id,
            "CreationTime": db.created,
            "LastUpdatedTime": db.updated,
        }

    def get_database(self, name: Any) -> Database:
        check_name("DatabaseName", name, 256)
        db = self.databases.get(name)
        if db is None:
            raise ResourceNotFoundError(f"The database {name} does not exist.")
        return db

    def create_database(self, name: Any, kms_key_id: Any = None) -> Database:
        check_name("DatabaseName", name, 256)
        with self.lock:
            if name in self.databases:
                raise ConflictError(f"The database {name} already exists.")
            now = time.time()
            kms = kms_key_id or f"arn:aws:kms:{_region()}:{ACCOUNT_ID}:key/aws/timestream"
            db = Database(name, kms, now, now)
            self.store.create_schema(name)
            self.store.execute("INSERT INTO __tslake.databases VALUES (?, ?, ?, ?)", [name, kms, now, now])
            self.databases[name] = db
            return db

    def update_database(self, name: Any, kms_key_id: Any) -> Database:
        if not isinstance(kms_key_id, str) or not kms_key_id:
            raise ValidationError("KmsKeyId is required")
        with self.lock:
            db = self.get_database(name)
            db.kms_key_id, db.updated = kms_key_id, time.time()
            self.store.execute(
                "UPDATE __tslake.databases SET kms_key_id = ?, updated = ? WHERE name = ?",
                [db.kms_key_id, db.updated, name],
            )
            return db

    def delete_database(self, name: Any) -> None:
        with self.lock:
            self.get_database(name)
            if any(d == name for (d, _t) in self.tables):
                raise ValidationError(
                    f"Cannot delete database {name}: it still contains tables. Delete the tables first."
                )
            self.store.execute("DELETE FROM __tslake.databases WHERE name = ?", [name])
            self.store.drop_schema(name)
            del self.databases[name]

    def list_databases(self) -> list[Database]:
        return sorted(self.databases.values(), key=lambda d: d.name)

    # -- tables ----------------------------------------------------------------------------------------

    def get_table(self, database: Any, name: Any) -> Table:
        self.get_database(database)
        check_name("TableName", name, 256)
        table = self.tables.get((database, name))
        if table is None:
            raise ResourceNotFoundError(f"The table {name} does not exist.")
        return table

    def create_table(self, database: Any, name: Any, request: dict[str, Any]) -> Table:
        with self.lock:
            self.get_database(database)
            check_name("TableName", name, 256)
            if (database, name) in self.tables:
                raise ConflictError(f"The table {name} already exists.")
            now = time.time()
            ids = self.store.execute("SELECT coalesce(max(id), 0) + 1 FROM __tslake.tables")
            table = Table(int(ids[0][0]), database, name, now, now)
            _retention(request.get("RetentionProperties"), table)
            self._apply_optional(table, request)
            self.store.create_data_table(table.id)
            self.store.replace_view(database, name, table.id, table.visible_columns())
            self.store.execute(
                "INSERT INTO __tslake.tables VALUES (?, ?, ?, ?, ?, ?, ?)",
                [table.id, database, name, now, now, json.dumps(table.properties()), "[]"],
            )
            self.tables[(database, name)] = table
            return table

    @staticmethod
    def _apply_optional(table: Table, request: dict[str, Any]) -> None:
        magnetic = request.get("MagneticStoreWriteProperties")
        if magnetic is not None:
            if not isinstance(magnetic, dict) or not isinstance(magnetic.get("EnableMagneticStoreWrites"), bool):
                raise ValidationError("MagneticStoreWriteProperties.EnableMagneticStoreWrites is required")
            table.magnetic_writes = magnetic
        schema = request.get("Schema")
        if schema is not None:
            if not isinstance(schema, dict):
                raise ValidationError("Schema must be a structure")
            table.schema = schema

    def update_table(self, database: Any, name: Any, request: dict[str, Any]) -> Table:
        with self.lock:
            table = self.get_table(database, name)
            _retention(request.get("RetentionProperties"), table)
            self._apply_optional(table, request)
            table.updated = time.time()
            self.store.execute(
                "UPDATE __tslake.tables SET properties = ?, updated = ? WHERE id = ?",
                [json.dumps(table.properties()), table.updated, table.id],
            )
            return table

    def delete_table(self, database: Any, name: Any) -> Table:
        with self.lock:
            table = self.get_table(database, name)
            self.store.drop_table(database, name, table.id)
            self.store.execute("DELETE FROM __tslake.tables WHERE id = ?", [table.id])
            del self.tables[(database, name)]
            return table

    def list_tables(self, database: Any) -> list[Table]:
        if database is not None:
            self.get_database(database)
        tables = [t for t in self.tables.values() if database is None or t.database == database]
        return sorted(tables, key=lambda t: (t.database, t.name))

    def add_columns(self, table: Table, new: list[Column]) -> None:
        """Grow the schema as new dimensions and measures arrive, as Timestream's does. Holds the store
        lock throughout, so an insert never sees DuckDB's columns and `table.columns` disagree."""
        with self.lock, self.store.locked():
            for column in new:
                if column.name in table.columns:
                    continue
                self.store.add_column(table.id, column.name, column.duckdb_type)
                table.columns[column.name] = column
            self.store.replace_view(table.database, table.name, table.id, table.visible_columns())
            self.store.execute(
                "UPDATE __tslake.tables SET columns = ? WHERE id = ?",
                [json.dumps([c.__dict__ for c in table.columns.values()]), table.id],
            )
