"""Unchanged clients against the local endpoint: awswrangler's timestream.write/query and the AWS CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import awswrangler as wr
import pandas as pd

from tslake.local.process import EndpointProcess

AWS_CLI = Path(sys.executable).parent / "aws"


def test_awswrangler_write_and_query_round_trip(endpoint: EndpointProcess, database: str, table: str) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    frame = pd.DataFrame(
        {
            "time": [now - dt.timedelta(seconds=s) for s in (3, 2, 1)],
            "sensor_id": ["sensor-01", "sensor-02", "sensor-01"],
            "temperature": [20.5, 31.0, 22.25],
            "status": ["OK", "WARNING", "ERROR"],
        }
    )
    kwargs: dict[str, Any] = dict(
        database=database,
        table=table,
        time_col="time",
        measure_col=["temperature", "status"],
        dimensions_cols=["sensor_id"],
        measure_name="reading",
    )
    rejected = wr.timestream.write(df=frame, **kwargs)
    assert rejected == []
    # Replaying the same frame is idempotent (same version, same values).
    assert wr.timestream.write(df=frame, **kwargs) == []
    out = wr.timestream.query(f'SELECT sensor_id, time, temperature, status FROM "{database}"."{table}" ORDER BY time')
    assert list(out.columns) == ["sensor_id", "time", "temperature", "status"]
    assert out["sensor_id"].tolist() == ["sensor-01", "sensor-02", "sensor-01"]
    assert out["temperature"].tolist() == [20.5, 31.0, 22.25]
    assert out["status"].tolist() == ["OK", "WARNING", "ERROR"]
    assert [t.to_pydatetime() for t in out["time"]] == frame["time"].dt.to_pydatetime().tolist()


def test_awswrangler_reports_rejected_records(endpoint: EndpointProcess, database: str, table: str) -> None:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    frame = pd.DataFrame({"time": [now], "sensor_id": ["sensor-01"], "temperature": [1.0]})
    kwargs: dict[str, Any] = dict(
        database=database, table=table, time_col="time", measure_col="temperature", dimensions_cols=["sensor_id"]
    )
    assert wr.timestream.write(df=frame, **kwargs) == []
    rejected = wr.timestream.write(df=frame.assign(temperature=[2.0]), **kwargs)
    assert [r["RecordIndex"] for r in rejected] == [0]
    assert rejected[0]["ExistingVersion"] == 1


def test_aws_cli_query(endpoint: EndpointProcess, write_client: Any, database: str, table: str) -> None:
    assert AWS_CLI.exists(), f"{AWS_CLI} missing: run `make venv` (the awscli package is a dev dependency)"
    t_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000) - 2000
    write_client.write_records(
        DatabaseName=database,
        TableName=table,
        Records=[
            {
                "Dimensions": [{"Name": "sensor_id", "Value": "sensor-07"}],
                "MeasureName": "temperature",
                "MeasureValue": "123.0",
                "Time": str(t_ms),
            }
        ],
    )
    result = subprocess.run(
        [
            str(AWS_CLI),
            "timestream-query",
            "query",
            "--query-string",
            f'SELECT sensor_id, measure_value::double, time FROM "{database}"."{table}"',
            "--endpoint-url",
            endpoint.url,
            "--output",
            "json",
        ],
        env={**os.environ, **endpoint.env()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [c["Name"] for c in out["ColumnInfo"]] == ["sensor_id", "measure_value::double", "time"]
    [row] = out["Rows"]
    expected_time = dt.datetime.fromtimestamp(t_ms // 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert [d["ScalarValue"] for d in row["Data"]] == [
        "sensor-07",
        "123.0",
        f"{expected_time}.{t_ms % 1000:03d}000000",
    ]
