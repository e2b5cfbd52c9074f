"""Consumer-level Prometheus metrics (both drivers), including what the liveness probe reads.

With the KCL driver the processors run in child processes of the Java daemon, so the metrics use
prometheus_client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set by the supervisor for the whole
process tree) and the supervisor serves them; with the Python driver everything is in one process.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import Counter, Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MILLIS_BEHIND_LATEST = Gauge(
    "tslake_consumer_millis_behind_latest",
    "How far the last batch read from the shard was behind the tip of the stream",
    ["application", "shard_id"],
    multiprocess_mode="mostrecent",
)
LAST_SUCCESS = Gauge(
    "tslake_consumer_last_successful_batch_timestamp_seconds",
    "Unix time of the last batch that was written (or an empty poll that completed)",
    ["application"],
    multiprocess_mode="max",
)
RECORDS = Counter("tslake_consumer_records", "Records handed to the handler and written", ["application"])
BATCHES = Counter("tslake_consumer_batches", "Batches processed, including empty polls", ["application"])
HANDLER_FAILURES = Counter(
    "tslake_consumer_handler_failures",
    "handle() raised; the batch is retried after a backoff",
    ["application"],
)
CHECKPOINTS = Counter("tslake_consumer_checkpoints", "Checkpoints written", ["application"])
SHARDS_OWNED = Gauge(
    "tslake_consumer_shards_owned",
    "Shard processors currently running",
    ["application"],
    multiprocess_mode="sum",
)

_started = time.time()
_last_success: dict[str, float] = {}


def shard_started(application: str, shard_id: str) -> None:
    SHARDS_OWNED.labels(application).inc()


def shard_stopped(application: str, shard_id: str) -> None:
    SHARDS_OWNED.labels(application).dec()


def batch_succeeded(application: str, shard_id: str, records: int, millis_behind_latest: int | None) -> None:
    now = time.time()
    _last_success[application] = now
    LAST_SUCCESS.labels(application).set(now)
    BATCHES.labels(application).inc()
    if records:
        RECORDS.labels(application).inc(records)
    if millis_behind_latest is not None:
        MILLIS_BEHIND_LATEST.labels(application, shard_id).set(millis_behind_latest)


def idle(application: str) -> None:
    """A worker that holds no lease (a standby replica) is healthy: keep its liveness figure at zero."""
    _last_success[application] = time.time()


def handler_failed(application: str, shard_id: str) -> None:
    HANDLER_FAILURES.labels(application).inc()


def checkpointed(application: str, shard_id: str) -> None:
    CHECKPOINTS.labels(application).inc()


def seconds_since_last_success(application: str, last_success: float | None = None) -> float:
    """Since the last successful batch (or since start-up, or since the worker last held no lease)."""
    last = last_success if last_success is not None else _last_success.get(application)
    return max(0.0, time.time() - (last if last is not None else _started))


class SecondsSinceLastBatch(Collector):
    """Computed at scrape time, so a stalled consumer shows a growing number (the liveness probe)."""

    def __init__(self, application: str, read_last_success: object = None) -> None:
        self._application = application
        self._read = read_last_success

    def collect(self) -> Iterator[GaugeMetricFamily]:
        last = self._read() if callable(self._read) else None
        family = GaugeMetricFamily(
            "tslake_consumer_seconds_since_last_batch",
            "Seconds since the last successful batch (or since start-up)",
            labels=["application"],
        )
        family.add_metric([self._application], seconds_since_last_success(self._application, last))
        yield family
