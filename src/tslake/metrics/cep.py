"""Prometheus metrics of the cep service: one definition each, all here.

Dead letters (bad records, late events) are counted by `tslake.deadletter.DeadLetterWriter` as
`tslake_dead_lettered_total{service="cep"}`; the consumer layer adds MillisBehindLatest and friends.
"""

from __future__ import annotations

import contextlib

from prometheus_client import Counter, Gauge, Histogram

EVENTS_IN = Counter("tslake_cep_events_in_total", "Source records received from the input stream")
DUPLICATES_SKIPPED = Counter(
    "tslake_cep_duplicates_skipped_total", "Re-delivered records already fed to the engine (after a restart)"
)
MATCHES_OUT = Counter("tslake_cep_matches_out_total", "CEP events (matches) put on the CEP stream")
LATE_EVENTS = Counter("tslake_cep_late_events_total", "Readings behind the watermark, dead-lettered as late_event")
INVALID = Counter("tslake_cep_invalid_records_total", "Records that are not valid readings", ["reason"])
OPEN_PARTIALS = Gauge("tslake_cep_open_partial_matches", "Sensors with a partial match in progress", ["shard_id"])
BUFFERED = Gauge("tslake_cep_buffered_events", "Readings waiting for the watermark", ["shard_id"])
STATE_BYTES = Gauge("tslake_cep_state_bytes", "Size of the saved per-shard state (compressed)", ["shard_id"])
PUT_SECONDS = Histogram(
    "tslake_cep_put_seconds",
    "Latency of putting one batch's matches on the CEP stream (PutRecords, retries included)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
STATE_SAVE_SECONDS = Histogram(
    "tslake_cep_state_save_seconds",
    "Latency of saving the per-shard state before the checkpoint",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


def shard_closed(shard_id: str) -> None:
    for gauge in (OPEN_PARTIALS, BUFFERED, STATE_BYTES):
        with contextlib.suppress(KeyError):
            gauge.remove(shard_id)
