"""Test data for the exporter: readings written through WriteRecords, and the expected export
computed independently (plain Python, no SQL): linear temperature and LOCF status on each sensor's
1 s grid from its first reading in the window."""

from __future__ import annotations

import io
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from tslake import aws, names
from tslake.export import Window


@dataclass(frozen=True)
class Reading:
    sensor_id: str
    time_ms: int
    temperature: float
    status: str


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_table(prefix: str = "exp") -> str:
    table = unique(prefix).replace("-", "_")
    aws.client("timestream-write").create_table(
        DatabaseName=names.TIMESTREAM_DATABASE,
        TableName=table,
        RetentionProperties={"MemoryStoreRetentionPeriodInHours": 24, "MagneticStoreRetentionPeriodInDays": 7},
    )
    return table


def make_bucket(prefix: str = "exp") -> str:
    bucket = unique(prefix)
    aws.client("s3").create_bucket(Bucket=bucket)
    return bucket


def base_hour(hours_ago: int = 2) -> datetime:
    """A whole UTC hour well inside the memory store's retention."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return now - timedelta(hours=hours_ago)


def ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def write_readings(table: str, readings: Iterable[Reading]) -> None:
    """The seed Lambda's layout: one single-measure DOUBLE record per reading, sensor_id + status dims."""
    client = aws.client("timestream-write")
    records = [
        {
            "Dimensions": [{"Name": "sensor_id", "Value": r.sensor_id}, {"Name": "status", "Value": r.status}],
            "MeasureName": "temperature",
            "MeasureValue": repr(float(r.temperature)),
            "MeasureValueType": "DOUBLE",
            "Time": str(r.time_ms),
        }
        for r in readings
    ]
    for i in range(0, len(records), 100):
        client.write_records(
            DatabaseName=names.TIMESTREAM_DATABASE,
            TableName=table,
            Records=records[i : i + 100],
            CommonAttributes={"TimeUnit": "MILLISECONDS"},
        )


def expected_rows(readings: Sequence[Reading], window: Window) -> list[tuple[str, int, str, float]]:
    """(sensor_id, time_ms, status, temperature), sorted, for the readings in [start, end)."""
    start, end = ms(window.start), ms(window.end)
    by_sensor: dict[str, list[Reading]] = defaultdict(list)
    for r in readings:
        if start <= r.time_ms < end:
            by_sensor[r.sensor_id].append(r)
    rows = []
    for sensor, points in sorted(by_sensor.items()):
        points.sort(key=lambda r: r.time_ms)
        first, last = points[0].time_ms, points[-1].time_ms
        t = first
        i = 0  # points[i] is the last reading at or before t
        while t <= last:
            while i + 1 < len(points) and points[i + 1].time_ms <= t:
                i += 1
            before = points[i]
            if before.time_ms == t or i + 1 == len(points):
                temperature = before.temperature
            else:
                after = points[i + 1]
                fraction = (t - before.time_ms) / (after.time_ms - before.time_ms)
                temperature = before.temperature + (after.temperature - before.temperature) * fraction
            rows.append((sensor, t, before.status, temperature))
            t += 1000
    return rows


def frame_rows(df: pd.DataFrame) -> list[tuple[str, int, str, float]]:
    times = pd.to_datetime(df["time"]).astype("datetime64[ms]").astype("int64")
    return sorted(
        zip(
            df["sensor_id"].astype(str),
            times.tolist(),
            df["status"].astype(str),
            df["temperature"].astype(float),
            strict=True,
        )
    )


def list_keys(bucket: str, prefix: str = "") -> list[str]:
    s3 = aws.client("s3")
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys.extend(o["Key"] for o in page.get("Contents", []))
    return sorted(keys)


def read_object(bucket: str, key: str) -> pd.DataFrame:
    body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    if key.endswith(".parquet"):
        return pq.read_table(io.BytesIO(body)).to_pandas()
    return pd.read_csv(io.BytesIO(body))


def read_prefix(bucket: str, prefix: str) -> pd.DataFrame:
    frames = [read_object(bucket, k) for k in list_keys(bucket, prefix)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def assert_rows_equal(actual: Sequence[tuple[Any, ...]], expected: Sequence[tuple[Any, ...]]) -> None:
    assert len(actual) == len(expected), f"{len(actual)} rows exported, {len(expected)} expected"
    for got, want in zip(actual, expected, strict=True):
        assert got[:3] == want[:3], f"{got} != {want}"
        assert abs(got[3] - want[3]) <= 1e-9 * max(1.0, abs(want[3])), f"temperature {got} != {want}"
