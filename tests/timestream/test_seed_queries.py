"""The seed's queries (queries.txt 1-3 and the exporter's interpolation query, 4), verbatim except for the
database and table names, over HTTP with boto3, against values this test computes on its own.

Data: readings written the way the seed's Lambda writes them (single-measure `temperature` DOUBLE,
dimensions sensor_id and status, millisecond times), with gaps, a single-reading sensor and several sensors.
Grid points start at each sensor's first reading (SEQUENCE(min(time), max(time), 1s)), so they sit at the
readings' own millisecond offset, as in the seed's output (09:20:20.922, 09:20:21.922, ...).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from tests.support.seed_queries import QUERY_1, QUERY_2, QUERY_3, QUERY_4, seed_sql

# (sensor, offset in ms from the base time, temperature, status)
READINGS: list[tuple[str, int, float, str]] = [
    # The example: 10 (OK) at 0 s and 30 (ERROR) at 4 s -> 15, 20, 25 at 1, 2, 3 s; status OK.
    ("sensor-01", 0, 10.0, "OK"),
    ("sensor-01", 4000, 30.0, "ERROR"),
    # A single reading: one grid point.
    ("sensor-02", 2000, 50.0, "WARNING"),
    # Uneven gaps: grid points fall between readings that are not on whole seconds.
    ("sensor-03", 0, 0.0, "OK"),
    ("sensor-03", 1500, 3.0, "WARNING"),
    ("sensor-03", 5000, 10.0, "OK"),
    # A 10 s gap.
    ("sensor-04", 1000, 100.0, "ERROR"),
    ("sensor-04", 11000, 0.0, "OK"),
    # A last reading that is not on the grid: the grid stops before it.
    ("sensor-05", 0, 20.0, "OK"),
    ("sensor-05", 2500, 45.0, "WARNING"),
]
OLD_READING = ("sensor-01", -20 * 60 * 1000, 999.0, "ERROR")  # outside ago(15m) and the export window


def ts(ms: int) -> str:
    """Timestream's timestamp text, computed here independently of the engine."""
    return dt.datetime.fromtimestamp(ms // 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S") + f".{ms % 1000:03d}000000"


def interpolate(readings: list[tuple[int, float, str]]) -> list[tuple[int, float, str]]:
    """Reference: a 1 s grid from the first reading to the last, linear values and last-observation statuses."""
    readings = sorted(readings)
    first, last = readings[0][0], readings[-1][0]
    out = []
    for point in range(first, last + 1, 1000):
        before = [r for r in readings if r[0] <= point][-1]
        after = next(r for r in readings if r[0] >= point)
        if after[0] == before[0]:
            value = before[1]
        else:
            value = before[1] + (after[1] - before[1]) * (point - before[0]) / (after[0] - before[0])
        out.append((point, value, before[2]))
    return out


def expected_flat(base: int, readings: list[tuple[str, int, float, str]]) -> list[tuple[str, str, str, float]]:
    rows = []
    for sensor in sorted({r[0] for r in readings}):
        mine = [(base + r[1], r[2], r[3]) for r in readings if r[0] == sensor]
        rows += [(sensor, ts(t), status, value) for t, value, status in interpolate(mine)]
    return rows


@pytest.fixture(scope="module")
def raw_table(write_client: Any, database: str) -> tuple[str, int]:
    table = "raw_seed"
    write_client.create_table(
        DatabaseName=database,
        TableName=table,
        RetentionProperties={"MemoryStoreRetentionPeriodInHours": 24, "MagneticStoreRetentionPeriodInDays": 7},
    )
    # 30 s ago plus a millisecond offset, so the newest reading is inside ago(1m) when the queries run.
    base = (int(time.time()) - 30) * 1000 + 922
    records = []
    for sensor, offset, value, status in [*READINGS, OLD_READING]:
        records.append(
            {  # the seed Lambda's record shape
                "Dimensions": [{"Name": "sensor_id", "Value": sensor}, {"Name": "status", "Value": status}],
                "MeasureName": "temperature",
                "MeasureValue": str(value),
                "MeasureValueType": "DOUBLE",
                "Time": str(base + offset),
            }
        )
    write_client.write_records(DatabaseName=database, TableName=table, Records=records)
    return table, base


def flat_rows(response_rows: list[dict[str, Any]]) -> list[tuple[str, str, str, float]]:
    rows = [tuple(d["ScalarValue"] for d in row["Data"]) for row in response_rows]
    return sorted((r[0], r[1], r[2], float(r[3])) for r in rows)


def all_rows(query_client: Any, sql: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    columns: list[dict[str, Any]] = []
    for page in query_client.get_paginator("query").paginate(QueryString=sql):
        rows += page["Rows"]
        columns = page["ColumnInfo"]
    return columns, rows


def assert_flat(actual: list[tuple[str, str, str, float]], expected: list[tuple[str, str, str, float]]) -> None:
    assert [r[:3] for r in actual] == [r[:3] for r in expected]
    for got, want in zip(actual, expected, strict=True):
        assert got[3] == pytest.approx(want[3], abs=1e-9), (got, want)


def test_query_1_interpolated_flat(query_client: Any, database: str, raw_table: tuple[str, int]) -> None:
    table, base = raw_table
    columns, rows = all_rows(query_client, seed_sql(QUERY_1, database, table))
    assert [(c["Name"], c["Type"]["ScalarType"]) for c in columns] == [
        ("sensor_id", "VARCHAR"),
        ("time", "TIMESTAMP"),
        ("status", "VARCHAR"),
        ("temperature", "DOUBLE"),
    ]
    expected = expected_flat(base, READINGS)
    assert_flat(flat_rows(rows), expected)
    # Spot-check the example literally.
    sensor_1 = [r for r in flat_rows(rows) if r[0] == "sensor-01"]
    assert [(r[2], r[3]) for r in sensor_1] == [
        (s, v) for s, v in [("OK", 10.0), ("OK", 15.0), ("OK", 20.0), ("OK", 25.0), ("ERROR", 30.0)]
    ]
    assert sensor_1[1][1] == ts(base + 1000)


def test_query_2_interpolated_series(query_client: Any, database: str, raw_table: tuple[str, int]) -> None:
    table, base = raw_table
    columns, rows = all_rows(query_client, seed_sql(QUERY_2, database, table))
    assert columns == [
        {"Name": "sensor_id", "Type": {"ScalarType": "VARCHAR"}},
        {"Name": "temp_series", "Type": {"TimeSeriesMeasureValueColumnInfo": {"Type": {"ScalarType": "DOUBLE"}}}},
        {"Name": "status_series", "Type": {"TimeSeriesMeasureValueColumnInfo": {"Type": {"ScalarType": "VARCHAR"}}}},
    ]
    by_sensor = {row["Data"][0]["ScalarValue"]: row["Data"] for row in rows}
    assert sorted(by_sensor) == sorted({r[0] for r in READINGS})
    for sensor, data in by_sensor.items():
        mine = [(base + r[1], r[2], r[3]) for r in READINGS if r[0] == sensor]
        want = interpolate(mine)
        temps = data[1]["TimeSeriesValue"]
        statuses = data[2]["TimeSeriesValue"]
        assert [p["Time"] for p in temps] == [ts(t) for t, _v, _s in want]
        assert [float(p["Value"]["ScalarValue"]) for p in temps] == pytest.approx([v for _t, v, _s in want])
        assert [(p["Time"], p["Value"]["ScalarValue"]) for p in statuses] == [(ts(t), s) for t, _v, s in want]


def test_query_3_raw_series(query_client: Any, database: str, raw_table: tuple[str, int]) -> None:
    table, base = raw_table
    _columns, rows = all_rows(query_client, seed_sql(QUERY_3, database, table))
    by_sensor = {row["Data"][0]["ScalarValue"]: row["Data"] for row in rows}
    assert sorted(by_sensor) == sorted({r[0] for r in READINGS})  # the 20-minute-old reading is not in ago(1m)
    for sensor, data in by_sensor.items():
        mine = sorted((base + r[1], r[2], r[3]) for r in READINGS if r[0] == sensor)
        assert [(p["Time"], float(p["Value"]["ScalarValue"])) for p in data[1]["TimeSeriesValue"]] == [
            (ts(t), v) for t, v, _s in mine
        ]
        assert [(p["Time"], p["Value"]["ScalarValue"]) for p in data[2]["TimeSeriesValue"]] == [
            (ts(t), s) for t, _v, s in mine
        ]


def window_text(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms // 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def test_query_4_export_window(query_client: Any, database: str, raw_table: tuple[str, int]) -> None:
    table, base = raw_table
    # The whole data set (but not the 20-minute-old reading) is in this window.
    start, end = window_text(base - 1000), window_text(base + 60_000)
    _c, rows = all_rows(query_client, seed_sql(QUERY_4, database, table, start=start, end=end))
    assert_flat(flat_rows(rows), expected_flat(base, READINGS))
    # A window ending at base + 3 s (a whole second; base is at .922) leaves later readings out.
    end_ms = (base // 1000 + 3) * 1000
    _c, rows = all_rows(query_client, seed_sql(QUERY_4, database, table, start=start, end=window_text(end_ms)))
    inside = [r for r in READINGS if base + r[1] <= end_ms]
    assert_flat(flat_rows(rows), expected_flat(base, inside))


def test_query_1_pages_with_max_rows(query_client: Any, database: str, raw_table: tuple[str, int]) -> None:
    table, base = raw_table
    sql = seed_sql(QUERY_1, database, table)
    rows: list[dict[str, Any]] = []
    pages = 0
    for page in query_client.get_paginator("query").paginate(QueryString=sql, PaginationConfig={"PageSize": 4}):
        assert len(page["Rows"]) <= 4
        rows += page["Rows"]
        pages += 1
    expected = expected_flat(base, READINGS)
    assert pages == -(-len(expected) // 4)
    assert_flat(flat_rows(rows), expected)
