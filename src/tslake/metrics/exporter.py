"""Exporter metrics. Own registry: the exporter is short-lived (CronJob, backfill, DAG task), so it
pushes these to a Pushgateway at exit instead of being scraped, and pushes only its own series."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, push_to_gateway

REGISTRY = CollectorRegistry()

ROWS = Counter("tslake_exporter_rows_written_total", "Rows written to the data lake", ["dataset"], registry=REGISTRY)
FILES = Counter("tslake_exporter_files_written_total", "Files written to the data lake", ["dataset"], registry=REGISTRY)
WINDOWS = Counter("tslake_exporter_windows_total", "Windows exported (empty ones too)", ["dataset"], registry=REGISTRY)
FAILURES = Counter(
    "tslake_exporter_failures_total",
    "Window exports that failed, by error type",
    ["dataset", "error"],
    registry=REGISTRY,
)
WINDOW_LAG = Gauge(
    "tslake_exporter_window_lag_seconds",
    "Seconds from the end of the last exported window to its export",
    ["dataset"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "tslake_exporter_window_duration_seconds",
    "Time per window export, by phase (query, write)",
    ["dataset", "phase"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
    registry=REGISTRY,
)
LAST_SUCCESS = Gauge(
    "tslake_exporter_last_success_timestamp_seconds",
    "Unix time of the last successful window export",
    ["dataset"],
    registry=REGISTRY,
)


def record_success(
    dataset: str, *, rows: int, files: int, query_seconds: float, write_seconds: float, lag_seconds: float
) -> None:
    ROWS.labels(dataset=dataset).inc(rows)
    FILES.labels(dataset=dataset).inc(files)
    WINDOWS.labels(dataset=dataset).inc()
    DURATION.labels(dataset=dataset, phase="query").observe(query_seconds)
    DURATION.labels(dataset=dataset, phase="write").observe(write_seconds)
    WINDOW_LAG.labels(dataset=dataset).set(lag_seconds)
    LAST_SUCCESS.labels(dataset=dataset).set(time.time())


def push(gateway: str, job: str, timeout: float = 10.0) -> None:
    """Replace this job's group on the Pushgateway with the current values."""
    push_to_gateway(gateway, job=job, registry=REGISTRY, timeout=timeout)
