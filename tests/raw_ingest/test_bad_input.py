"""Must show, bad input: ~5 % garbage of every kind on a fresh stream, raw-ingest as a real subprocess
(Python driver) against the local endpoint. Every good record is in the table, every bad one under the
dead-letter prefix with its reason, the counts add up exactly, the metrics agree; a replay changes nothing.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tslake import names
from tslake.local.process import free_port
from tslake.producer import KinesisProducer
from tslake.schema import SensorReading, parse_reading

from .garbage import mixed_input
from .helpers import epoch_ms, fresh_table, query_rows

DB = names.TIMESTREAM_DATABASE
GOOD = 480
DRAIN_LIMIT_S = 120  # a bound on waiting, not an assertion on speed


def _scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def _sum(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


class Service:
    """`tslake raw-ingest` as a subprocess; its log goes to a file shown when the test fails."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.log = log
        env = {**env, "TSLAKE_METRICS_PORT": str(self.port), "TSLAKE_METRICS_HOST": "127.0.0.1"}
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "tslake.cli", "raw-ingest"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
            )

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        return _scrape(self.port)

    def wait_for(self, stream: str, total: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Until every record was handled (written or dead-lettered), or the bound runs out."""
        deadline = time.monotonic() + DRAIN_LIMIT_S
        samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"raw-ingest exited with {self.popen.returncode}:\n{self.tail()}"
            try:
                samples = self.metrics()
            except OSError:
                time.sleep(0.3)
                continue
            written = _sum(samples, "tslake_ingest_records_written_total", stream=stream)
            dead = _sum(samples, "tslake_dead_lettered_total", service="raw-ingest")
            if written + dead >= total:
                return samples
            time.sleep(0.3)
        pytest.fail(f"raw-ingest did not drain {total} records in {DRAIN_LIMIT_S}s:\n{self.tail()}")

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return int(self.popen.returncode)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def services() -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for service in started:
        service.stop()


def test_bad_input_is_dead_lettered_with_its_reason_and_every_good_record_is_written(
    endpoint: Any, services: list[Service], tmp_path: Path
) -> None:
    kinesis, s3 = endpoint.client("kinesis"), endpoint.client("s3")
    stream = f"raw-bad-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    table = fresh_table(endpoint, "raw_bad")
    now = int(time.time() * 1000)
    inputs = mixed_input(GOOD, now)

    # One more kind: a record the store itself refuses. A reading already stored with a higher Version
    # (an earlier correction) makes a later, different value for the same sensor, status and time a
    # RejectedRecords entry.
    conflict = SensorReading("sensor-conflict", 42.0, "OK", now - 5_000)
    endpoint.client("timestream-write").write_records(
        DatabaseName=DB,
        TableName=table,
        Records=[
            {
                "Dimensions": [{"Name": "sensor_id", "Value": conflict.sensor_id}, {"Name": "status", "Value": "OK"}],
                "MeasureName": "temperature",
                "MeasureValue": "41.0",
                "MeasureValueType": "DOUBLE",
                "Time": str(conflict.event_time),
                "Version": 2**62,
            }
        ],
    )
    entries = [(i.partition_key, i.data) for i in inputs] + [(conflict.sensor_id, conflict.to_json())]
    expected_reasons = Counter(i.reason for i in inputs if i.reason) + Counter({"rejected_by_store": 1})
    total = len(entries)
    bad_total = sum(expected_reasons.values())
    assert 0.04 <= bad_total / total <= 0.07
    assert KinesisProducer(stream).put(entries).sent == total

    env = {
        **os.environ,
        **endpoint.env(),
        "TSLAKE_CONSUMER_DRIVER": "python",
        "TSLAKE_STREAM": stream,
        "TSLAKE_APPLICATION_NAME": f"raw-bad-{uuid.uuid4().hex[:8]}",
        "TSLAKE_TIMESTREAM_TABLE": table,
        "TSLAKE_IDLE_TIME_BETWEEN_READS_MILLIS": "200",
        "TSLAKE_LOG_LEVEL": "INFO",
    }
    service = Service(env, tmp_path / "raw-ingest.log")
    services.append(service)
    samples = service.wait_for(stream, total)

    # The table holds exactly the good records, value for value.
    good = {
        (r.sensor_id, r.status, r.event_time, r.temperature)
        for r in (parse_reading(i.data) for i in inputs if i.reason is None)
    }
    rows = query_rows(
        endpoint,
        f'SELECT sensor_id, status, time, measure_value::double FROM "{DB}"."{table}" '
        f"WHERE measure_name = 'temperature' AND sensor_id <> '{conflict.sensor_id}'",
    )
    stored = {(r[0], r[1], epoch_ms(r[2] or ""), float(r[3] or "nan")) for r in rows}
    assert len(rows) == GOOD
    assert stored == good

    # Every bad record is under the dead-letter prefix, once, with its reason and its source.
    prefix = f"{names.DEAD_LETTER_PREFIX}raw-ingest/"
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=names.LAKE_BUCKET, Prefix=prefix)
        for o in page.get("Contents", [])
        if f"/{stream}/" in o["Key"]
    ]
    by_payload: dict[bytes, dict[str, Any]] = {}
    for key in keys:
        doc = json.loads(s3.get_object(Bucket=names.LAKE_BUCKET, Key=key)["Body"].read())
        assert key.split("/")[2] == doc["reason"]
        assert doc["source"]["stream"] == stream and doc["source"]["shard_id"].startswith("shardId-")
        assert doc["source"]["sequence_number"] and doc["detail"]
        by_payload[base64.b64decode(doc["payload_base64"])] = doc
    expected = {i.data: i.reason for i in inputs if i.reason} | {conflict.to_json(): "rejected_by_store"}
    assert {p: d["reason"] for p, d in by_payload.items()} == expected
    assert "existing version" in by_payload[conflict.to_json()]["detail"]

    # The counts add up exactly, and the metrics say the same.
    assert len(keys) == bad_total and GOOD + bad_total == total
    assert _sum(samples, "tslake_ingest_records_in_total", stream=stream) == total
    assert _sum(samples, "tslake_ingest_records_written_total", stream=stream) == GOOD
    assert _sum(samples, "tslake_ingest_rejected_total", stream=stream) == 1
    for reason, count in expected_reasons.items():
        assert _sum(samples, "tslake_dead_lettered_total", service="raw-ingest", reason=reason) == count, reason
    assert _sum(samples, "tslake_ingest_write_batch_records_count", table=table) >= 1
    assert _sum(samples, "tslake_ingest_end_to_end_seconds_count", table=table) == GOOD
    assert service.stop() == 0, service.tail()

    # A replay (a new application reads the stream again from TRIM_HORIZON) changes nothing: the writes
    # are exact no-ops (same Version, same value) and the dead-letter objects are overwritten in place.
    replay = Service({**env, "TSLAKE_APPLICATION_NAME": f"raw-replay-{uuid.uuid4().hex[:8]}"}, tmp_path / "replay.log")
    services.append(replay)
    samples = replay.wait_for(stream, total)
    assert _sum(samples, "tslake_ingest_records_written_total", stream=stream) == GOOD
    assert query_rows(endpoint, f'SELECT count(*) FROM "{DB}"."{table}"') == [[str(GOOD + 1)]]
    again = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=names.LAKE_BUCKET, Prefix=prefix)
        for o in page.get("Contents", [])
        if f"/{stream}/" in o["Key"]
    ]
    assert sorted(again) == sorted(keys)
    assert replay.stop() == 0, replay.tail()
