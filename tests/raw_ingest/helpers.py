"""Small helpers shared by the raw-ingest tests: fresh tables and reading them back through the query API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from tslake import names


def fresh_table(endpoint: Any, prefix: str, memory_hours: int = names.RAW_TABLE_MEMORY_HOURS) -> str:
    table = f"{prefix}_{uuid.uuid4().hex[:8]}"
    retention = {"MemoryStoreRetentionPeriodInHours": memory_hours, "MagneticStoreRetentionPeriodInDays": 7}
    endpoint.client("timestream-write").create_table(
        DatabaseName=names.TIMESTREAM_DATABASE, TableName=table, RetentionProperties=retention
    )
    return table


def epoch_ms(timestamp: str) -> int:
    """A Timestream `time` value ('2026-11-28 01:02:03.123000000', UTC) in epoch milliseconds."""
    whole, _, fraction = timestamp.partition(".")
    seconds = datetime.strptime(whole, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    return int(seconds) * 1000 + int((fraction + "000")[:3])


def _scalar(datum: dict[str, Any]) -> str | None:
    if datum.get("NullValue"):
        return None
    return datum.get("ScalarValue")


def query_rows(endpoint: Any, sql: str) -> list[list[str | None]]:
    """Every row of a timestream-query result, following NextToken."""
    client = endpoint.client("timestream-query")
    rows: list[list[str | None]] = []
    kwargs: dict[str, Any] = {"QueryString": sql}
    while True:
        page = client.query(**kwargs)
        rows.extend([_scalar(d) for d in row["Data"]] for row in page["Rows"])
        token = page.get("NextToken")
        if not token:
            return rows
        kwargs["NextToken"] = token
