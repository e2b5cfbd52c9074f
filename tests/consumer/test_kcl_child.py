"""The KCL child process (what the MultiLangDaemon starts per shard) over its real stdin/stdout protocol.

The daemon's side of the conversation is scripted here, message for message as KCL 2.x's multilang
protocol sends it, so each rule can be checked at the exact line where it matters (the real daemon
runs in test_kcl_daemon.py). The child is the real `python -m tests.consumer.app` with
`TSLAKE_KCL_CHILD=1`, writing to DynamoDB through the local endpoint.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.consumer.scenario import REPO, Scenario
from tslake.local.process import EndpointProcess

SHARD = "shardId-000000000007"


class Child:
    def __init__(self, scenario: Scenario, stderr: Path, **settings: str) -> None:
        env = {
            **os.environ,
            **scenario.endpoint.env(),
            "TSLAKE_KCL_CHILD": "1",
            "TSLAKE_CONSUMER_DRIVER": "kcl",
            "TSLAKE_STREAM": scenario.stream,
            "TSLAKE_APPLICATION_NAME": scenario.app,
            "TSLAKE_SINK_TABLE": scenario.sink,
            "TSLAKE_RETRY_INITIAL_BACKOFF_MILLIS": "50",
            "TSLAKE_RETRY_MAX_BACKOFF_MILLIS": "100",
            **{f"TSLAKE_{k.upper()}": v for k, v in settings.items()},
        }
        self.stderr_path = stderr
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.consumer.app"],
            env=env,
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr.open("wb"),
            text=True,
        )
        self.stdout_lines: list[str] = []

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        """The next protocol message; every non-blank stdout line must be one."""
        assert self.process.stdout is not None
        while True:
            line = self.process.stdout.readline()
            assert line, f"child closed stdout; stderr:\n{self.stderr_path.read_text()[-3000:]}"
            self.stdout_lines.append(line)
            if line.strip():
                return dict(json.loads(line))

    def close(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(30)


def records(first: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "action": "record",
            "data": base64.b64encode(json.dumps({"id": i, "sensor_id": "sensor-01", "n": i}).encode()).decode(),
            "partitionKey": "sensor-01",
            "sequenceNumber": str(i),
            "subSequenceNumber": 0,
            "approximateArrivalTimestamp": 1_764_000_000_000 + i,
        }
        for i in range(first, first + count)
    ]


@pytest.fixture
def scenario(endpoint: EndpointProcess, tmp_path: Path) -> Iterator[Scenario]:
    yield Scenario(endpoint, tmp_path, shards=1)


def test_failed_writes_are_retried_before_the_checkpoint_and_stdout_is_protocol_only(
    scenario: Scenario, tmp_path: Path
) -> None:
    child = Child(scenario, tmp_path / "child.log", fail_first_batches="2", print_noise="true")
    child.send({"action": "initialize", "shardId": SHARD, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": None})
    assert child.receive() == {"action": "status", "responseFor": "initialize"}

    child.send({"action": "processRecords", "records": records(1, 50), "millisBehindLatest": 1200})
    request = child.receive()
    # The first thing after two failed writes is the checkpoint, at the last record, and only now is
    # the whole batch in the store.
    assert request == {"action": "checkpoint", "sequenceNumber": "50", "subSequenceNumber": 0}
    assert scenario.count() == 50
    child.send({"action": "checkpoint", "sequenceNumber": "50", "subSequenceNumber": 0, "error": None})
    assert child.receive() == {"action": "status", "responseFor": "processRecords"}

    # The next checkpoint is refused as the lease moved (ShutdownException)...
    child.send({"action": "processRecords", "records": records(51, 10), "millisBehindLatest": 0})
    assert child.receive()["sequenceNumber"] == "60"
    child.send({"action": "checkpoint", "sequenceNumber": "60", "subSequenceNumber": 0, "error": "ShutdownException"})
    assert child.receive() == {"action": "status", "responseFor": "processRecords"}
    # ... so shutdown_requested checkpoints the last durable record explicitly.
    child.send({"action": "shutdownRequested"})
    assert child.receive() == {"action": "checkpoint", "sequenceNumber": "60", "subSequenceNumber": 0}
    child.send({"action": "checkpoint", "sequenceNumber": "60", "subSequenceNumber": 0, "error": None})
    assert child.receive() == {"action": "status", "responseFor": "shutdownRequested"}

    # lease_lost: no checkpoint, just the status.
    child.send({"action": "leaseLost"})
    assert child.receive() == {"action": "status", "responseFor": "leaseLost"}
    assert child.close() == 0

    assert all(not line.strip() or json.loads(line) for line in child.stdout_lines)
    stderr = (tmp_path / "child.log").read_text()
    assert "noise from handle()" in stderr, "print() output must go to stderr"
    assert "injected store outage" in stderr and "batch_failed_retrying" in stderr
    # shutdownRequested then leaseLost (as the daemon's graceful shutdown sends them): one close().
    assert stderr.count("handler_closed") == 1 and "handler_closed reason=shutdown" in stderr


def test_shard_end_checkpoints_with_no_sequence_number(scenario: Scenario, tmp_path: Path) -> None:
    child = Child(scenario, tmp_path / "child.log")
    child.send({"action": "initialize", "shardId": SHARD, "sequenceNumber": "41", "subSequenceNumber": 0})
    assert child.receive() == {"action": "status", "responseFor": "initialize"}
    child.send({"action": "processRecords", "records": records(42, 5), "millisBehindLatest": 0})
    assert child.receive()["sequenceNumber"] == "46"
    child.send({"action": "checkpoint", "sequenceNumber": "46", "subSequenceNumber": 0, "error": None})
    assert child.receive() == {"action": "status", "responseFor": "processRecords"}
    # An empty poll (callProcessRecordsEvenForEmptyRecordList) checkpoints nothing.
    child.send({"action": "processRecords", "records": [], "millisBehindLatest": 0})
    assert child.receive() == {"action": "status", "responseFor": "processRecords"}
    child.send({"action": "shardEnded"})
    assert child.receive() == {"action": "checkpoint", "sequenceNumber": None, "subSequenceNumber": None}
    child.send({"action": "checkpoint", "sequenceNumber": "SHARD_END", "subSequenceNumber": 0, "error": None})
    assert child.receive() == {"action": "status", "responseFor": "shardEnded"}
    assert child.close() == 0
    assert scenario.count() == 5
    assert "handler_closed reason=shard_end" in (tmp_path / "child.log").read_text()


def test_without_a_handler_nothing_is_checkpointed_not_even_shard_end(scenario: Scenario, tmp_path: Path) -> None:
    child = Child(scenario, tmp_path / "child.log", fail_factory="true")
    child.send({"action": "initialize", "shardId": SHARD, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": None})
    assert child.receive() == {"action": "status", "responseFor": "initialize"}
    child.send({"action": "processRecords", "records": records(1, 5), "millisBehindLatest": 0})
    assert child.receive() == {"action": "status", "responseFor": "processRecords"}  # no checkpoint
    child.send({"action": "shardEnded"})
    assert child.receive() == {"action": "status", "responseFor": "shardEnded"}  # no SHARD_END past them
    assert child.close() == 0
    assert scenario.count() == 0
    assert "injected factory failure" in (tmp_path / "child.log").read_text()
