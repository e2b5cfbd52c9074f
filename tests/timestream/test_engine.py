"""The engine without HTTP: persistence across restarts, in-call duplicates, concurrent writers, and the
test-only latency option."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.timestream.conftest import Direct, now_ms
from tslake.timestream.service import LATENCY_ENV, TimestreamService

RETENTION = {"MemoryStoreRetentionPeriodInHours": 24, "MagneticStoreRetentionPeriodInDays": 7}


def record(t_ms: int, value: str, sensor: str = "sensor-01", **extra: Any) -> dict[str, Any]:
    return {
        "Dimensions": [{"Name": "sensor_id", "Value": sensor}],
        "MeasureName": "temperature",
        "MeasureValue": value,
        "Time": str(t_ms),
        **extra,
    }


def call(service: TimestreamService, operation: str, **request: Any) -> tuple[int, dict[str, Any]]:
    status, body = service.handle(f"Timestream_20181101.{operation}", json.dumps(request).encode())
    return status, json.loads(body)


def scalar_rows(service: TimestreamService, sql: str) -> list[list[str | None]]:
    status, body = call(service, "Query", QueryString=sql)
    assert status == 200, body
    return [[d.get("ScalarValue") for d in row["Data"]] for row in body["Rows"]]


def run_concurrently(worker: Callable[[int], None], count: int) -> None:
    """Start `worker(0)` ... `worker(count - 1)` on their own threads, then wait for all of them."""
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_catalog_data_and_versions_survive_a_restart(tmp_path: Path) -> None:
    t = now_ms() - 10_000
    first = TimestreamService(tmp_path)
    assert call(first, "CreateDatabase", DatabaseName="db1")[0] == 200
    assert call(first, "CreateTable", DatabaseName="db1", TableName="raw", RetentionProperties=RETENTION)[0] == 200
    assert (
        call(first, "WriteRecords", DatabaseName="db1", TableName="raw", Records=[record(t, "1.5", Version=3)])[0]
        == 200
    )
    first.close()
    assert (tmp_path / "timestream.duckdb").exists()

    second = TimestreamService(tmp_path)
    try:
        status, body = call(second, "DescribeTable", DatabaseName="db1", TableName="raw")
        assert status == 200 and body["Table"]["RetentionProperties"] == RETENTION
        assert scalar_rows(second, 'SELECT sensor_id, measure_value::double FROM "db1"."raw"') == [["sensor-01", "1.5"]]
        # The version index is rebuilt from the file: a replay is a no-op, a lower version is rejected.
        status, _ = call(
            second, "WriteRecords", DatabaseName="db1", TableName="raw", Records=[record(t, "1.5", Version=3)]
        )
        assert status == 200
        status, body = call(
            second, "WriteRecords", DatabaseName="db1", TableName="raw", Records=[record(t, "2.5", Version=2)]
        )
        assert status == 419
        assert body["RejectedRecords"][0]["ExistingVersion"] == 3
        assert scalar_rows(second, 'SELECT count(*) FROM "db1"."raw"') == [["1"]]
    finally:
        second.close()


def test_duplicates_inside_one_call(direct: Direct) -> None:
    direct.ok("CreateDatabase", DatabaseName="db1")
    direct.ok("CreateTable", DatabaseName="db1", TableName="raw", RetentionProperties=RETENTION)
    t = now_ms() - 10_000
    status, body = direct.call(
        "WriteRecords",
        DatabaseName="db1",
        TableName="raw",
        Records=[record(t, "1.0"), record(t, "1.0"), record(t, "9.0"), record(t, "3.0", Version=2)],
    )
    assert status == 419
    assert [(r["RecordIndex"], r["ExistingVersion"]) for r in body["RejectedRecords"]] == [(2, 1)]
    rows = scalar_rows(direct.service, 'SELECT measure_value::double FROM "db1"."raw"')
    assert rows == [["3.0"]]  # the Version 2 record in the same call replaced the first


def test_concurrent_writers_lose_nothing(direct: Direct) -> None:
    direct.ok("CreateDatabase", DatabaseName="db1")
    direct.ok("CreateTable", DatabaseName="db1", TableName="raw", RetentionProperties=RETENTION)
    base = now_ms() - 60_000
    errors: list[str] = []

    def writer(w: int) -> None:
        for call_no in range(20):
            records = [record(base + call_no * 100 + i, str(i), sensor=f"sensor-{w}") for i in range(100)]
            status, body = direct.call("WriteRecords", DatabaseName="db1", TableName="raw", Records=records)
            if status != 200:
                errors.append(str(body))

    run_concurrently(writer, 4)
    assert errors == []
    rows = scalar_rows(
        direct.service, 'SELECT sensor_id, count(*) FROM "db1"."raw" GROUP BY sensor_id ORDER BY sensor_id'
    )
    assert rows == [[f"sensor-{w}", "2000"] for w in range(4)]


@pytest.mark.parametrize("flush_ms", ["0", "50"])
def test_reads_see_acknowledged_writes(monkeypatch: pytest.MonkeyPatch, flush_ms: str) -> None:
    monkeypatch.setenv("TSLAKE_LOCAL_TIMESTREAM_FLUSH_MS", flush_ms)
    service = TimestreamService(None)
    try:
        call(service, "CreateDatabase", DatabaseName="db1")
        call(service, "CreateTable", DatabaseName="db1", TableName="raw", RetentionProperties=RETENTION)
        for i in range(5):
            assert (
                call(service, "WriteRecords", DatabaseName="db1", TableName="raw", Records=[record(now_ms() - i, "1")])[
                    0
                ]
                == 200
            )
            assert scalar_rows(service, 'SELECT count(*) FROM "db1"."raw"') == [[str(i + 1)]]
    finally:
        service.close()


def test_write_latency_option_is_read_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LATENCY_ENV, "25")
    service = TimestreamService(None)
    try:
        assert service.writer.latency_s == pytest.approx(0.025)
    finally:
        service.close()


def test_rows_past_magnetic_retention_are_deleted(direct: Direct) -> None:
    direct.ok("CreateDatabase", DatabaseName="db1")
    retention = {"MemoryStoreRetentionPeriodInHours": 24, "MagneticStoreRetentionPeriodInDays": 1}
    direct.ok("CreateTable", DatabaseName="db1", TableName="raw", RetentionProperties=retention)
    old = now_ms() - 23 * 3600 * 1000
    direct.ok("WriteRecords", DatabaseName="db1", TableName="raw", Records=[record(old, "1")])
    table = direct.service.catalog.tables[("db1", "raw")]
    direct.service.writer.sync(table)
    # Age the stored row past the 1-day magnetic retention, then let the once-a-minute prune run.
    direct.service.store.execute(f"UPDATE {direct.service.store.data_table(table.id)} SET time = time - INTERVAL 2 DAY")
    direct.service.writer.states[table.id].last_prune = 0.0
    direct.ok("WriteRecords", DatabaseName="db1", TableName="raw", Records=[record(now_ms() - 1000, "2")])
    assert scalar_rows(direct.service, 'SELECT measure_value::double FROM "db1"."raw"') == [["2.0"]]


def test_schema_grows_with_new_dimensions_and_measures(direct: Direct) -> None:
    direct.ok("CreateDatabase", DatabaseName="db1")
    direct.ok("CreateTable", DatabaseName="db1", TableName="raw", RetentionProperties=RETENTION)
    t = now_ms() - 10_000
    direct.ok("WriteRecords", DatabaseName="db1", TableName="raw", Records=[record(t, "1")])
    later = {
        "Dimensions": [{"Name": "sensor_id", "Value": "sensor-02"}, {"Name": "site", "Value": "north"}],
        "MeasureName": "count",
        "MeasureValueType": "BIGINT",
        "MeasureValue": "7",
        "Time": str(t + 1),
    }
    direct.ok("WriteRecords", DatabaseName="db1", TableName="raw", Records=[later])
    status, body = direct.call("Query", QueryString='SELECT * FROM "db1"."raw" ORDER BY time')
    assert status == 200
    assert [c["Name"] for c in body["ColumnInfo"]] == [
        "sensor_id",
        "site",
        "measure_name",
        "time",
        "measure_value::double",
        "measure_value::bigint",
    ]
    rows = [[d.get("ScalarValue", "NULL") for d in row["Data"]] for row in body["Rows"]]
    assert [r[:3] + r[4:] for r in rows] == [
        ["sensor-01", "NULL", "temperature", "1.0", "NULL"],
        ["sensor-02", "north", "count", "NULL", "7"],
    ]


def test_schema_growth_while_flushing_concurrently(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSLAKE_LOCAL_TIMESTREAM_FLUSH_MS", "5")
    service = TimestreamService(None)
    try:
        call(service, "CreateDatabase", DatabaseName="db1")
        call(service, "CreateTable", DatabaseName="db1", TableName="raw", RetentionProperties=RETENTION)
        base = now_ms() - 60_000
        errors: list[str] = []

        def writer(w: int) -> None:
            for n in range(30):  # every call brings a new measure column
                multi = {
                    "Dimensions": [{"Name": f"dim{w}", "Value": "x"}],
                    "MeasureName": "m",
                    "MeasureValueType": "MULTI",
                    "MeasureValues": [{"Name": f"w{w}_m{n}", "Value": str(n), "Type": "BIGINT"}],
                    "Time": str(base + w * 1000 + n),
                }
                status, body = call(service, "WriteRecords", DatabaseName="db1", TableName="raw", Records=[multi])
                if status != 200:
                    errors.append(str(body))

        run_concurrently(writer, 3)
        assert errors == []
        assert scalar_rows(service, 'SELECT count(*) FROM "db1"."raw"') == [["90"]]
        assert scalar_rows(service, 'SELECT "w2_m29" FROM "db1"."raw" WHERE "w2_m29" IS NOT NULL') == [["29"]]
    finally:
        service.close()


def test_magnetic_store_writes_accept_older_records(direct: Direct) -> None:
    direct.ok("CreateDatabase", DatabaseName="db1")
    retention = {"MemoryStoreRetentionPeriodInHours": 1, "MagneticStoreRetentionPeriodInDays": 7}
    direct.ok("CreateTable", DatabaseName="db1", TableName="raw", RetentionProperties=retention)
    old = record(now_ms() - 3 * 3600 * 1000, "1")
    status, body = direct.call("WriteRecords", DatabaseName="db1", TableName="raw", Records=[old])
    assert status == 419 and body["RejectedRecords"][0]["RecordIndex"] == 0
    direct.ok(
        "UpdateTable",
        DatabaseName="db1",
        TableName="raw",
        MagneticStoreWriteProperties={"EnableMagneticStoreWrites": True},
    )
    direct.ok("WriteRecords", DatabaseName="db1", TableName="raw", Records=[old])
    assert scalar_rows(direct.service, 'SELECT count(*) FROM "db1"."raw"') == [["1"]]
