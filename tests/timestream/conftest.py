"""Fixtures for the Timestream engine tests: real boto3 clients against the local endpoint (`endpoint`
fixture from tests/conftest.py), each test module in a database of its own."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tslake.local.process import EndpointProcess
from tslake.timestream.service import TimestreamService


@pytest.fixture(scope="module")
def write_client(endpoint: EndpointProcess) -> Any:
    return endpoint.client("timestream-write")


@pytest.fixture(scope="module")
def query_client(endpoint: EndpointProcess) -> Any:
    return endpoint.client("timestream-query")


@pytest.fixture(scope="module")
def database(write_client: Any) -> Iterator[str]:
    name = f"tstest_{uuid.uuid4().hex[:10]}"
    write_client.create_database(DatabaseName=name)
    yield name
    while tables := write_client.list_tables(DatabaseName=name, MaxResults=20).get("Tables", []):
        for table in tables:
            write_client.delete_table(DatabaseName=name, TableName=table["TableName"])
    write_client.delete_database(DatabaseName=name)


@pytest.fixture()
def table(write_client: Any, database: str) -> str:
    """A fresh table (24 h memory store, 7 days magnetic, like the seed's raw table) per test."""
    name = f"t_{uuid.uuid4().hex[:8]}"
    write_client.create_table(
        DatabaseName=database,
        TableName=name,
        RetentionProperties={"MemoryStoreRetentionPeriodInHours": 24, "MagneticStoreRetentionPeriodInDays": 7},
    )
    return name


class Direct:
    """The engine without HTTP, for unit tests of single rules."""

    def __init__(self) -> None:
        self.service = TimestreamService(None)

    def call(self, operation: str, **request: Any) -> tuple[int, dict[str, Any]]:
        status, body = self.service.handle(f"Timestream_20181101.{operation}", json.dumps(request).encode())
        return status, json.loads(body)

    def ok(self, operation: str, **request: Any) -> dict[str, Any]:
        status, body = self.call(operation, **request)
        assert status == 200, body
        return body


@pytest.fixture()
def direct() -> Iterator[Direct]:
    engine = Direct()
    yield engine
    engine.service.close()


def now_ms() -> int:
    return int(time.time() * 1000)
