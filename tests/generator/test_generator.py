"""The generator against the real local endpoint: what it reports is exactly what is on the stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.support.fault_proxy import KinesisFaultProxy
from tests.support.kinesis import create_stream
from tslake.generator.replica import ReplicaIdentityError, replica_id_from, sensor_ids
from tslake.local.process import EndpointProcess, endpoint_env
from tslake.run.counts import read_stream
from tslake.schema import parse_reading


def run_generator(env: dict[str, str], *args: str, timeout: float = 60) -> dict[str, Any]:
    """Run `tslake generator` to completion; return its `generator_stopped` totals."""
    proc = subprocess.run(
        [sys.executable, "-m", "tslake.cli", "generator", "--metrics-port", "0", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stderr.splitlines() if line.startswith("{")]
    assert all(e.get("event") for e in events), "every log line has an event name"
    (stopped,) = [e for e in events if e["event"] == "generator_stopped"]
    return stopped


def test_generator_puts_exactly_what_it_reports(endpoint: EndpointProcess) -> None:
    kinesis = endpoint.client("kinesis")
    stream = create_stream(kinesis, "gen-exact")
    totals = run_generator(endpoint.env(), "--stream", stream, "--count", "2345", "--rate", "5000", "--seed", "3")
    records = read_stream(stream, kinesis)

    assert totals["sent"] == 2345 == len(records)
    assert totals["failed"] == totals["retried"] == 0
    readings = [parse_reading(r["Data"]) for r in records]
    assert all(r.sensor_id == rec["PartitionKey"] for r, rec in zip(readings, records, strict=True))
    assert {r.sensor_id for r in readings} <= set(sensor_ids(0, 100))
    assert Counter(r.status for r in readings).keys() == {"OK", "WARNING", "ERROR"}
    assert all(10 <= r.temperature <= 180 and r.temperature == int(r.temperature) for r in readings)
    assert all(r.status == "ERROR" for r in readings if r.temperature > 160)
    assert all(r.status != "OK" for r in readings if r.temperature > 140)
    per_sensor: dict[str, list[int]] = {}
    for r in sorted(readings, key=lambda r: (r.sensor_id, r.event_time)):
        per_sensor.setdefault(r.sensor_id, []).append(r.event_time)
    assert all(len(t) == len(set(t)) for t in per_sensor.values()), "one reading per sensor per event_time"


def test_seeded_output_is_deterministic(endpoint: EndpointProcess) -> None:
    kinesis = endpoint.client("kinesis")
    payloads = []
    for _ in range(2):
        stream = create_stream(kinesis, "gen-seed", shards=1)
        run_generator(endpoint.env(), "--stream", stream, "--count", "300", "--rate", "3000", "--seed", "42")
        readings = [parse_reading(r["Data"]) for r in read_stream(stream, kinesis)]
        payloads.append([(r.sensor_id, r.temperature, r.status) for r in readings])
    assert payloads[0] == payloads[1]


def test_partial_failure_resends_only_the_failed_entries(endpoint: EndpointProcess) -> None:
    kinesis = endpoint.client("kinesis")
    stream = create_stream(kinesis, "gen-partial")

    def refuse_a_third_once(data: bytes, seen_before: int) -> bool:
        return seen_before == 0 and zlib.crc32(data) % 3 == 0

    with KinesisFaultProxy(endpoint.url, refuse_a_third_once) as proxy:
        totals = run_generator(
            endpoint_env(proxy.url), "--stream", stream, "--count", "1500", "--rate", "5000", "--seed", "9"
        )
    on_stream = Counter(r["Data"] for r in read_stream(stream, kinesis))

    assert proxy.refused > 300, "about a third of the entries were refused once"
    assert totals["sent"] == 1500 and totals["failed"] == 0
    assert totals["retried"] == proxy.refused == totals["throttled"]
    refused_once = {data for data in proxy.seen if zlib.crc32(data) % 3 == 0}
    # Each refused entry reached the proxy exactly twice, every other entry exactly once.
    assert all(proxy.seen[d] == (2 if d in refused_once else 1) for d in proxy.seen)
    assert set(on_stream.values()) == {1} and sum(on_stream.values()) == 1500


def test_two_replicas_never_share_a_sensor_id(endpoint: EndpointProcess) -> None:
    kinesis = endpoint.client("kinesis")
    stream = create_stream(kinesis, "gen-replicas")
    env = endpoint.env()
    for pod in ("tslake-generator-0", "tslake-generator-1"):
        run_generator({**env, "POD_NAME": pod}, "--stream", stream, "--count", "800", "--rate", "5000")
    readings = [parse_reading(r["Data"]) for r in read_stream(stream, kinesis)]
    owners: dict[str, set[int]] = {}
    for r in readings:
        owners.setdefault(r.sensor_id, set()).add(int(r.sensor_id.split("-")[1]) // 100)
    assert len(readings) == 1600
    assert {min(o) for o in owners.values()} == {0, 1}
    assert set(sensor_ids(0, 100)).isdisjoint(sensor_ids(1, 100))
    assert all(len(o) == 1 for o in owners.values())


def test_replica_identity_sources() -> None:
    assert replica_id_from(5, "gen-2", None) == 5
    assert replica_id_from(None, "tslake-generator-3", None) == 3
    assert replica_id_from(None, None, "host-7") == 7
    assert replica_id_from(None, None, "laptop") == 0
    with pytest.raises(ReplicaIdentityError, match="StatefulSet"):
        replica_id_from(None, "tslake-generator-7d9f8b-x2k4q", None)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"TSLAKE_GENERATOR_SENSORS": "many"}, "TSLAKE_GENERATOR_SENSORS"),
        ({"TSLAKE_GENERATOR_RATE": "-1"}, "TSLAKE_GENERATOR_RATE"),
        ({"TSLAKE_GENERATOR_RATE": "1000000"}, "TSLAKE_GENERATOR_RATE"),
        ({"TSLAKE_METRICS_PORT": "70000"}, "TSLAKE_METRICS_PORT"),
        ({"TSLAKE_LOG_LEVEL": "LOUD"}, "TSLAKE_LOG_LEVEL"),
        ({"POD_NAME": "gen-abc-xyz"}, "TSLAKE_GENERATOR_REPLICA_ID"),
    ],
)
def test_bad_setting_exits_2_naming_the_variable(env: dict[str, str], variable: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tslake.cli", "generator", "--count", "1"],
        env={**os.environ, **env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert variable in proc.stderr


@pytest.mark.parametrize(
    "argv",
    [["bogus"], [], ["generator", "--no-such-flag"], ["generator", "--rate", "fast"], ["local", "sideways"]],
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "tslake.cli", *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr
