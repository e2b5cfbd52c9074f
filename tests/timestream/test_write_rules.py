"""WriteRecords over HTTP with boto3: every rejection rule, Version semantics and malformed calls."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.timestream.conftest import now_ms


def dims(sensor: str = "sensor-01", status: str = "OK") -> list[dict[str, str]]:
    return [{"Name": "sensor_id", "Value": sensor}, {"Name": "status", "Value": status}]


def reading(t_ms: int, value: str = "20.5", **extra: Any) -> dict[str, Any]:
    return {"Dimensions": dims(), "MeasureName": "temperature", "MeasureValue": value, "Time": str(t_ms), **extra}


def rejected(write_client: Any, database: str, table: str, records: list[dict[str, Any]], **kw: Any) -> list[Any]:
    with pytest.raises(write_client.exceptions.RejectedRecordsException) as info:
        write_client.write_records(DatabaseName=database, TableName=table, Records=records, **kw)
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 419
    return list(info.value.response["RejectedRecords"])


def select(query_client: Any, sql: str) -> list[list[str | None]]:
    rows = query_client.query(QueryString=sql)["Rows"]
    return [[d.get("ScalarValue") for d in row["Data"]] for row in rows]


def test_valid_records_are_ingested_and_queryable(
    write_client: Any, query_client: Any, database: str, table: str
) -> None:
    t = now_ms() - 5000
    out = write_client.write_records(
        DatabaseName=database, TableName=table, Records=[reading(t, "20.5"), reading(t + 1000, "21.5")]
    )
    assert out["RecordsIngested"]["Total"] == 2
    rows = select(
        query_client, f'SELECT sensor_id, status, measure_value::double FROM "{database}"."{table}" ORDER BY time'
    )
    assert rows == [["sensor-01", "OK", "20.5"], ["sensor-01", "OK", "21.5"]]


def test_identical_record_is_a_noop(write_client: Any, query_client: Any, database: str, table: str) -> None:
    record = reading(now_ms() - 5000, "20.5")
    for _ in range(3):
        write_client.write_records(DatabaseName=database, TableName=table, Records=[record])
    assert select(query_client, f'SELECT count(*) FROM "{database}"."{table}"') == [["1"]]


def test_duplicate_with_different_value_is_rejected(write_client: Any, database: str, table: str) -> None:
    t = now_ms() - 5000
    write_client.write_records(DatabaseName=database, TableName=table, Records=[reading(t, "20.5")])
    out = rejected(write_client, database, table, [reading(t + 1, "1"), reading(t, "99.0")])
    assert out == [
        {
            "RecordIndex": 1,
            "Reason": "A record already exists with the same time, dimensions, measure name, and record version. "
            "A higher record version must be specified in order to update the measure value.",
            "ExistingVersion": 1,
        }
    ]


def test_higher_version_upserts_and_lower_version_is_rejected(
    write_client: Any, query_client: Any, database: str, table: str
) -> None:
    t = now_ms() - 5000
    write_client.write_records(DatabaseName=database, TableName=table, Records=[reading(t, "1.0", Version=5)])
    write_client.write_records(DatabaseName=database, TableName=table, Records=[reading(t, "2.0", Version=7)])
    assert select(query_client, f'SELECT measure_value::double FROM "{database}"."{table}"') == [["2.0"]]
    out = rejected(write_client, database, table, [reading(t, "3.0", Version=6)])
    assert out == [
        {
            "RecordIndex": 0,
            "Reason": "The record version 6 is lower than the existing version 7. "
            "A higher version is required to update the measure value.",
            "ExistingVersion": 7,
        }
    ]
    # Replaying the stored record with its own version is an idempotent no-op.
    write_client.write_records(DatabaseName=database, TableName=table, Records=[reading(t, "2.0", Version=7)])
    assert select(query_client, f'SELECT measure_value::double FROM "{database}"."{table}"') == [["2.0"]]


def test_time_outside_memory_store_is_rejected(write_client: Any, database: str, table: str) -> None:
    now = now_ms()
    records = [reading(now - 25 * 3600 * 1000), reading(now - 1000), reading(now + 16 * 60 * 1000)]
    out = rejected(write_client, database, table, records)
    assert [r["RecordIndex"] for r in out] == [0, 2]
    for r in out:
        assert r["Reason"].startswith("The record timestamp is outside the time range [")
        assert r["Reason"].endswith(") of the memory store.")
        assert "ExistingVersion" not in r


def test_time_less_than_15_minutes_ahead_is_accepted(write_client: Any, database: str, table: str) -> None:
    write_client.write_records(DatabaseName=database, TableName=table, Records=[reading(now_ms() + 14 * 60 * 1000)])


@pytest.mark.parametrize(
    ("value_type", "value"),
    [
        ("DOUBLE", "abc"),
        ("DOUBLE", "NaN"),
        ("DOUBLE", "1_000"),
        ("BIGINT", "1.5"),
        ("BIGINT", "9223372036854775808"),
        ("BOOLEAN", "yes"),
    ],
)
def test_value_that_does_not_fit_its_type_is_rejected(
    write_client: Any, database: str, table: str, value_type: str, value: str
) -> None:
    out = rejected(write_client, database, table, [reading(now_ms() - 1000, value, MeasureValueType=value_type)])
    assert out == [
        {"RecordIndex": 0, "Reason": f"Invalid measure value '{value}' for measure temperature of type {value_type}."}
    ]


def test_too_many_dimensions_is_rejected(write_client: Any, database: str, table: str) -> None:
    many = [{"Name": f"d{i}", "Value": "v"} for i in range(129)]
    record = {"Dimensions": many, "MeasureName": "temperature", "MeasureValue": "1", "Time": str(now_ms() - 1000)}
    out = rejected(write_client, database, table, [reading(now_ms() - 2000), record])
    assert out == [
        {"RecordIndex": 1, "Reason": "The record has 129 dimensions, more than the maximum of 128 per record."}
    ]


def test_too_many_measures_is_rejected(write_client: Any, database: str, table: str) -> None:
    measures = [{"Name": f"m{i}", "Value": "1", "Type": "BIGINT"} for i in range(257)]
    record = {
        "Dimensions": dims(),
        "MeasureName": "metrics",
        "MeasureValueType": "MULTI",
        "MeasureValues": measures,
        "Time": str(now_ms() - 1000),
    }
    out = rejected(write_client, database, table, [record])
    assert out == [
        {
            "RecordIndex": 0,
            "Reason": "The record has 257 measures, more than the maximum of 256 per multi-measure record.",
        }
    ]


def test_oversized_record_is_rejected(write_client: Any, database: str, table: str) -> None:
    record = reading(now_ms() - 1000, "x" * 2100, MeasureValueType="VARCHAR")
    out = rejected(write_client, database, table, [record])
    assert out[0]["RecordIndex"] == 0
    assert out[0]["Reason"].startswith("The record size of ")
    assert out[0]["Reason"].endswith("exceeds the maximum record size of 2 KB.")


def test_common_attributes_multi_measure_and_time_unit(
    write_client: Any, query_client: Any, database: str, table: str
) -> None:
    seconds = now_ms() // 1000 - 10
    write_client.write_records(
        DatabaseName=database,
        TableName=table,
        CommonAttributes={
            "Dimensions": [{"Name": "sensor_id", "Value": "sensor-09"}],
            "MeasureValueType": "MULTI",
            "TimeUnit": "SECONDS",
        },
        Records=[
            {
                "Dimensions": [{"Name": "site", "Value": "a"}],
                "MeasureName": "reading",
                "Time": str(seconds),
                "MeasureValues": [
                    {"Name": "temperature", "Value": "12.5", "Type": "DOUBLE"},
                    {"Name": "count", "Value": "3", "Type": "BIGINT"},
                    {"Name": "ok", "Value": "true", "Type": "BOOLEAN"},
                    {"Name": "status", "Value": "OK", "Type": "VARCHAR"},
                ],
            }
        ],
    )
    out = query_client.query(QueryString=f'SELECT * FROM "{database}"."{table}"')
    names = [c["Name"] for c in out["ColumnInfo"]]
    assert names == ["sensor_id", "site", "measure_name", "time", "temperature", "count", "ok", "status"]
    types = [c["Type"]["ScalarType"] for c in out["ColumnInfo"]]
    assert types == ["VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMP", "DOUBLE", "BIGINT", "BOOLEAN", "VARCHAR"]
    import datetime as dt

    expected_time = dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S") + ".000000000"
    assert [d["ScalarValue"] for d in out["Rows"][0]["Data"]] == [
        "sensor-09",
        "a",
        "reading",
        expected_time,
        "12.5",
        "3",
        "true",
        "OK",
    ]


def test_measure_type_change_is_rejected(write_client: Any, database: str, table: str) -> None:
    multi = {"Dimensions": dims(), "MeasureName": "m", "MeasureValueType": "MULTI", "Time": str(now_ms() - 1000)}
    write_client.write_records(
        DatabaseName=database,
        TableName=table,
        Records=[{**multi, "MeasureValues": [{"Name": "load", "Value": "1.5", "Type": "DOUBLE"}]}],
    )
    out = rejected(
        write_client,
        database,
        table,
        [{**multi, "Time": str(now_ms() - 500), "MeasureValues": [{"Name": "load", "Value": "x", "Type": "VARCHAR"}]}],
    )
    assert out == [{"RecordIndex": 0, "Reason": "Measure load has type DOUBLE in the table schema, not VARCHAR."}]


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_more_than_100_records_is_a_validation_error(write_client: Any, database: str, table: str) -> None:
    records = [reading(now_ms() - 100_000 + i) for i in range(101)]
    with pytest.raises(ClientError) as info:
        write_client.write_records(DatabaseName=database, TableName=table, Records=records)
    assert error_code(info.value) == "ValidationException"
    assert "less than or equal to 100" in info.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "bad",
    [
        {"MeasureValueType": "FLOAT"},
        {"TimeUnit": "HOURS"},
        {"Time": "soon"},
        {"Dimensions": [{"Name": "sensor_id", "Value": "s", "DimensionValueType": "BIGINT"}]},
    ],
)
def test_malformed_record_is_a_validation_error(
    write_client: Any, database: str, table: str, bad: dict[str, Any]
) -> None:
    with pytest.raises(ClientError) as info:
        write_client._make_api_call(
            "WriteRecords", {"DatabaseName": database, "TableName": table, "Records": [{**reading(now_ms()), **bad}]}
        )
    assert error_code(info.value) == "ValidationException"


def test_unknown_table_is_resource_not_found(write_client: Any, database: str) -> None:
    with pytest.raises(write_client.exceptions.ResourceNotFoundException):
        write_client.write_records(DatabaseName=database, TableName="nope", Records=[reading(now_ms())])
