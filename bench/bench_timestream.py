"""The local Timestream engine's speed, through `tslake local up` over HTTP.

1. WriteRecords ingest: 100-record multi-measure calls, pre-serialised and sent as raw HTTP POSTs from two
   client processes (boto3 itself costs ~5 ms of client CPU per call, which would hide the server). The
   endpoint's CPU per record is reported too. Ceiling: the same rows inserted directly into DuckDB from one
   Arrow table (no HTTP, JSON, validation or version semantics).
2. The seed exporter's interpolation query (query 4 in tests/support/seed_queries.py) over 15 minutes x 100
   sensors at 1 Hz (90,000 readings, 90,000 result rows): the Query call that runs it and returns the first
   page, and all pages. Ceiling: the same interpolation hand-written for DuckDB (two ASOF joins).
Goals on the 2-core machine: >= 50,000 records/s ingest, query under 1 s.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from bench.report import Figure, Report
from tests.support.seed_queries import QUERY_4, seed_sql
from tslake.local.process import EndpointProcess, start_endpoint

TARGET = "Timestream_20181101."
DATABASE = "bench"
INGEST_CALLS = 1_000  # 100,000 records
CLIENTS = 2
SENSORS = 100
QUERY_SECONDS = 900
QUERY_RUNS = 3

DIRECT_QUERY = """WITH r AS (
    SELECT sensor_id, time, v, status FROM readings WHERE time BETWEEN $start AND $end
), grid AS (
    SELECT sensor_id, unnest(generate_series(min(time), max(time), INTERVAL 1 SECOND)) AS t FROM r GROUP BY sensor_id
), before AS (
    SELECT g.sensor_id, g.t, r.time AS t0, r.v AS v0, r.status FROM grid g ASOF JOIN r
    ON g.sensor_id = r.sensor_id AND g.t >= r.time
), after AS (
    SELECT g.sensor_id, g.t, r.time AS t1, r.v AS v1 FROM grid g ASOF JOIN r
    ON g.sensor_id = r.sensor_id AND g.t <= r.time
)
SELECT b.sensor_id, b.t AS time, b.status,
       CASE WHEN a.t1 = b.t0 THEN b.v0
            ELSE b.v0 + (a.v1 - b.v0) * (epoch_ns(b.t) - epoch_ns(b.t0)) / (epoch_ns(a.t1) - epoch_ns(b.t0)) END
FROM before b JOIN after a USING (sensor_id, t)"""


def _headers(operation: str) -> dict[str, str]:
    # The endpoint routes on X-Amz-Target and does not check signatures.
    return {
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": TARGET + operation,
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/timestream/aws4_request",
    }


def _post(connection: http.client.HTTPConnection, operation: str, body: bytes) -> dict[str, Any]:
    connection.request("POST", "/", body=body, headers=_headers(operation))
    response = connection.getresponse()
    data = response.read()
    if response.status != 200:
        raise RuntimeError(f"{operation} answered {response.status}: {data[:300]!r}")
    return dict(json.loads(data))


def _server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ingest_bodies(client: int, calls: int, start_ms: int) -> list[bytes]:
    bodies = []
    for call in range(calls):
        records = []
        for i in range(100):
            n = (call * CLIENTS + client) * 100 + i
            records.append(
                {
                    "Dimensions": [{"Name": "sensor_id", "Value": f"sensor-{n % SENSORS:02d}"}],
                    "MeasureName": "reading",
                    "MeasureValueType": "MULTI",
                    "MeasureValues": [
                        {"Name": "temperature", "Value": str(10 + n % 170), "Type": "DOUBLE"},
                        {"Name": "status", "Value": ("OK", "WARNING", "ERROR")[n % 3], "Type": "VARCHAR"},
                    ],
                    "Time": str(start_ms + n),
                }
            )
        bodies.append(json.dumps({"DatabaseName": DATABASE, "TableName": "ingest", "Records": records}).encode())
    return bodies


def _ingest_client(host: str, port: int, client: int, calls: int, start_ms: int, go_at: float) -> int:
    bodies = _ingest_bodies(client, calls, start_ms)
    connection = http.client.HTTPConnection(host, port, timeout=300)
    while time.time() < go_at:
        time.sleep(0.001)
    for body in bodies:
        _post(connection, "WriteRecords", body)
    connection.close()
    return len(bodies) * 100


def _ingest(endpoint: EndpointProcess) -> tuple[float, float]:
    start_ms = int(time.time() * 1000) - 3_600_000
    calls = INGEST_CALLS // CLIENTS
    go_at = time.time() + 3.0  # every client has built its bodies by then
    with ProcessPoolExecutor(CLIENTS) as pool:
        futures = [
            pool.submit(_ingest_client, endpoint.host, endpoint.port, c, calls, start_ms, go_at) for c in range(CLIENTS)
        ]
        while time.time() < go_at:
            time.sleep(0.001)
        cpu0, t0 = _server_cpu_seconds(endpoint.pid), time.perf_counter()
        records = sum(f.result() for f in futures)
        seconds = time.perf_counter() - t0
        cpu = _server_cpu_seconds(endpoint.pid) - cpu0
    return records / seconds, cpu / records * 1e6


def _ingest_direct() -> float:
    start_ms = int(time.time() * 1000) - 3_600_000
    n = INGEST_CALLS * 100
    table = pa.table(
        {
            "sensor_id": [f"sensor-{i % SENSORS:02d}" for i in range(n)],
            "measure_name": ["reading"] * n,
            "time": pa.array([(start_ms + i) * 1_000_000 for i in range(n)], pa.int64()).cast(pa.timestamp("ns")),
            "temperature": [float(10 + i % 170) for i in range(n)],
            "status": [("OK", "WARNING", "ERROR")[i % 3] for i in range(n)],
        }
    )
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t (sensor_id VARCHAR, measure_name VARCHAR, time TIMESTAMP_NS, temperature DOUBLE, "
        "status VARCHAR)"
    )
    t0 = time.perf_counter()
    con.from_arrow(table).insert_into("t")
    seconds = time.perf_counter() - t0
    con.close()
    return n / seconds


def _readings(base_ms: int) -> list[tuple[str, int, float, str]]:
    rows = []
    for second in range(QUERY_SECONDS):
        for s in range(SENSORS):
            value = 10 + (second * 7 + s * 13) % 170
            status = "ERROR" if value > 160 else "WARNING" if value > 140 else "OK"
            rows.append((f"sensor-{s:02d}", base_ms + second * 1000 + s, float(value), status))
    return rows


def _load_readings(endpoint: EndpointProcess, rows: list[tuple[str, int, float, str]]) -> None:
    connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=300)
    for i in range(0, len(rows), 100):
        records = [
            {
                "Dimensions": [{"Name": "sensor_id", "Value": s}, {"Name": "status", "Value": st}],
                "MeasureName": "temperature",
                "MeasureValue": str(v),
                "Time": str(t),
            }
            for s, t, v, st in rows[i : i + 100]
        ]
        body = json.dumps({"DatabaseName": DATABASE, "TableName": "readings", "Records": records}).encode()
        _post(connection, "WriteRecords", body)
    connection.close()


def _window(base_ms: int) -> tuple[str, str]:
    fmt = "%Y-%m-%d %H:%M:%S"
    start = dt.datetime.fromtimestamp(base_ms // 1000 - 1, dt.UTC).strftime(fmt)
    end = dt.datetime.fromtimestamp(base_ms // 1000 + QUERY_SECONDS + 1, dt.UTC).strftime(fmt)
    return start, end


def _query(endpoint: EndpointProcess, sql: str) -> tuple[float, float, int]:
    connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=300)
    cpu0 = _server_cpu_seconds(endpoint.pid)
    t0 = time.perf_counter()
    page = _post(connection, "Query", json.dumps({"QueryString": sql}).encode())
    first = time.perf_counter() - t0
    rows = len(page["Rows"])
    while "NextToken" in page:
        body = json.dumps({"QueryString": sql, "NextToken": page["NextToken"]}).encode()
        page = _post(connection, "Query", body)
        rows += len(page["Rows"])
    total = time.perf_counter() - t0
    cpu = _server_cpu_seconds(endpoint.pid) - cpu0
    print(f"   query: first page {first:.2f} s, all {rows} rows {total:.2f} s, endpoint CPU {cpu:.2f} s", flush=True)
    connection.close()
    return first, total, rows


def _query_direct(rows: list[tuple[str, int, float, str]], window: tuple[str, str]) -> tuple[float, int]:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    table = pa.table(
        {
            "sensor_id": [r[0] for r in rows],
            "time": pa.array([r[1] * 1_000_000 for r in rows], pa.int64()).cast(pa.timestamp("ns")),
            "v": [r[2] for r in rows],
            "status": [r[3] for r in rows],
        }
    )
    con.execute("CREATE TABLE readings (sensor_id VARCHAR, time TIMESTAMP_NS, v DOUBLE, status VARCHAR)")
    con.from_arrow(table).insert_into("readings")
    timings = []
    count = 0
    for _ in range(QUERY_RUNS):
        t0 = time.perf_counter()
        result = con.sql(DIRECT_QUERY, params={"start": window[0], "end": window[1]}).to_arrow_table()
        timings.append(time.perf_counter() - t0)
        count = result.num_rows
    con.close()
    return statistics.median(timings), count


def run(report: Report) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-timestream-") as tmp:
        endpoint = start_endpoint(data_dir=Path(tmp) / "data", log_path=Path(tmp) / "endpoint.log", timeout=60)
        try:
            connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=60)
            _post(connection, "CreateDatabase", json.dumps({"DatabaseName": DATABASE}).encode())
            retention = {"MemoryStoreRetentionPeriodInHours": 24, "MagneticStoreRetentionPeriodInDays": 7}
            for table in ("ingest", "readings"):
                body = {"DatabaseName": DATABASE, "TableName": table, "RetentionProperties": retention}
                _post(connection, "CreateTable", json.dumps(body).encode())
            connection.close()

            rate, cpu_us = _ingest(endpoint)
            ceiling = _ingest_direct()
            print(
                f"   endpoint CPU per record: {cpu_us:.1f} us -> {1e6 / cpu_us:,.0f} records per endpoint "
                f"CPU-second (the wall-clock rate depends on what else the 2 cores run)",
                flush=True,
            )
            report.add(
                Figure(
                    "timestream WriteRecords ingest (HTTP, 100-rec MULTI)",
                    rate,
                    "records/s",
                    "DuckDB direct Arrow insert",
                    ceiling,
                    goal=">= 50,000 records/s",
                    notes={"server_cpu_us_per_record": round(cpu_us, 1), "clients": CLIENTS},
                )
            )

            base_ms = int(time.time() * 1000) - (QUERY_SECONDS + 60) * 1000
            rows = _readings(base_ms)
            _load_readings(endpoint, rows)
            window = _window(base_ms)
            sql = seed_sql(QUERY_4, DATABASE, "readings", start=window[0], end=window[1])
            runs = [_query(endpoint, sql) for _ in range(QUERY_RUNS)]
            first = statistics.median(r[0] for r in runs)
            total = statistics.median(r[1] for r in runs)
            result_rows = runs[0][2]
            direct, direct_rows = _query_direct(rows, window)
            if result_rows != direct_rows:
                raise RuntimeError(f"engine returned {result_rows} rows, DuckDB directly {direct_rows}")
            report.add(
                Figure(
                    "timestream interpolation query, first page",
                    first,
                    "s",
                    "DuckDB direct ASOF interpolation",
                    direct,
                    higher_is_better=False,
                    goal="< 1 s",
                    notes={"result_rows": result_rows, "readings": len(rows)},
                )
            )
            report.add(
                Figure(
                    "timestream interpolation query, all pages",
                    total,
                    "s",
                    "DuckDB direct ASOF interpolation",
                    direct,
                    higher_is_better=False,
                    notes={"result_rows": result_rows},
                )
            )
        finally:
            endpoint.stop()
