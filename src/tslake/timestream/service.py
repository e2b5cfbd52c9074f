"""Entry point the local endpoint calls for every `X-Amz-Target: Timestream_20181101.*` request.

The JSON protocol of both Timestream APIs (write and query share the target prefix): dispatch on the
operation name, and answer errors as `{"__type": ..., "message": ...}` with the service's status codes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tslake.logs import get_logger
from tslake.timestream import address
from tslake.timestream.catalog import Catalog
from tslake.timestream.errors import TimestreamError, UnknownOperationError, ValidationError
from tslake.timestream.query import EncodedResponse, QueryEngine
from tslake.timestream.storage import Store
from tslake.timestream.write import Writer

TARGET_PREFIX = "Timestream_20181101."
LATENCY_ENV = "TSLAKE_LOCAL_TIMESTREAM_WRITE_LATENCY_MS"
# Accepted writes reach DuckDB in batches at most this far apart (0: inside each WriteRecords call). One
# DuckDB INSERT costs ~2 ms whatever its size, so per-call inserts would cap ingest near 40k records/s.
FLUSH_ENV = "TSLAKE_LOCAL_TIMESTREAM_FLUSH_MS"
DEFAULT_FLUSH_MS = 50.0
ENDPOINT_CACHE_MINUTES = 1440

log = get_logger(component="timestream")


class SerializationError(TimestreamError):
    code = "SerializationException"
    status = 400


def _page(items: list[Any], request: dict[str, Any], limit: int) -> tuple[list[Any], dict[str, Any]]:
    max_results = request.get("MaxResults") or limit
    if not isinstance(max_results, int) or not 1 <= max_results <= limit:
        raise ValidationError(f"MaxResults must be between 1 and {limit}")
    token = request.get("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        raise ValidationError("The NextToken is invalid") from None
    page = items[start : start + max_results]
    extra = {"NextToken": str(start + max_results)} if start + max_results < len(items) else {}
    return page, extra


class TimestreamService:
    """The DuckDB-backed Timestream engine. Thread-safe: the endpoint calls it from several threads."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        # The URL DescribeEndpoints returns (see address.py); the endpoint may set it once it listens.
        self.endpoint_url: str | None = None
        latency_ms = float(os.environ.get(LATENCY_ENV, "0") or 0)
        self.store = Store(data_dir)
        self.catalog = Catalog(self.store)
        flush_ms = float(os.environ.get(FLUSH_ENV, str(DEFAULT_FLUSH_MS)) or 0)
        self.writer = Writer(self.store, self.catalog, latency_ms=latency_ms, flush_ms=flush_ms)
        self.queries = QueryEngine(self.store, self.catalog, before_query=self._sync_writes)
        self.tags: dict[str, list[dict[str, str]]] = {}
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any] | EncodedResponse]] = {
            "CreateDatabase": self._create_database,
            "DescribeDatabase": self._describe_database,
            "ListDatabases": self._list_databases,
            "UpdateDatabase": self._update_database,
            "DeleteDatabase": self._delete_database,
            "CreateTable": self._create_table,
            "DescribeTable": self._describe_table,
            "ListTables": self._list_tables,
            "UpdateTable": self._update_table,
            "DeleteTable": self._delete_table,
            "WriteRecords": self.writer.write_records,
            "DescribeEndpoints": self._describe_endpoints,
            "Query": self.queries.query,
            "CancelQuery": self.queries.cancel,
            "TagResource": self._tag_resource,
            "UntagResource": self._untag_resource,
            "ListTagsForResource": self._list_tags,
        }

    def handle(self, target: str, body: bytes) -> tuple[int, bytes]:
        operation = target.removeprefix(TARGET_PREFIX)
        try:
            handler = self.operations.get(operation)
            if handler is None or not target.startswith(TARGET_PREFIX):
                raise UnknownOperationError(f"Operation {operation} is not supported by the local Timestream engine")
            try:
                request = json.loads(body or b"{}")
            except ValueError as exc:
                raise SerializationError(f"Request body is not valid JSON: {exc}") from None
            if not isinstance(request, dict):
                raise SerializationError("Request body must be a JSON object")
            response = handler(request)
            if isinstance(response, EncodedResponse):
                return 200, response.body
            return 200, json.dumps(response).encode()
        except TimestreamError as error:
            return error.status, json.dumps(error.body()).encode()
        except Exception as exc:  # an engine bug must not take the endpoint down
            log.exception("timestream_internal_error", operation=operation)
            body_out = {"__type": "InternalServerException", "message": f"{type(exc).__name__}: {exc}"}
            return 500, json.dumps(body_out).encode()

    def close(self) -> None:
        self.writer.close()
        self.store.close()

    def _sync_writes(self) -> None:
        for table in list(self.catalog.tables.values()):
            self.writer.sync(table)

    # -- operations ------------------------------------------------------------------------------------

    def _create_database(self, r: dict[str, Any]) -> dict[str, Any]:
        db = self.catalog.create_database(r.get("DatabaseName"), r.get("KmsKeyId"))
        self._set_tags(self.catalog.describe_database(db)["Arn"], r.get("Tags"))
        return {"Database": self.catalog.describe_database(db)}

    def _describe_database(self, r: dict[str, Any]) -> dict[str, Any]:
        return {"Database": self.catalog.describe_database(self.catalog.get_database(r.get("DatabaseName")))}

    def _list_databases(self, r: dict[str, Any]) -> dict[str, Any]:
        page, extra = _page(self.catalog.list_databases(), r, 20)
        return {"Databases": [self.catalog.describe_database(d) for d in page], **extra}

    def _update_database(self, r: dict[str, Any]) -> dict[str, Any]:
        db = self.catalog.update_database(r.get("DatabaseName"), r.get("KmsKeyId"))
        return {"Database": self.catalog.describe_database(db)}

    def _delete_database(self, r: dict[str, Any]) -> dict[str, Any]:
        self.catalog.delete_database(r.get("DatabaseName"))
        return {}

    def _create_table(self, r: dict[str, Any]) -> dict[str, Any]:
        table = self.catalog.create_table(r.get("DatabaseName"), r.get("TableName"), r)
        self._set_tags(table.describe()["Arn"], r.get("Tags"))
        return {"Table": table.describe()}

    def _describe_table(self, r: dict[str, Any]) -> dict[str, Any]:
        return {"Table": self.catalog.get_table(r.get("DatabaseName"), r.get("TableName")).describe()}

    def _list_tables(self, r: dict[str, Any]) -> dict[str, Any]:
        page, extra = _page(self.catalog.list_tables(r.get("DatabaseName")), r, 20)
        return {"Tables": [t.describe() for t in page], **extra}

    def _update_table(self, r: dict[str, Any]) -> dict[str, Any]:
        return {"Table": self.catalog.update_table(r.get("DatabaseName"), r.get("TableName"), r).describe()}

    def _delete_table(self, r: dict[str, Any]) -> dict[str, Any]:
        table = self.catalog.get_table(r.get("DatabaseName"), r.get("TableName"))
        self.writer.sync(table)
        self.writer.forget(table)
        self.catalog.delete_table(r.get("DatabaseName"), r.get("TableName"))
        return {}

    def _describe_endpoints(self, _r: dict[str, Any]) -> dict[str, Any]:
        if self.endpoint_url is None:
            self.endpoint_url = address.advertised_url()
        if self.endpoint_url is None:
            raise TimestreamError(
                "The local engine does not know the URL it is served on: set TimestreamService.endpoint_url "
                f"or {address.ADDRESS_ENV}, or pass endpoint_url= to the client"
            )
        return {"Endpoints": [{"Address": self.endpoint_url, "CachePeriodInMinutes": ENDPOINT_CACHE_MINUTES}]}

    def _set_tags(self, arn: str, tags: Any) -> None:
        if tags is None:
            return
        if not isinstance(tags, list) or not all(isinstance(t, dict) and "Key" in t for t in tags):
            raise ValidationError("Tags must be a list of {Key, Value}")
        current = {t["Key"]: t for t in self.tags.get(arn, [])}
        current.update({t["Key"]: {"Key": t["Key"], "Value": t.get("Value", "")} for t in tags})
        self.tags[arn] = list(current.values())

    def _tag_resource(self, r: dict[str, Any]) -> dict[str, Any]:
        self._set_tags(str(r.get("ResourceARN")), r.get("Tags"))
        return {}

    def _untag_resource(self, r: dict[str, Any]) -> dict[str, Any]:
        keys = set(r.get("TagKeys") or [])
        arn = str(r.get("ResourceARN"))
        self.tags[arn] = [t for t in self.tags.get(arn, []) if t["Key"] not in keys]
        return {}

    def _list_tags(self, r: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self.tags.get(str(r.get("ResourceARN")), [])}
