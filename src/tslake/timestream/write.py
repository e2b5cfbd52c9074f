"""WriteRecords: the service's validation and rejection rules, Version semantics, and a group-committed
vectorised insert into DuckDB.

Version semantics per (dimensions, measure name, time): an identical record is a no-op, a different value
with a higher Version replaces the stored one, anything else is rejected with the ExistingVersion. The
decision needs the stored (version, value fingerprint) of the key; a per-table in-memory index holds it
for every key still inside the writable window (older keys can't be written any more), so the hot path
does no per-call lookup in DuckDB. Accepted rows are appended to a per-table buffer and inserted by
whichever request thread gets there first (group commit): the call returns only after its rows are in
DuckDB, and concurrent calls share one INSERT.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from tslake.logs import get_logger
from tslake.timestream.catalog import Catalog, Column, Table
from tslake.timestream.errors import TimestreamError, ValidationError
from tslake.timestream.storage import (
    DUCKDB_TYPES,
    RESERVED_PREFIXES,
    SERIES_COLUMN,
    VERSION_COLUMN,
    Store,
    quote,
)

log = get_logger(component="timestream")

MAX_RECORDS_PER_CALL = 100
MAX_DIMENSIONS = 128
MAX_MEASURES_PER_RECORD = 256
MAX_RECORD_BYTES = 2048
MAX_FUTURE_NS = 15 * 60 * 1_000_000_000
NS_PER_UNIT = {"SECONDS": 1_000_000_000, "MILLISECONDS": 1_000_000, "MICROSECONDS": 1_000, "NANOSECONDS": 1}
MEASURE_TYPES = ("DOUBLE", "BIGINT", "VARCHAR", "BOOLEAN", "TIMESTAMP")
SINGLE_COLUMNS = {t: "measure_value::" + t.lower() for t in MEASURE_TYPES}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
HOUR_NS = 3600 * 1_000_000_000
DAY_NS = 24 * HOUR_NS

# Reason texts follow the wording the real service returns, where it is known.
REASON_OUT_OF_RANGE = "The record timestamp is outside the time range [{lo}, {hi}) of the memory store."
REASON_SAME_VERSION = (
    "A record already exists with the same time, dimensions, measure name, and record version. "
    "A higher record version must be specified in order to update the measure value."
)
REASON_LOWER_VERSION = (
    "The record version {version} is lower than the existing version {existing}. "
    "A higher version is required to update the measure value."
)


class RejectedRecordsError(TimestreamError):
    code = "RejectedRecordsException"
    status = 419

    def __init__(self, rejected: list[dict[str, Any]]) -> None:
        super().__init__("One or more records have been rejected. See RejectedRecords for details.")
        self.rejected = rejected

    def body(self) -> dict[str, Any]:
        return {**super().body(), "RejectedRecords": self.rejected}


class _RecordRejectedError(Exception):
    def __init__(self, reason: str, existing_version: int | None = None) -> None:
        self.reason = reason
        self.existing_version = existing_version


def _iso(ns: int) -> str:
    dt = datetime.fromtimestamp(ns // 1_000_000_000, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{(ns % 1_000_000_000) // 1_000_000:03d}Z"


def _datetime_ns(value: datetime) -> int:
    delta = value.replace(tzinfo=None) - datetime(1970, 1, 1)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1_000


def _field_error(path: str, value: Any, constraint: str) -> ValidationError:
    return ValidationError(
        f"1 validation error detected: Value '{value}' at '{path}' failed to satisfy constraint: {constraint}"
    )


def _parse_value(value: Any, mtype: str, name: str, unit_ns: int) -> Any:
    """Turn a measure value string into the column value; a value that does not fit its type rejects."""
    if not isinstance(value, str):
        raise ValidationError(f"Measure value for measure {name} must be a string")
    try:
        if mtype != "VARCHAR" and ("_" in value or value != value.strip()):
            raise ValueError(value)  # Python's int()/float() accept "1_000" and padding; the service does not
        if mtype == "DOUBLE":
            number = float(value)
            if math.isnan(number) or math.isinf(number):
                raise ValueError(value)
            return number
        if mtype == "BIGINT":
            integer = int(value)
            if not INT64_MIN <= integer <= INT64_MAX:
                raise ValueError(value)
            return integer
        if mtype == "BOOLEAN":
            lowered = value.lower()
            if lowered not in ("true", "false"):
                raise ValueError(value)
            return lowered == "true"
        if mtype == "TIMESTAMP":
            return int(value) * unit_ns
    except ValueError:
        raise _RecordRejectedError(f"Invalid measure value '{value}' for measure {name} of type {mtype}.") from None
    return value  # VARCHAR


@dataclass(slots=True)
class _Row:
    index: int
    key: tuple[str, str, int]
    version: int
    fingerprint: int  # hash of the sorted (column, value) pairs: equal values, equal fingerprint
    values: dict[str, Any]
    new_columns: list[Column]


@dataclass
class _TableState:
    """Per-table write state: the key index and the group-commit buffer."""

    lock: threading.Condition = field(default_factory=threading.Condition)
    index: dict[tuple[str, str, int], tuple[int, int]] | None = None  # key -> (version, hash(fingerprint))
    pending: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    upserts: list[tuple[str, str, int]] = field(default_factory=list)
    appended: int = 0
    flushed: int = 0
    flushing: bool = False
    failure: tuple[int, BaseException] | None = None
    last_prune: float = 0.0


class Writer:
    def __init__(self, store: Store, catalog: Catalog, latency_ms: float = 0.0, flush_ms: float = 0.0) -> None:
        self.store = store
        self.catalog = catalog
        self.latency_s = latency_ms / 1000.0
        self.flush_s = flush_ms / 1000.0
        self.states: dict[int, _TableState] = {}
        self.states_lock = threading.Lock()
        self.stopping = threading.Event()
        self.flusher: threading.Thread | None = None
        if self.flush_s > 0:
            self.flusher = threading.Thread(target=self._flush_loop, name="timestream-flush", daemon=True)
            self.flusher.start()

    def _flush_loop(self) -> None:
        while not self.stopping.wait(self.flush_s):
            self.sync_all()

    def sync_all(self) -> None:
        for table in list(self.catalog.tables.values()):
            try:
                self.sync(table)
            except TimestreamError as error:  # the key index is rebuilt from what DuckDB holds
                log.error("timestream_flush_failed", database=table.database, table=table.name, error=str(error))

    def close(self) -> None:
        self.stopping.set()
        if self.flusher is not None:
            self.flusher.join(timeout=10)
        self.sync_all()

    def _state(self, table: Table) -> _TableState:
        with self.states_lock:
            state = self.states.get(table.id)
            if state is None:
                state = self.states[table.id] = _TableState()
            return state

    def forget(self, table: Table) -> None:
        with self.states_lock:
            self.states.pop(table.id, None)

    # -- request validation ------------------------------------------------------------------------------

    def write_records(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.latency_s:
            time.sleep(self.latency_s)
        records = request.get("Records")
        if not isinstance(records, list) or not records:
            raise _field_error("records", records, "Member must have length greater than or equal to 1")
        if len(records) > MAX_RECORDS_PER_CALL:
            raise _field_error(
                "records", f"[{len(records)} records]", "Member must have length less than or equal to 100"
            )
        common = request.get("CommonAttributes") or {}
        if not isinstance(common, dict):
            raise ValidationError("CommonAttributes must be a structure")
        table = self.catalog.get_table(request.get("DatabaseName"), request.get("TableName"))
        state = self._state(table)
        now_ns = time.time_ns()
        lower_ns = now_ns - (
            table.magnetic_days * DAY_NS
            if table.magnetic_writes.get("EnableMagneticStoreWrites")
            else table.memory_hours * HOUR_NS
        )
        upper_ns = now_ns + MAX_FUTURE_NS
        parsed: list[_Row] = []
        rejected: list[dict[str, Any]] = []
        batch_new: dict[str, Column] = {}
        for i, record in enumerate(records):
            try:
                parsed.append(self._parse(i, record, common, table, lower_ns, upper_ns, batch_new))
            except _RecordRejectedError as reject:
                rejected.append({"RecordIndex": i, "Reason": reject.reason})
        with state.lock:
            parsed = self._recheck_columns(parsed, table, rejected)
            self._load_index(table, state, lower_ns)
            assert state.index is not None
            accepted = self._apply_versions(parsed, state.index, rejected)
            new_columns = [c for row, _upsert in accepted for c in row.new_columns]
            if new_columns:
                self.catalog.add_columns(table, new_columns)
            for row, upsert in accepted:
                state.pending[row.key] = row.values
                if upsert:
                    state.upserts.append(row.key)
            state.appended += 1
            ticket = state.appended
            self._prune(table, state, lower_ns)
        if self.flusher is None:
            self._commit(table, state, ticket)
        if rejected:
            rejected.sort(key=lambda r: r["RecordIndex"])
            raise RejectedRecordsError(rejected)
        ingested = len(records) - len(rejected)  # an identical replay counts as ingested: the write succeeded
        return {"RecordsIngested": {"Total": ingested, "MemoryStore": ingested, "MagneticStore": 0}}

    @staticmethod
    def _recheck_columns(rows: list[_Row], table: Table, rejected: list[dict[str, Any]]) -> list[_Row]:
        """A concurrent call may have added the same new column with another type in the meantime."""
        if not any(row.new_columns for row in rows):
            return rows
        kept = []
        for row in rows:
            clash = next(
                (
                    c
                    for c in row.new_columns
                    if c.name in table.columns
                    and (table.columns[c.name].kind, table.columns[c.name].duckdb_type) != (c.kind, c.duckdb_type)
                ),
                None,
            )
            if clash is None:
                kept.append(row)
            else:
                rejected.append(
                    {
                        "RecordIndex": row.index,
                        "Reason": f"Column {clash.name} has another type or role in the table schema.",
                    }
                )
        return kept

    def _parse(
        self,
        i: int,
        record: Any,
        common: dict[str, Any],
        table: Table,
        lower_ns: int,
        upper_ns: int,
        batch_new: dict[str, Column],
    ) -> _Row:
        if not isinstance(record, dict):
            raise _field_error(f"records.{i + 1}.member", record, "Member must be a structure")
        if common:
            merged = {**common, **record}
            if "Dimensions" in common and "Dimensions" in record:
                merged["Dimensions"] = [*common["Dimensions"], *record["Dimensions"]]
        else:
            merged = record
        dims = merged.get("Dimensions") or ()
        name = merged.get("MeasureName")
        raw_time = merged.get("Time")
        unit_ns = NS_PER_UNIT.get(merged.get("TimeUnit", "MILLISECONDS"))
        version = merged.get("Version", 1)
        mtype = merged.get("MeasureValueType", "DOUBLE")
        if type(name) is not str or not name:
            raise _field_error(f"records.{i + 1}.member.measureName", name, "Member must not be null")
        if unit_ns is None:
            raise _field_error(
                f"records.{i + 1}.member.timeUnit",
                merged.get("TimeUnit"),
                "Member must satisfy enum value set: [MILLISECONDS, SECONDS, MICROSECONDS, NANOSECONDS]",
            )
        try:
            time_ns = int(raw_time) * unit_ns  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _field_error(f"records.{i + 1}.member.time", raw_time, "Member must be an integer string") from None
        if type(raw_time) is not str:
            raise _field_error(f"records.{i + 1}.member.time", raw_time, "Member must be a string")
        if type(version) is not int:
            raise _field_error(f"records.{i + 1}.member.version", version, "Member must be a long")
        if type(dims) is not list and dims != ():
            raise _field_error(f"records.{i + 1}.member.dimensions", dims, "Member must be a list")
        if len(dims) > MAX_DIMENSIONS:
            raise _RecordRejectedError(
                f"The record has {len(dims)} dimensions, more than the maximum of {MAX_DIMENSIONS} per record."
            )
        columns = table.columns
        new_columns: list[Column] = []
        values: dict[str, Any] = {"measure_name": name, "time": time_ns}
        series_parts: list[str] = []
        size = len(name)
        for j, dim in enumerate(dims):
            try:
                dname, dvalue = dim["Name"], dim["Value"]
            except (KeyError, TypeError):
                raise _field_error(
                    f"records.{i + 1}.member.dimensions.{j + 1}.member", dim, "Name and Value must not be null"
                ) from None
            if type(dname) is not str or type(dvalue) is not str or not dname:
                raise _field_error(
                    f"records.{i + 1}.member.dimensions.{j + 1}.member", dim, "Name and Value must be strings"
                )
            if len(dim) > 2 and dim.get("DimensionValueType", "VARCHAR") != "VARCHAR":
                raise _field_error(
                    f"records.{i + 1}.member.dimensions.{j + 1}.member.dimensionValueType",
                    dim.get("DimensionValueType"),
                    "Member must satisfy enum value set: [VARCHAR]",
                )
            if not dvalue:
                raise _RecordRejectedError(f"Dimension {dname} has an empty value.")
            if dname in values:
                raise _RecordRejectedError(
                    f"Dimension {dname} appears more than once in the record, or is a reserved name."
                )
            column = columns.get(dname)
            if column is None or column.kind != "dimension":
                self._dimension_column(dname, column, batch_new, new_columns)
            values[dname] = dvalue
            series_parts.append(dname + "\x1e" + dvalue)
            size += len(dname) + len(dvalue)
        items: list[tuple[str, Any]] = []
        if mtype == "MULTI":
            measures = merged.get("MeasureValues")
            if type(measures) is not list or not measures or "MeasureValue" in merged:
                raise _field_error(
                    f"records.{i + 1}.member.measureValues",
                    measures,
                    "MULTI records need MeasureValues and no MeasureValue",
                )
            if len(measures) > MAX_MEASURES_PER_RECORD:
                raise _RecordRejectedError(
                    f"The record has {len(measures)} measures, more than the maximum of "
                    f"{MAX_MEASURES_PER_RECORD} per multi-measure record."
                )
            for j, measure in enumerate(measures):
                try:
                    mname, mvalue, mvtype = measure["Name"], measure["Value"], measure["Type"]
                except (KeyError, TypeError):
                    raise _field_error(
                        f"records.{i + 1}.member.measureValues.{j + 1}.member",
                        measure,
                        "Name, Value and Type must not be null",
                    ) from None
                if type(mname) is not str or not mname:
                    raise _field_error(
                        f"records.{i + 1}.member.measureValues.{j + 1}.member.name", mname, "must not be null"
                    )
                if mvtype not in MEASURE_TYPES:
                    raise _field_error(
                        f"records.{i + 1}.member.measureValues.{j + 1}.member.type",
                        mvtype,
                        "Member must satisfy enum value set: [DOUBLE, BIGINT, VARCHAR, BOOLEAN, TIMESTAMP]",
                    )
                if mname in values:
                    raise _RecordRejectedError(f"Measure {mname} appears more than once, or is also a dimension name.")
                parsed_value = _parse_value(mvalue, mvtype, mname, unit_ns)
                column = columns.get(mname)
                if column is None or column.duckdb_type != DUCKDB_TYPES[mvtype] or column.kind != "measure":
                    self._measure_column(columns, batch_new, mname, mvtype, new_columns)
                values[mname] = parsed_value
                items.append((mname, parsed_value))
                size += len(mname) + len(mvalue)
            items.sort()
        else:
            if mtype not in MEASURE_TYPES:
                raise _field_error(
                    f"records.{i + 1}.member.measureValueType",
                    mtype,
                    "Member must satisfy enum value set: [DOUBLE, BIGINT, VARCHAR, BOOLEAN, TIMESTAMP, MULTI]",
                )
            mvalue = merged.get("MeasureValue")
            if mvalue is None or "MeasureValues" in merged:
                raise _field_error(f"records.{i + 1}.member.measureValue", mvalue, "Member must not be null")
            parsed_value = _parse_value(mvalue, mtype, name, unit_ns)
            column_name = SINGLE_COLUMNS[mtype]
            if column_name not in columns:
                self._measure_column(columns, batch_new, column_name, mtype, new_columns)
            values[column_name] = parsed_value
            items.append((column_name, parsed_value))
            size += len(mvalue)
        if size > MAX_RECORD_BYTES:
            raise _RecordRejectedError(f"The record size of {size} bytes exceeds the maximum record size of 2 KB.")
        if not lower_ns <= time_ns < upper_ns:
            raise _RecordRejectedError(REASON_OUT_OF_RANGE.format(lo=_iso(lower_ns), hi=_iso(upper_ns)))
        series_parts.sort()
        series = sys.intern("\x1f".join(series_parts))  # one string per series in the key index
        values[SERIES_COLUMN] = series
        values[VERSION_COLUMN] = version
        return _Row(i, (series, sys.intern(name), time_ns), version, hash(tuple(items)), values, new_columns)

    @staticmethod
    def _dimension_column(name: str, column: Column | None, batch_new: dict[str, Column], new: list[Column]) -> None:
        if column is not None:
            raise _RecordRejectedError(f"Dimension name {name} is already used as a measure name in the table.")
        column = batch_new.get(name)
        if column is None:
            if name.startswith(RESERVED_PREFIXES) or name in ("measure_name", "time"):
                raise _RecordRejectedError(f"Dimension name {name} is reserved.")
            column = batch_new[name] = Column(name, "dimension", "VARCHAR")
        elif column.kind != "dimension":
            raise _RecordRejectedError(f"Dimension name {name} is used as a measure name earlier in this request.")
        new.append(column)

    @staticmethod
    def _measure_column(
        columns: dict[str, Column], batch_new: dict[str, Column], name: str, mtype: str, new: list[Column]
    ) -> None:
        wanted = DUCKDB_TYPES[mtype]
        column = columns.get(name)
        if column is None:
            column = batch_new.get(name)
            if column is None:
                if name.startswith("__tslake") or name in ("measure_name", "time"):
                    raise _RecordRejectedError(f"Measure name {name} is reserved.")
                column = batch_new[name] = Column(name, "measure", wanted)
            if column.kind != "measure" or column.duckdb_type != wanted:
                raise _RecordRejectedError(
                    f"Measure {name} is given with another type or role earlier in this request."
                )
            new.append(column)
        elif column.kind != "measure":
            raise _RecordRejectedError(f"Measure name {name} is already used as a dimension name in the table.")
        elif column.duckdb_type != wanted:
            raise _RecordRejectedError(
                f"Measure {name} has type {column.duckdb_type} in the table schema, not {mtype}."
            )

    @staticmethod
    def _apply_versions(
        rows: list[_Row], index: dict[tuple[str, str, int], tuple[int, int]], rejected: list[dict[str, Any]]
    ) -> list[tuple[_Row, bool]]:
        accepted: list[tuple[_Row, bool]] = []
        for row in rows:
            fp_hash = row.fingerprint
            existing = index.get(row.key)
            if existing is None:
                index[row.key] = (row.version, fp_hash)
                accepted.append((row, False))
                continue
            existing_version, existing_fp = existing
            if existing_fp == fp_hash:
                if row.version > existing_version:
                    index[row.key] = (row.version, fp_hash)
                    accepted.append((row, True))
                continue  # identical record: a no-op
            if row.version > existing_version:
                index[row.key] = (row.version, fp_hash)
                accepted.append((row, True))
                continue
            reason = (
                REASON_SAME_VERSION
                if row.version == existing_version
                else REASON_LOWER_VERSION.format(version=row.version, existing=existing_version)
            )
            rejected.append({"RecordIndex": row.index, "Reason": reason, "ExistingVersion": existing_version})
        return accepted

    # -- key index -------------------------------------------------------------------------------------

    def _load_index(self, table: Table, state: _TableState, lower_ns: int) -> None:
        """Rebuild the key index from DuckDB: the fingerprint comes from the non-NULL measure columns."""
        if state.index is not None:
            return
        measures = [c.name for c in table.columns.values() if c.kind == "measure"]
        selected = "".join(f", {quote(m)}" for m in measures)
        rows = self.store.execute(
            f"SELECT {SERIES_COLUMN}, measure_name, epoch_ns(time), {VERSION_COLUMN}{selected} "
            f"FROM {self.store.data_table(table.id)} WHERE time >= make_timestamp_ns(?)",
            [lower_ns],
        )
        index: dict[tuple[str, str, int], tuple[int, int]] = {}
        for row in rows:
            items = sorted((m, v) for m, v in zip(measures, row[4:], strict=True) if v is not None)
            if any(isinstance(v, datetime) for _m, v in items):
                items = [(m, _datetime_ns(v) if isinstance(v, datetime) else v) for m, v in items]
            index[(row[0], row[1], row[2])] = (row[3], hash(tuple(items)))
        state.index = index
        state.last_prune = time.monotonic()

    def _prune(self, table: Table, state: _TableState, lower_ns: int) -> None:
        """Once a minute: drop index keys that fell out of the writable window (no write can reach them
        any more), and delete rows older than the magnetic store's retention, as the service does."""
        now = time.monotonic()
        if now - state.last_prune < 60 or state.index is None:
            return
        state.last_prune = now
        stale = [k for k in state.index if k[2] < lower_ns]
        for key in stale:
            del state.index[key]
        expired_ns = time.time_ns() - table.magnetic_days * DAY_NS
        self.store.execute(
            f"DELETE FROM {self.store.data_table(table.id)} WHERE time < make_timestamp_ns(?)", [expired_ns]
        )

    # -- group commit ----------------------------------------------------------------------------------

    def _commit(self, table: Table, state: _TableState, ticket: int) -> None:
        with state.lock:
            while state.flushed < ticket:
                if state.failure is not None and state.failure[0] >= ticket:
                    raise TimestreamError(f"Write failed: {state.failure[1]}")
                if state.flushing:
                    state.lock.wait()
                    continue
                state.flushing = True
                upto = state.appended
                pending, upserts = state.pending, state.upserts
                state.pending, state.upserts = {}, []
                state.lock.release()
                error: BaseException | None = None
                try:
                    self._insert(table, list(pending.values()), upserts)
                except BaseException as exc:
                    error = exc
                finally:
                    state.lock.acquire()
                    state.flushing = False
                    state.flushed = upto
                    if error is not None:
                        state.failure = (upto, error)
                        state.index = None  # rebuilt from what DuckDB really holds
                    state.lock.notify_all()
                if error is not None and ticket <= upto:
                    raise TimestreamError(f"Write failed: {error}")

    def sync(self, table: Table) -> None:
        """Wait until every write acknowledged so far is in DuckDB (queries read their writes)."""
        state = self.states.get(table.id)
        if state is None:
            return
        with state.lock:
            ticket = state.appended
        self._commit(table, state, ticket)

    def _insert(self, table: Table, rows: list[dict[str, Any]], upserts: list[tuple[str, str, int]]) -> None:
        if not rows:
            return
        target = self.store.data_table(table.id)
        # Under the store lock, which add_columns also holds: the column list can't change underneath.
        with self.store.locked() as con:
            # Every column in the data table's physical order, so the batch appends positionally.
            names = ["measure_name", "time", SERIES_COLUMN, VERSION_COLUMN, *table.columns]
            types = [pa.string(), _NS, pa.string(), pa.int64()]
            types += [_ARROW_TYPES[column.duckdb_type] for column in list(table.columns.values())]
            arrays = []
            for name, arrow_type in zip(names, types, strict=True):
                values = [row.get(name) for row in rows]
                if arrow_type == _NS:  # nanosecond integers
                    arrays.append(pa.array(values, pa.int64()).cast(_NS))
                else:
                    arrays.append(pa.array(values, arrow_type))
            staged = pa.Table.from_arrays(arrays, names=names)
            con.execute("BEGIN")
            try:
                if upserts:
                    con.executemany(
                        f"DELETE FROM {target} WHERE {SERIES_COLUMN} = ? AND measure_name = ? "
                        f"AND time = make_timestamp_ns(?)",
                        [list(k) for k in upserts],
                    )
                con.from_arrow(staged).insert_into(target)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise


_NS = pa.timestamp("ns")
_ARROW_TYPES = {
    "DOUBLE": pa.float64(),
    "BIGINT": pa.int64(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP_NS": pa.timestamp("ns"),
}
