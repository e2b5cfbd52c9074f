"""Helpers for the consumer scenarios: a stream, a sink table, worker processes, and what they wrote."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tslake.local.process import EndpointProcess

REPO = Path(__file__).resolve().parents[2]
SENSORS = 20


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, poll: float = 0.5) -> Any:
    """A guard against hanging, not a speed assertion: fail with `what` if it never happens."""
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while True:
        value = predicate()
        if value:
            if os.environ.get("TSLAKE_TEST_TIMING"):
                print(f"[{time.strftime('%X')}] {what}: {time.monotonic() - started:.1f}s", flush=True)
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(poll)


def mark(label: str) -> None:
    if os.environ.get("TSLAKE_TEST_TIMING"):
        print(f"[{time.strftime('%X')}] {label}", flush=True)


def payload(record_id: int) -> tuple[str, bytes]:
    sensor = f"sensor-{record_id % SENSORS:02d}"
    return sensor, json.dumps({"id": record_id, "sensor_id": sensor, "n": record_id // SENSORS}).encode()


@dataclass
class Scenario:
    endpoint: EndpointProcess
    logs: Path
    shards: int = 2
    name: str = field(default_factory=lambda: f"cons-{uuid.uuid4().hex[:8]}")
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kinesis = self.endpoint.client("kinesis")
        self.dynamodb = self.endpoint.client("dynamodb")
        self.stream = self.name
        self.sink = f"{self.name}-sink"
        self.app = f"{self.name}-app"
        self.kinesis.create_stream(StreamName=self.stream, ShardCount=self.shards)
        self.kinesis.get_waiter("stream_exists").wait(
            StreamName=self.stream, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
        )
        self.dynamodb.create_table(
            TableName=self.sink,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )

    # -- input ----------------------------------------------------------------------------------------

    def put(self, ids: Iterable[int]) -> None:
        batch = [payload(i) for i in ids]
        for offset in range(0, len(batch), 500):
            chunk = batch[offset : offset + 500]
            answer = self.kinesis.put_records(
                StreamName=self.stream, Records=[{"PartitionKey": k, "Data": d} for k, d in chunk]
            )
            assert answer["FailedRecordCount"] == 0, answer

    def put_in_steps(self, start: int, stop: int, step: int = 250) -> threading.Thread:
        """Keep putting records from a background thread, so workers are killed mid-stream."""

        def produce() -> None:
            for first in range(start, stop, step):
                self.put(range(first, min(first + step, stop)))

        thread = threading.Thread(target=produce, name="producer")
        thread.start()
        return thread

    # -- workers --------------------------------------------------------------------------------------

    def start(
        self, worker: str, driver: str, *, command: tuple[str, ...] = ("tests.consumer.app",), **settings: object
    ) -> subprocess.Popen[bytes]:
        """A worker process; `command` is the module (and arguments) run with `python -m`."""
        env = {
            **os.environ,
            **self.endpoint.env(),
            "TSLAKE_STREAM": self.stream,
            "TSLAKE_APPLICATION_NAME": self.app,
            "TSLAKE_SINK_TABLE": self.sink,
            "TSLAKE_WORKER_ID": worker,
            "TSLAKE_CONSUMER_DRIVER": driver,
            "TSLAKE_METRICS_PORT": "0",
            "TSLAKE_MAX_RECORDS": "500",
            "TSLAKE_FAILOVER_TIME_MILLIS": "3000",
            "TSLAKE_IDLE_TIME_BETWEEN_READS_MILLIS": "200",
            "TSLAKE_SHARD_SYNC_INTERVAL_MILLIS": "2000",
            "TSLAKE_PARENT_SHARD_POLL_INTERVAL_MILLIS": "500",
            "TSLAKE_SHUTDOWN_GRACE_MILLIS": "8000",
            "TSLAKE_RETRY_INITIAL_BACKOFF_MILLIS": "100",
            "TSLAKE_RETRY_MAX_BACKOFF_MILLIS": "1000",
            "TSLAKE_JAVA_HEAP": "192m",
            **{f"TSLAKE_{key.upper()}": str(value) for key, value in settings.items()},
        }
        log = open(self.logs / f"{worker}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen([sys.executable, "-m", *command], env=env, cwd=REPO, stdout=log, stderr=log)
        self.workers[worker] = process
        return process

    def terminate(self, worker: str, timeout: float) -> int:
        """SIGTERM; the worker must exit by itself within `timeout` (its shutdown grace)."""
        process = self.workers[worker]
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"{worker} did not exit within {timeout}s of SIGTERM:\n{self.log_tail(worker)}"
            ) from None

    def kill(self, worker: str) -> None:
        self.workers[worker].send_signal(signal.SIGKILL)
        self.workers[worker].wait(10)

    def stop_all(self) -> None:
        for process in self.workers.values():
            if process.poll() is None:
                process.kill()
                process.wait(10)

    def log_tail(self, worker: str, lines: int = 40) -> str:
        text = (self.logs / f"{worker}.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    # -- output ---------------------------------------------------------------------------------------

    def _scan(self, table: str, **kwargs: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        while True:
            page = self.dynamodb.scan(TableName=table, **kwargs)
            items += page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def count(self) -> int:
        total, kwargs = 0, {"Select": "COUNT"}
        while True:
            page = self.dynamodb.scan(TableName=self.sink, **kwargs)
            total += page["Count"]
            if "LastEvaluatedKey" not in page:
                return total
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def written(self) -> list[dict[str, Any]]:
        """One dict per sink item: id, sensor, n, driver, order, shard, sequence."""
        rows = []
        for item in self._scan(self.sink):
            body = json.loads(item["data"]["S"])
            shard, sequence = item["pk"]["S"].split("/")
            rows.append(
                {
                    **body,
                    "driver": item["driver"]["S"],
                    "order": int(item["order"]["N"]),
                    "shard": shard,
                    "sequence": int(sequence),
                    "partition_key": item["partition_key"]["S"],
                }
            )
        return rows

    def leases(self) -> dict[str, dict[str, Any]]:
        return {item["leaseKey"]["S"]: item for item in self._scan(self.app, ConsistentRead=True)}

    def owners(self) -> dict[str, str | None]:
        return {key: item.get("leaseOwner", {}).get("S") for key, item in self.leases().items()}

    def shard_tips(self) -> dict[str, int]:
        """The last sequence number on each shard (what a final checkpoint must equal)."""
        tips: dict[str, int] = {}
        for shard in self.kinesis.list_shards(StreamName=self.stream)["Shards"]:
            iterator = self.kinesis.get_shard_iterator(
                StreamName=self.stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            last = None
            while iterator:
                page = self.kinesis.get_records(ShardIterator=iterator, Limit=10_000)
                if page["Records"]:
                    last = int(page["Records"][-1]["SequenceNumber"])
                if not page["Records"]:
                    break
                iterator = page.get("NextShardIterator")
            if last is not None:
                tips[shard["ShardId"]] = last
        return tips


def assert_exactly_once(rows: list[dict[str, Any]], expected_ids: Iterable[int]) -> None:
    expected = sorted(expected_ids)
    ids = sorted(row["id"] for row in rows)
    assert len(rows) == len(expected), f"{len(rows)} items written, expected {len(expected)}"
    assert ids == expected, (
        f"missing {sorted(set(expected) - set(ids))[:10]}, extra {sorted(set(ids) - set(expected))[:10]}"
    )
    for row in rows:
        assert row["partition_key"] == row["sensor_id"], row
