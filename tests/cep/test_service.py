"""`tslake cep` as real subprocesses (the Python driver) against the local endpoint.

A partial match (ERROR and two non-ERRORs) is consumed, saved and checkpointed; the worker is stopped
(SIGTERM) or killed with its lease moving to a second worker; then the closing ERROR arrives. The match
must be on the CEP stream exactly once. Waits are on observable state (checkpoint, state item), not timers.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cep.helpers import matches, put, reading
from tests.support.kinesis import create_stream
from tslake.cep.state.reshard import key_hash

SENSOR = "sensor-42"
WAIT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, condition: Callable[[], Any], worker_logs: list[Path]) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    tails = "\n".join(f"--- {p}\n{p.read_text()[-3000:]}" for p in worker_logs if p.exists())
    pytest.fail(f"timed out waiting for {what}\n{tails}")


class Cluster:
    def __init__(self, endpoint: Any, tmp_path: Path) -> None:
        self.endpoint = endpoint
        self.tmp = tmp_path
        self.kinesis = endpoint.client("kinesis")
        self.dynamodb = endpoint.client("dynamodb")
        self.input = create_stream(self.kinesis, "cep-svc-in", shards=1)
        self.output = create_stream(self.kinesis, "cep-svc-out", shards=1)
        suffix = uuid.uuid4().hex[:8]
        self.app, self.state_table = f"cep-svc-{suffix}", f"cep-svc-state-{suffix}"
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.ports: dict[str, int] = {}
        self.logs: list[Path] = []
        self.last_sequence = ""

    def start(self, name: str) -> None:
        port = free_port()
        env = {
            **os.environ,
            **self.endpoint.env(),
            "TSLAKE_STREAM": self.input,
            "TSLAKE_CEP_STREAM": self.output,
            "TSLAKE_APPLICATION_NAME": self.app,
            "TSLAKE_STATE_TABLE": self.state_table,
            "TSLAKE_CONSUMER_DRIVER": "python",
            "TSLAKE_WORKER_ID": name,
            "TSLAKE_METRICS_PORT": str(port),
            "TSLAKE_IDLE_TIME_BETWEEN_READS_MILLIS": "200",
            "TSLAKE_FAILOVER_TIME_MILLIS": "3000",
            "TSLAKE_SHARD_SYNC_INTERVAL_MILLIS": "1000",
            "TSLAKE_ALLOWED_LATENESS_MS": "1000",
            "TSLAKE_LOG_LEVEL": "DEBUG",
        }
        log = self.tmp / f"{name}.log"
        self.logs.append(log)
        self.workers[name] = subprocess.Popen(
            [sys.executable, "-m", "tslake.cli", "cep"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb")
        )
        self.ports[name] = port

    def stop(self, name: str, sig: signal.Signals = signal.SIGTERM) -> int:
        process = self.workers.pop(name)
        process.send_signal(sig)
        return process.wait(timeout=60)

    def close(self) -> None:
        for process in self.workers.values():
            process.kill()
            process.wait(timeout=30)

    def put(self, rows: list[bytes] | list[tuple[str, bytes]]) -> None:
        """Put rows (SENSOR's, or (partition key, data) pairs); remember the last sequence of shard 0."""
        put(self.kinesis, self.input, [r if isinstance(r, tuple) else (SENSOR, r) for r in rows])
        shard = self.kinesis.list_shards(StreamName=self.input)["Shards"][0]
        iterator = self.kinesis.get_shard_iterator(
            StreamName=self.input, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        self.last_sequence = self.kinesis.get_records(ShardIterator=iterator, Limit=10_000)["Records"][-1][
            "SequenceNumber"
        ]

    def lease(self) -> dict[str, Any]:
        try:
            items = self.dynamodb.scan(TableName=self.app, ConsistentRead=True)["Items"]
        except self.dynamodb.exceptions.ResourceNotFoundException:
            return {}
        return items[0] if items else {}

    def checkpointed(self) -> bool:
        """Everything put so far is consumed, its state saved and its position checkpointed."""
        return self.lease().get("checkpoint", {}).get("S") == self.last_sequence

    def owner(self) -> str | None:
        return self.lease().get("leaseOwner", {}).get("S")

    def metric(self, worker: str, name: str) -> float:
        text = urllib.request.urlopen(f"http://127.0.0.1:{self.ports[worker]}/metrics", timeout=5).read().decode()
        values = [float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " ")]
        return values[0] if values else 0.0


@pytest.fixture
def cluster(endpoint: Any, tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(endpoint, tmp_path)
    try:
        yield c
    finally:
        c.close()


PARTIAL = [reading(SENSOR, 1000, "ERROR", 170), reading(SENSOR, 2000, "OK", 50), reading(SENSOR, 4000, "WARNING", 150)]
CLOSING = [reading(SENSOR, 5000, "ERROR", 175), reading(SENSOR, 9000, "OK", 40)]  # C, then a reading past the lateness
EXPECTED = {
    "sensor_id": SENSOR, "event_time": 1_764_000_001_000, "non_errors": 2, "history": "OK-WARNING",
    "min_temperature": 50.0, "avg_temperature": 136.25, "max_temperature": 175.0, "elapsed": 4,
    "_partition_key": SENSOR,
}  # fmt: skip


def test_restart_mid_partial_match_emits_it_once(cluster: Cluster) -> None:
    cluster.start("worker-a")
    cluster.put(PARTIAL)
    wait_for("the partial match to be checkpointed", cluster.checkpointed, cluster.logs)
    assert cluster.metric("worker-a", "tslake_cep_events_in_total") == 3
    assert cluster.stop("worker-a") == 0  # SIGTERM: clean shutdown

    cluster.start("worker-a-restarted")
    cluster.put(CLOSING)
    wait_for("the closing records to be checkpointed", cluster.checkpointed, cluster.logs)
    assert cluster.metric("worker-a-restarted", "tslake_cep_matches_out_total") == 1
    assert cluster.stop("worker-a-restarted") == 0
    assert matches(cluster.kinesis, cluster.output) == [EXPECTED]


def test_lease_move_mid_partial_match_emits_it_once(cluster: Cluster) -> None:
    cluster.start("worker-1")
    wait_for("worker-1 to hold the lease", lambda: cluster.owner() == "worker-1", cluster.logs)
    cluster.start("worker-2")  # one shard: worker-2 waits, holding nothing
    cluster.put(PARTIAL)
    wait_for("the partial match to be checkpointed", cluster.checkpointed, cluster.logs)
    assert cluster.owner() == "worker-1"
    cluster.stop("worker-1", signal.SIGKILL)  # no shutdown, no lease release: worker-2 must take it over

    cluster.put(CLOSING)
    wait_for("worker-2 to take the lease", lambda: cluster.owner() == "worker-2", cluster.logs)
    wait_for("the closing records to be checkpointed", cluster.checkpointed, cluster.logs)
    assert cluster.metric("worker-2", "tslake_cep_matches_out_total") == 1
    assert cluster.stop("worker-2") == 0
    assert matches(cluster.kinesis, cluster.output) == [EXPECTED]


def test_reshard_mid_partial_match_children_continue_it(cluster: Cluster) -> None:
    """The input stream splits while six sensors have partial matches; each child shard starts from the
    parent's saved state (its own sensors only), so every match is completed, once."""
    sensors = [f"sensor-{i:02d}" for i in range(6)]
    middle = 2**127  # UNIFORM_SCALING to two shards splits the hash key space here
    assert {key_hash(s) < middle for s in sensors} == {True, False}, "both children must get sensors"
    cluster.start("worker-r")

    def rows(template: list[bytes]) -> list[tuple[str, bytes]]:
        return [(s, row.replace(SENSOR.encode(), s.encode())) for row in template for s in sensors]

    cluster.put(rows(PARTIAL))
    wait_for("the partial matches to be checkpointed", cluster.checkpointed, cluster.logs)
    cluster.kinesis.update_shard_count(StreamName=cluster.input, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    put(cluster.kinesis, cluster.input, rows(CLOSING))

    wait_for(
        "one match per sensor", lambda: len(matches(cluster.kinesis, cluster.output)) >= len(sensors), cluster.logs
    )
    assert cluster.stop("worker-r") == 0
    found = matches(cluster.kinesis, cluster.output)
    assert sorted(m["sensor_id"] for m in found) == sensors
    assert all({**m, "sensor_id": SENSOR, "_partition_key": SENSOR} == EXPECTED for m in found)
    log = "".join(p.read_text() for p in cluster.logs)
    assert log.count('"state_inherited"') == 2
