"""Query: run the translated SQL in DuckDB and return ColumnInfo and Rows as the service does, in pages
(MaxRows, NextToken). A result is computed once; the following pages are cut from it."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from tslake.timestream import dialect
from tslake.timestream.catalog import Catalog
from tslake.timestream.errors import ValidationError
from tslake.timestream.metadata import metadata_sql
from tslake.timestream.storage import Store

PAGE_BYTES = 1_000_000  # the service returns at most ~1 MB of rows per page
ENCODE_CHUNK = 2_000
MAX_KEPT_RESULTS = 32
RESULT_TTL_S = 3600.0

Encoder = Callable[[Any], dict[str, Any]]


def format_timestamp(ns: int) -> str:
    """Timestream's own format: `YYYY-MM-DD HH:MM:SS.fffffffff`, UTC."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}"


def _format_double(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def _format_interval(value: Any) -> str:
    months, days, nanos = value.months, value.days, value.nanoseconds
    if months:
        return f"{months // 12}-{months % 12}"
    seconds, fraction = divmod(nanos, 1_000_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days} {hours:02d}:{minutes:02d}:{secs:02d}.{fraction:09d}"


def _nullable(encode: Callable[[Any], dict[str, Any]]) -> Encoder:
    def wrapped(value: Any) -> dict[str, Any]:
        if value is None:
            return {"NullValue": True}
        return encode(value)

    return wrapped


def _is_timeseries(t: pa.DataType) -> bool:
    if not (pa.types.is_list(t) or pa.types.is_large_list(t)):
        return False
    inner = t.value_type
    return (
        pa.types.is_struct(inner)
        and [f.name for f in inner] == ["time", "value"]
        and pa.types.is_timestamp(inner.field("time").type)
    )


def column_type(t: pa.DataType) -> tuple[dict[str, Any], Encoder, pa.DataType]:
    """Timestream's ColumnInfo Type, a value encoder, and the arrow type to read values as
    (timestamps as int64 nanoseconds, so no precision is lost on the way)."""
    if _is_timeseries(t):
        value_info, value_encode, value_read = column_type(t.value_type.field("value").type)
        read = pa.list_(pa.struct([("time", pa.int64()), ("value", value_read)]))

        def encode_series(items: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                "TimeSeriesValue": [
                    {"Time": format_timestamp(item["time"]), "Value": value_encode(item["value"])} for item in items
                ]
            }

        return {"TimeSeriesMeasureValueColumnInfo": {"Type": value_info}}, _nullable(encode_series), read
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        item_info, item_encode, item_read = column_type(t.value_type)
        return (
            {"ArrayColumnInfo": {"Type": item_info}},
            _nullable(lambda items: {"ArrayValue": [item_encode(i) for i in items]}),
            pa.list_(item_read),
        )
    if pa.types.is_struct(t):
        parts = [(f.name, *column_type(f.type)) for f in t]
        read = pa.struct([(name, read_type) for name, _i, _e, read_type in parts])
        return (
            {"RowColumnInfo": [{"Name": name, "Type": info} for name, info, _e, _r in parts]},
            _nullable(lambda row: {"RowValue": {"Data": [enc(row[name]) for name, _i, enc, _r in parts]}}),
            read,
        )
    if pa.types.is_timestamp(t):
        return {"ScalarType": "TIMESTAMP"}, _nullable(lambda v: {"ScalarValue": format_timestamp(v)}), pa.int64()
    if pa.types.is_boolean(t):
        return {"ScalarType": "BOOLEAN"}, _nullable(lambda v: {"ScalarValue": "true" if v else "false"}), t
    if pa.types.is_int32(t) or pa.types.is_int16(t) or pa.types.is_int8(t):
        return {"ScalarType": "INTEGER"}, _nullable(lambda v: {"ScalarValue": str(v)}), t
    if pa.types.is_integer(t):
        return {"ScalarType": "BIGINT"}, _nullable(lambda v: {"ScalarValue": str(v)}), t
    if pa.types.is_decimal(t):
        if t.scale == 0:
            return {"ScalarType": "BIGINT"}, _nullable(lambda v: {"ScalarValue": str(int(v))}), t
        return {"ScalarType": "DOUBLE"}, _nullable(lambda v: {"ScalarValue": _format_double(float(v))}), t
    if pa.types.is_floating(t):
        return {"ScalarType": "DOUBLE"}, _nullable(lambda v: {"ScalarValue": _format_double(v)}), t
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return {"ScalarType": "VARCHAR"}, _nullable(lambda v: {"ScalarValue": v}), pa.string()
    if pa.types.is_date(t):
        return {"ScalarType": "DATE"}, _nullable(lambda v: {"ScalarValue": v.isoformat()}), t
    if pa.types.is_time(t):
        return {"ScalarType": "TIME"}, _nullable(lambda v: {"ScalarValue": v.strftime("%H:%M:%S.%f") + "000"}), t
    if pa.types.is_interval(t):
        return {"ScalarType": "INTERVAL_DAY_TO_SECOND"}, _nullable(lambda v: {"ScalarValue": _format_interval(v)}), t
    if pa.types.is_null(t):
        return {"ScalarType": "UNKNOWN"}, lambda _v: {"NullValue": True}, t
    raise ValidationError(f"Result column type {t} is not supported by the local Timestream engine")


def _with_ns(t: pa.DataType) -> pa.DataType:
    """The same type with every timestamp in nanoseconds (DuckDB returns TIMESTAMP as microseconds)."""
    if pa.types.is_timestamp(t):
        return pa.timestamp("ns")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return pa.list_(_with_ns(t.value_type))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _with_ns(f.type)) for f in t])
    return t


def _cast_for_reading(array: pa.ChunkedArray, read: pa.DataType) -> pa.ChunkedArray:
    if array.type.equals(read):
        return array
    return array.cast(_with_ns(array.type), safe=False).cast(read, safe=False)


_NULL = '{"NullValue":true}'


def _fragments(array: pa.ChunkedArray, encode: Encoder, read: pa.DataType) -> list[str]:
    """Each value of a column as its JSON Datum text. Scalars are formatted column-wise (a 90k-row result
    would otherwise spend seconds building and serialising one dict per cell)."""
    t = array.type
    if pa.types.is_timestamp(t):
        texts = pc.strftime(array.cast(pa.timestamp("ns"), safe=False), format="%Y-%m-%d %H:%M:%S").to_pylist()
        return [_NULL if v is None else '{"ScalarValue":"' + v + '"}' for v in texts]
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return [_NULL if v is None else '{"ScalarValue":' + encode_basestring_ascii(v) + "}" for v in array.to_pylist()]
    if pa.types.is_floating(t):
        return [_NULL if v is None else '{"ScalarValue":"' + _format_double(v) + '"}' for v in array.to_pylist()]
    if pa.types.is_integer(t):
        return [_NULL if v is None else '{"ScalarValue":"' + str(v) + '"}' for v in array.to_pylist()]
    if pa.types.is_boolean(t):
        return [
            _NULL if v is None else '{"ScalarValue":"' + ("true" if v else "false") + '"}' for v in array.to_pylist()
        ]
    return [json.dumps(encode(v), separators=(",", ":")) for v in _cast_for_reading(array, read).to_pylist()]


@dataclass
class EncodedResponse:
    """A response already serialised (the Query pages are built as JSON text)."""

    body: bytes


@dataclass
class _Result:
    """A computed result; rows are encoded a chunk at a time as pages are asked for."""

    query_string: str
    column_info: list[dict[str, Any]]
    table: pa.Table
    codecs: list[tuple[Encoder, pa.DataType]]
    rows: int
    created: float

    def encoded_rows(self, start: int, count: int) -> list[str]:
        chunk = self.table.slice(start, count)
        columns = [
            _fragments(array, encode, read) for array, (encode, read) in zip(chunk.columns, self.codecs, strict=True)
        ]
        return ['{"Data":[' + ",".join(cells) + "]}" for cells in zip(*columns, strict=True)]


class QueryEngine:
    def __init__(self, store: Store, catalog: Catalog, before_query: Callable[[], None]) -> None:
        self.store = store
        self.catalog = catalog
        self.before_query = before_query
        self.results: OrderedDict[str, _Result] = OrderedDict()
        self.lock = threading.Lock()

    def query(self, request: dict[str, Any]) -> EncodedResponse:
        query_string = request.get("QueryString")
        if not isinstance(query_string, str) or not query_string:
            raise ValidationError(
                "1 validation error detected: Value null at 'queryString' failed to satisfy "
                "constraint: Member must not be null"
            )
        max_rows = request.get("MaxRows")
        if max_rows is not None and (not isinstance(max_rows, int) or not 1 <= max_rows <= 1000):
            raise ValidationError(
                f"1 validation error detected: Value '{max_rows}' at 'maxRows' failed to satisfy constraint: "
                "Member must have value between 1 and 1000"
            )
        token = request.get("NextToken")
        if token:
            query_id, offset = self._decode_token(token)
            with self.lock:
                result = self.results.get(query_id)
            if result is None or result.query_string != query_string:
                raise ValidationError("The NextToken is invalid or has expired, or belongs to another query")
        else:
            query_id, offset = str(uuid.uuid4()), 0
            result = self._run(query_string)
            with self.lock:
                self._expire()
                self.results[query_id] = result
        return self._page(query_id, result, offset, max_rows)

    def cancel(self, request: dict[str, Any]) -> dict[str, Any]:
        query_id = request.get("QueryId")
        if not isinstance(query_id, str) or not query_id:
            raise ValidationError(
                "1 validation error detected: Value null at 'queryId' failed to satisfy "
                "constraint: Member must not be null"
            )
        with self.lock:
            self.results.pop(query_id, None)
        return {"CancellationMessage": f"Query {query_id} has been cancelled."}

    def _run(self, query_string: str) -> _Result:
        sql = metadata_sql(query_string, self.catalog) or dialect.translate(query_string, self.store.catalog_name)
        self.before_query()
        try:
            with self.store.locked() as con:
                table = con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            message = str(exc).split("\n")[0]
            raise ValidationError(f"Query failed: {message}") from None
        column_info: list[dict[str, Any]] = []
        codecs: list[tuple[Encoder, pa.DataType]] = []
        for field in table.schema:
            info, encode, read = column_type(field.type)
            column_info.append({"Name": field.name, "Type": info})
            codecs.append((encode, read))
        return _Result(query_string, column_info, table, codecs, table.num_rows, time.monotonic())

    def _page(self, query_id: str, result: _Result, offset: int, max_rows: int | None) -> EncodedResponse:
        rows: list[str] = []
        budget = PAGE_BYTES
        limit = result.rows if max_rows is None else min(result.rows, offset + max_rows)
        position = offset
        while position < limit and budget > 0:
            for row in result.encoded_rows(position, min(ENCODE_CHUNK, limit - position)):
                rows.append(row)
                budget -= len(row) + 1
                position += 1
                if budget <= 0:
                    break
        head: dict[str, Any] = {
            "QueryId": query_id,
            "ColumnInfo": result.column_info,
            "QueryStatus": {"ProgressPercentage": 100.0, "CumulativeBytesScanned": 0, "CumulativeBytesMetered": 0},
        }
        if position < result.rows:
            head["NextToken"] = self._encode_token(query_id, position)
        else:
            with self.lock:
                self.results.pop(query_id, None)
        text = json.dumps(head)[:-1] + ',"Rows":[' + ",".join(rows) + "]}"
        return EncodedResponse(text.encode())

    def _expire(self) -> None:
        now = time.monotonic()
        for query_id in [q for q, r in self.results.items() if now - r.created > RESULT_TTL_S]:
            del self.results[query_id]
        while len(self.results) >= MAX_KEPT_RESULTS:
            self.results.popitem(last=False)

    @staticmethod
    def _encode_token(query_id: str, offset: int) -> str:
        return base64.urlsafe_b64encode(json.dumps([query_id, offset]).encode()).decode()

    @staticmethod
    def _decode_token(token: Any) -> tuple[str, int]:
        try:
            query_id, offset = json.loads(base64.urlsafe_b64decode(str(token).encode()))
            return str(query_id), int(offset)
        except (ValueError, TypeError):
            raise ValidationError("The NextToken is invalid") from None
