"""The seed Lambda's algorithm, re-implemented faithfully: the layout reference and the bench baseline.

Per record: JSON-decode, take `sensor_id`, `status`, `non_errors`, `history` (when present) as string
dimensions, one single-measure DOUBLE record per present measure field with `MeasureValue=str(value)`
and `Time=str(event_time)` (default unit: ms); then WriteRecords in calls of 100, one at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

DIMENSIONS = ("sensor_id", "status", "non_errors", "history")
MEASURES = ("temperature", "min_temperature", "avg_temperature", "max_temperature", "elapsed")


def seed_records(payload: bytes) -> list[dict[str, Any]]:
    data = json.loads(payload)
    dimensions = [{"Name": name, "Value": str(data[name])} for name in DIMENSIONS if name in data]
    return [
        {
            "Dimensions": dimensions,
            "MeasureName": name,
            "MeasureValue": str(data[name]),
            "MeasureValueType": "DOUBLE",
            "Time": str(data["event_time"]),
        }
        for name in MEASURES
        if name in data
    ]


def seed_write(client: Any, database: str, table: str, payloads: Iterable[bytes]) -> int:
    """Returns the number of records written. No retries, no dead-letter: the seed printed and dropped."""
    records = [record for payload in payloads for record in seed_records(payload)]
    for start in range(0, len(records), 100):
        client.write_records(DatabaseName=database, TableName=table, Records=records[start : start + 100])
    return len(records)
