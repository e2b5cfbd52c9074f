"""`tslake exporter` as the CronJob runs it: a subprocess against the local endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from tests.exporter.helpers import (
    Reading,
    assert_rows_equal,
    base_hour,
    expected_rows,
    frame_rows,
    list_keys,
    make_bucket,
    make_table,
    ms,
    read_prefix,
    write_readings,
)
from tslake.export import Window
from tslake.local.process import EndpointProcess, free_port

pytestmark = pytest.mark.usefixtures("endpoint")


def exporter(endpoint: EndpointProcess, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tslake.cli", "exporter", *args],
        env={**os.environ, **endpoint.env(), **env},
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture(scope="module")
def data(endpoint: EndpointProcess) -> dict[str, Any]:
    table = make_table()
    base = base_hour(2)
    readings = [
        Reading(
            f"sensor-{s:02d}", ms(base) + s * 37 + k * 1700, float((k * 13 + s) % 170 + 10), "OK" if k % 3 else "ERROR"
        )
        for s in range(3)
        for k in range(530)  # ~15 minutes
    ]
    write_readings(table, readings)
    return {"table": table, "base": base, "readings": readings}


class _Pushgateway(BaseHTTPRequestHandler):
    """A stand-in Pushgateway (no real one installs here): records what the exporter pushes."""

    received: list[tuple[str, str, str]] = []

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self.received.append((self.command, self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def pushgateway() -> Iterator[str]:
    _Pushgateway.received = []
    server = HTTPServer(("127.0.0.1", 0), _Pushgateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_backfill_writes_each_window_and_pushes_metrics(
    endpoint: EndpointProcess, data: dict[str, Any], pushgateway: str
) -> None:
    bucket = make_bucket()
    base = data["base"]
    start, end = base, base + timedelta(minutes=15)
    proc = exporter(
        endpoint,
        "--start", start.isoformat(), "--end", end.isoformat(), "--bucket", bucket,
        TSLAKE_RAW_TABLE=data["table"], TSLAKE_EXPORT_CEP="false", TSLAKE_PUSHGATEWAY_URL=pushgateway,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    windows = [Window(base + timedelta(minutes=m), base + timedelta(minutes=m + 5)) for m in (0, 5, 10)]
    assert list_keys(bucket) == [f"interpolated/date={base:%Y-%m-%d}/hour={base:%H}/{w.id}.parquet" for w in windows]
    expected = sorted(r for w in windows for r in expected_rows(data["readings"], w))
    assert_rows_equal(frame_rows(read_prefix(bucket, "interpolated/")), expected)
    assert f"{len(expected):,} rows in 3 files" in proc.stderr

    [(method, path, body)] = _Pushgateway.received
    assert (method, path) == ("PUT", "/metrics/job/tslake-exporter")
    assert f'tslake_exporter_rows_written_total{{dataset="interpolated"}} {float(len(expected))}' in body
    assert 'tslake_exporter_files_written_total{dataset="interpolated"} 3.0' in body
    assert 'tslake_exporter_windows_total{dataset="interpolated"} 3.0' in body
    assert "tslake_exporter_window_lag_seconds" in body
    assert 'tslake_exporter_window_duration_seconds_count{dataset="interpolated",phase="query"} 3.0' in body

    # The CronJob's default: the last complete window (here long after the data: empty, exit 0).
    proc = exporter(endpoint, "--bucket", bucket, "--delay", "0", TSLAKE_RAW_TABLE=data["table"])
    assert proc.returncode == 0, proc.stderr
    assert "exported 1 window(s)" in proc.stderr and "0 rows in 0 files" in proc.stderr
    assert '"event": "window_empty"' in proc.stderr


def test_bad_input_exits_non_zero_with_a_clear_error(endpoint: EndpointProcess, data: dict[str, Any]) -> None:
    bucket = make_bucket()
    base = data["base"]
    window = ("--start", base.isoformat(), "--end", (base + timedelta(minutes=10)).isoformat())

    proc = exporter(endpoint, "--start", base.isoformat(), "--end", (base - timedelta(minutes=5)).isoformat())
    assert proc.returncode == 2
    assert "is not after --start" in proc.stderr

    proc = exporter(endpoint, *window, "--bucket", "tslake-missing-bucket", TSLAKE_RAW_TABLE=data["table"])
    assert proc.returncode == 1
    assert "lake bucket s3://tslake-missing-bucket does not exist" in proc.stderr

    dead = f"http://127.0.0.1:{free_port()}"
    proc = exporter(endpoint, *window, "--bucket", bucket, TSLAKE_RAW_TABLE=data["table"],
                    AWS_ENDPOINT_URL_TIMESTREAM_QUERY=dead)  # fmt: skip
    assert proc.returncode == 1
    assert "time-series store is unreachable" in proc.stderr
    assert list_keys(bucket) == []

    proc = exporter(endpoint, *window, "--bucket", bucket, TSLAKE_RAW_TABLE="no_such_table")
    assert proc.returncode == 1
    assert "the store rejected the export query" in proc.stderr and "no_such_table" in proc.stderr
    assert list_keys(bucket) == []

    proc = exporter(endpoint, *window, TSLAKE_EXPORT_FORMAT="xml")
    assert proc.returncode == 2
    assert "TSLAKE_EXPORT_FORMAT" in proc.stderr
