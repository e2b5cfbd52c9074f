"""Prometheus metrics of raw-ingest: one definition each, all here.

MillisBehindLatest and the seconds since the last successful batch belong to the consumer layer
(`tslake.consumer`), which updates them for every service that consumes a stream.
`DEAD_LETTERED` is counted by `tslake.deadletter.DeadLetterWriter`, for any service that uses it.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RECORDS_IN = Counter("tslake_ingest_records_in_total", "Source records received from the stream", ["stream", "table"])
RECORDS_WRITTEN = Counter(
    "tslake_ingest_records_written_total",
    "Source records whose every store record was written",
    ["stream", "table"],
)
POINTS_WRITTEN = Counter(
    "tslake_ingest_points_written_total", "Store records written (a seed CEP event is four)", ["table"]
)
REJECTED = Counter(
    "tslake_ingest_rejected_total", "Source records with at least one store record rejected", ["stream", "table"]
)
DEAD_LETTERED = Counter(
    "tslake_dead_lettered_total", "Records set aside under the dead-letter prefix", ["service", "reason"]
)
WRITE_SECONDS = Histogram(
    "tslake_ingest_write_seconds",
    "Latency of one WriteRecords call (also the failed ones)",
    ["table"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
WRITE_BATCH_RECORDS = Histogram(
    "tslake_ingest_write_batch_records",
    "Records per WriteRecords call",
    ["table"],
    buckets=(1, 5, 10, 25, 50, 75, 100),
)
WRITE_RETRIES = Counter("tslake_ingest_write_retries_total", "WriteRecords calls retried after backoff", ["table"])
END_TO_END_SECONDS = Histogram(
    "tslake_ingest_end_to_end_seconds",
    "Now minus event_time when the record was written",
    ["table"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0),
)
