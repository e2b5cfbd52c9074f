"""The Query API over HTTP with boto3: value shapes, timestamps, pagination, CancelQuery, errors, and
the seed's Grafana panel query shapes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.timestream.conftest import now_ms


def test_value_shapes(query_client: Any) -> None:
    out = query_client.query(
        QueryString="SELECT NULL AS n, CAST(NULL AS varchar) AS v, ARRAY[1, 2] AS a, ROW(1, 'x') AS r, "
        "from_milliseconds(1764000000000 + 61 * 2) AS t, 1 + 1, true AS b, '15m' AS s"
    )
    assert [c["Name"] for c in out["ColumnInfo"]] == ["n", "v", "a", "r", "t", "_col5", "b", "s"]
    assert out["ColumnInfo"][2]["Type"] == {"ArrayColumnInfo": {"Type": {"ScalarType": "INTEGER"}}}
    assert [c["Type"] for c in out["ColumnInfo"][3]["Type"]["RowColumnInfo"]] == [
        {"ScalarType": "INTEGER"},
        {"ScalarType": "VARCHAR"},
    ]
    assert out["ColumnInfo"][4]["Type"] == {"ScalarType": "TIMESTAMP"}
    assert out["Rows"][0]["Data"] == [
        {"NullValue": True},
        {"NullValue": True},
        {"ArrayValue": [{"ScalarValue": "1"}, {"ScalarValue": "2"}]},
        {"RowValue": {"Data": [{"ScalarValue": "1"}, {"ScalarValue": "x"}]}},
        {"ScalarValue": "2025-11-24 16:00:00.122000000"},
        {"ScalarValue": "2"},
        {"ScalarValue": "true"},
        {"ScalarValue": "15m"},
    ]


def test_time_functions_keep_nanoseconds(query_client: Any) -> None:
    out = query_client.query(
        QueryString="SELECT from_nanoseconds(1764000000123456789) AS t, "
        "to_milliseconds(from_milliseconds(1764000000123)) AS ms, "
        "bin(from_milliseconds(1764000007123), 5s) AS b, "
        "date_trunc('minute', from_milliseconds(1764000061123)) AS m"
    )
    assert [d["ScalarValue"] for d in out["Rows"][0]["Data"]] == [
        "2025-11-24 16:00:00.123456789",
        "1764000000123",
        "2025-11-24 16:00:05.000000000",
        "2025-11-24 16:01:00.000000000",
    ]


def test_unnest_with_ordinality(query_client: Any) -> None:
    sql = "SELECT a, b, n FROM UNNEST(ARRAY[10, 20, 30], ARRAY['x']) WITH ORDINALITY AS t (a, b, n) ORDER BY n"
    out = query_client.query(QueryString=sql)
    assert values(out) == [["10", "x", "1"], ["20", None, "2"], ["30", None, "3"]]


def test_filter_and_reduce_on_a_timeseries(query_client: Any) -> None:
    series = (
        "INTERPOLATE_LINEAR(CREATE_TIME_SERIES(t, v), SEQUENCE(min(t), max(t), 1s))"
        " FROM (SELECT from_milliseconds(1764000000000 + x * 2000) AS t, x * 10.0 AS v"
        " FROM UNNEST(SEQUENCE(0, 2)) AS u (x))"
    )
    out = query_client.query(
        QueryString=f"SELECT FILTER({series.split(' FROM ')[0]}, p -> p.value > 15.0) AS f"
        f" FROM {series.split(' FROM ', 1)[1]}"
    )
    assert out["ColumnInfo"][0]["Type"] == {"TimeSeriesMeasureValueColumnInfo": {"Type": {"ScalarType": "DOUBLE"}}}
    points = out["Rows"][0]["Data"][0]["TimeSeriesValue"]
    # Readings 0, 10, 20 at 0, 2 and 4 s interpolate to 0, 5, 10, 15, 20 each second; only 20 passes.
    assert [(p["Time"], p["Value"]["ScalarValue"]) for p in points] == [("2025-11-24 16:00:04.000000000", "20.0")]
    out = query_client.query(
        QueryString=f"SELECT REDUCE({series.split(' FROM ')[0]}, 0.0, (s, p) -> s + p.value, s -> s) AS total"
        f" FROM {series.split(' FROM ', 1)[1]}"
    )
    assert values(out) == [["50.0"]]  # 0 + 5 + 10 + 15 + 20: readings 0, 10, 20 at 0, 2, 4 s, one point a second


def test_max_rows_next_token_and_cancel(query_client: Any) -> None:
    sql = "SELECT x FROM UNNEST(SEQUENCE(1, 25)) AS t (x) ORDER BY x"
    first = query_client.query(QueryString=sql, MaxRows=10)
    assert [r["Data"][0]["ScalarValue"] for r in first["Rows"]] == [str(i) for i in range(1, 11)]
    second = query_client.query(QueryString=sql, MaxRows=10, NextToken=first["NextToken"])
    assert [r["Data"][0]["ScalarValue"] for r in second["Rows"]] == [str(i) for i in range(11, 21)]
    assert second["QueryId"] == first["QueryId"]
    cancelled = query_client.cancel_query(QueryId=first["QueryId"])
    assert first["QueryId"] in cancelled["CancellationMessage"]
    with pytest.raises(ClientError) as info:
        query_client.query(QueryString=sql, MaxRows=10, NextToken=second["NextToken"])
    assert info.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize(
    ("sql", "fragment"),
    [
        (
            "SELECT INTERPOLATE_SPLINE_CUBIC(CREATE_TIME_SERIES(time, measure_value::double), "
            'SEQUENCE(min(time), max(time), 1s)) FROM "tslake"."raw"',
            "interpolate_spline_cubic",
        ),
        ("SELECT x FROM UNNEST(ARRAY[1]) WITH ORDINALITY", "WITH ORDINALITY"),
        ('SELECT * FROM "tslake"."no_such_table"', "no_such_table"),
        ("SELEKT 1", "parsed"),
    ],
)
def test_bad_queries_are_validation_errors(query_client: Any, sql: str, fragment: str) -> None:
    with pytest.raises(ClientError) as info:
        query_client.query(QueryString=sql)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in info.value.response["Error"]["Message"]


@pytest.fixture()
def panel_data(write_client: Any, database: str, table: str) -> tuple[str, int]:
    """Readings of three sensors in one 30 s bin, and CEP-like multi-row measures."""
    base = (now_ms() // 30_000) * 30_000 - 60_000  # the start of a 30 s bin a minute ago
    rows = [
        ("sensor-01", 0, 10.0, "OK"),
        ("sensor-01", 1000, 20.0, "WARNING"),
        ("sensor-02", 2000, 30.0, "ERROR"),
        ("sensor-03", 3000, 40.0, "OK"),
        ("sensor-03", 29_000, 50.0, "OK"),
    ]
    records = [
        {
            "Dimensions": [{"Name": "sensor_id", "Value": s}, {"Name": "status", "Value": st}],
            "MeasureName": "temperature",
            "MeasureValue": str(v),
            "Time": str(base + off),
        }
        for s, off, v, st in rows
    ]
    records += [
        {
            "Dimensions": [{"Name": "sensor_id", "Value": "sensor-01"}, {"Name": "history", "Value": "OK-WARNING"}],
            "MeasureName": name,
            "MeasureValue": value,
            "Time": str(base + 5000),
        }
        for name, value in (("avg_temperature", "55.5"), ("elapsed", "3"))
    ]
    write_client.write_records(DatabaseName=database, TableName=table, Records=records)
    return table, base


def values(out: dict[str, Any]) -> list[list[str | None]]:
    return [[d.get("ScalarValue") for d in row["Data"]] for row in out["Rows"]]


def test_grafana_panel_shapes(query_client: Any, database: str, panel_data: tuple[str, int]) -> None:
    table, base = panel_data
    src = f'"{database}"."{table}"'
    temps = f"{src} WHERE measure_name = 'temperature'"
    bin_start = dt.datetime.fromtimestamp(base // 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S") + ".000000000"

    out = query_client.query(
        QueryString=(
            "SELECT SUM(CASE WHEN status = 'OK' THEN 1 ELSE 0 END) AS ok, "
            "SUM(CASE WHEN status = 'WARNING' THEN 1 ELSE 0 END) AS warning, "
            f"SUM(CASE WHEN status = 'ERROR' THEN 1 ELSE 0 END) AS error FROM {temps}"
        )
    )
    assert values(out) == [["3", "1", "1"]]

    out = query_client.query(
        QueryString=(
            "SELECT BIN(time, 30s) AS binned, ROUND(AVG(measure_value::double), 2) AS avg_temp, "
            "ROUND(APPROX_PERCENTILE(measure_value::double, 0.5), 2) AS p50 "
            f"FROM {temps} GROUP BY BIN(time, 30s) ORDER BY binned"
        )
    )
    assert values(out) == [[bin_start, "30.0", "30.0"]]

    out = query_client.query(
        QueryString=(
            f"SELECT sensor_id, MAX(measure_value::double) AS max_temp FROM {temps} "
            "AND time BETWEEN ago(15m) AND now() GROUP BY sensor_id ORDER BY sensor_id"
        )
    )
    assert values(out) == [["sensor-01", "20.0"], ["sensor-02", "30.0"], ["sensor-03", "50.0"]]

    out = query_client.query(
        QueryString=(
            "SELECT BIN(time, 1m) AS binned, sensor_id, history, "
            "MAX(CASE WHEN measure_name = 'avg_temperature' THEN measure_value::double END) AS avg_temperature, "
            "MAX(CASE WHEN measure_name = 'elapsed' THEN measure_value::double END) AS elapsed "
            f"FROM {src} WHERE measure_name IN ('avg_temperature', 'elapsed') GROUP BY 1, 2, 3"
        )
    )
    [row] = values(out)
    assert row[1:] == ["sensor-01", "OK-WARNING", "55.5", "3.0"]


def test_show_and_describe(write_client: Any, query_client: Any, database: str, table: str) -> None:
    t = now_ms() - 1000
    write_client.write_records(
        DatabaseName=database,
        TableName=table,
        Records=[
            {
                "Dimensions": [{"Name": "sensor_id", "Value": "a"}],
                "MeasureName": "temperature",
                "MeasureValue": "1",
                "Time": str(t),
            },
            {
                "Dimensions": [{"Name": "host", "Value": "h"}],
                "MeasureName": "m",
                "MeasureValueType": "MULTI",
                "MeasureValues": [{"Name": "load", "Value": "1", "Type": "BIGINT"}],
                "Time": str(t),
            },
        ],
    )
    assert [database] in values(query_client.query(QueryString="SHOW DATABASES"))
    assert values(query_client.query(QueryString=f"SHOW TABLES FROM \"{database}\" LIKE '{table}'")) == [[table]]
    described = values(query_client.query(QueryString=f'DESCRIBE "{database}"."{table}"'))
    assert described == [
        ["sensor_id", "varchar", "DIMENSION"],
        ["host", "varchar", "DIMENSION"],
        ["measure_name", "varchar", "MEASURE_NAME"],
        ["time", "timestamp", "TIMESTAMP"],
        ["measure_value::double", "double", "MEASURE_VALUE"],
        ["load", "bigint", "MULTI"],
    ]
    measures = query_client.query(QueryString=f'SHOW MEASURES FROM "{database}"."{table}"')
    assert [c["Name"] for c in measures["ColumnInfo"]] == ["measure_name", "data_type", "dimensions"]
    first = measures["Rows"][0]["Data"]
    assert [first[0]["ScalarValue"], first[1]["ScalarValue"]] == ["m", "multi"]
    assert first[2] == {"ArrayValue": [{"RowValue": {"Data": [{"ScalarValue": "host"}, {"ScalarValue": "varchar"}]}}]}
    with pytest.raises(ClientError) as info:
        query_client.query(QueryString="SHOW TABLES FROM no_such_database")
    assert info.value.response["Error"]["Code"] == "ValidationException"
