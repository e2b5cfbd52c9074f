"""The handler against the local endpoint: outages raise (no checkpoint), CEP events land in the seed's layout."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest

from tslake import names
from tslake.aws import client as aws_client
from tslake.consumer import SourceRecord
from tslake.deadletter import DeadLetterUnavailableError, DeadLetterWriter
from tslake.ingest.handler import RawIngestHandler
from tslake.ingest.layouts import layout
from tslake.schema import CepEvent, SensorReading
from tslake.sinks import SinkUnavailableError
from tslake.sinks.timestream import TimestreamSink

from .helpers import fresh_table, query_rows
from .timestream_faults import Fault, TimestreamFaultProxy

DB = names.TIMESTREAM_DATABASE
DAY_MS = 24 * 3600 * 1000


def _records(payloads: list[bytes], stream: str) -> list[SourceRecord]:
    arrival = int(time.time() * 1000)
    return [
        SourceRecord(p, "pk", str(1000 + i), None, arrival, stream, "shardId-000000000000")
        for i, p in enumerate(payloads)
    ]


def _handler(table: str, layout_name: str, stream: str, **kwargs: Any) -> RawIngestHandler:
    options: dict[str, Any] = {
        "layout": layout(layout_name),
        "sink": TimestreamSink(DB, table, backoff_base_seconds=0.001, backoff_max_seconds=0.01, max_attempts=2),
        "dead_letters": DeadLetterWriter(names.LAKE_BUCKET, "raw-ingest-test"),
        "stream": stream,
        "table": table,
        "max_age_ms": DAY_MS,
        "max_future_ms": 15 * 60 * 1000,
    }
    return RawIngestHandler(**(options | kwargs))


def _dead_letters(endpoint: Any, stream: str) -> list[str]:
    listed = endpoint.client("s3").list_objects_v2(Bucket=names.LAKE_BUCKET, Prefix="dead-letter/raw-ingest-test/")
    return sorted(o["Key"] for o in listed.get("Contents", []) if f"/{stream}/" in o["Key"])


@pytest.mark.parametrize(
    ("variable", "value"),
    [("TSLAKE_TABLE_LAYOUT", "wide"), ("TSLAKE_WRITE_BATCH_SIZE", "500"), ("TSLAKE_WRITE_CONCURRENCY", "0")],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(variable: str, value: str) -> None:
    env = {**os.environ, variable: value}
    done = subprocess.run(
        [sys.executable, "-m", "tslake.cli", "raw-ingest"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert variable in done.stderr


def test_store_outage_raises_so_nothing_is_checkpointed_and_the_retry_writes_everything_once(endpoint: Any) -> None:
    table = fresh_table(endpoint, "handler")
    stream = f"outage-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)
    payloads = [SensorReading(f"sensor-{i:02d}", float(i), "OK", now - i).to_json() for i in range(30)]
    batch = _records([*payloads, b"{oops"], stream)
    down = True

    def plan(_call: int, _request: dict[str, Any]) -> Fault:
        return (503, "ServiceUnavailable") if down else None

    with TimestreamFaultProxy(endpoint.url, plan) as proxy:
        sink = TimestreamSink(
            DB,
            table,
            client=aws_client("timestream-write", max_attempts=0, endpoint_url=proxy.url),
            max_attempts=2,
            backoff_base_seconds=0.001,
        )
        handler = _handler(table, "raw", stream, sink=sink)
        with pytest.raises(SinkUnavailableError):
            handler.handle(batch)
        assert _dead_letters(endpoint, stream) == []  # nothing half-done is reported as done
        down = False
        handler.handle(batch)  # what the consumer layer does: the same batch again
    assert query_rows(endpoint, f'SELECT count(*) FROM "{DB}"."{table}"') == [["30"]]
    assert [k.split("/")[2] for k in _dead_letters(endpoint, stream)] == ["malformed_json"]


def test_dead_letter_bucket_outage_raises_instead_of_losing_the_bad_record(endpoint: Any) -> None:
    stream = f"dlq-down-{uuid.uuid4().hex[:8]}"
    broken = DeadLetterWriter("no-such-bucket", "raw-ingest-test")
    handler = _handler("not_written_to", "raw", stream, dead_letters=broken)
    with pytest.raises(DeadLetterUnavailableError, match="no-such-bucket"):
        handler.handle(_records([b"not json"], stream))


def test_cep_events_become_the_seeds_four_records_and_the_seed_pivot_query_runs(endpoint: Any) -> None:
    table = fresh_table(endpoint, "cep", memory_hours=names.CEP_TABLE_MEMORY_HOURS)
    stream = f"cep-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)
    events = [
        CepEvent(f"sensor-{i:02d}", now - 10_000 * i, 2, "OK-WARNING", 20.0 + i, 90.5 + i, 170.0 + i, 3 + i)
        for i in range(5)
    ]
    _handler(table, "cep_seed", stream).handle(_records([e.to_json() for e in events], stream))
    rows = query_rows(
        endpoint,
        "SELECT sensor_id, history, non_errors, "
        "MAX(CASE WHEN measure_name = 'avg_temperature' THEN measure_value::double END) AS avg_temperature, "
        "MAX(CASE WHEN measure_name = 'elapsed' THEN measure_value::double END) AS elapsed "
        f'FROM "{DB}"."{table}" GROUP BY sensor_id, history, non_errors ORDER BY sensor_id',
    )
    assert [(r[0], r[1], r[2], float(r[3] or "nan"), float(r[4] or "nan")) for r in rows] == [
        (e.sensor_id, "OK-WARNING", "2", e.avg_temperature, float(e.elapsed)) for e in events
    ]
    assert query_rows(endpoint, f'SELECT count(*) FROM "{DB}"."{table}"') == [["20"]]


def test_cep_multi_layout_writes_one_multi_record_per_event_with_named_measure_columns(endpoint: Any) -> None:
    table = fresh_table(endpoint, "cep_multi", memory_hours=names.CEP_TABLE_MEMORY_HOURS)
    stream = f"cep-multi-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000)
    events = [CepEvent(f"sensor-{i:02d}", now - 1000 * i, 1, "OK", 20.0, 95.25 + i, 170.0, 2) for i in range(3)]
    _handler(table, "cep_multi", stream).handle(_records([e.to_json() for e in events], stream))
    rows = query_rows(
        endpoint,
        f'SELECT sensor_id, measure_name, avg_temperature, elapsed FROM "{DB}"."{table}" ORDER BY sensor_id',
    )
    assert rows == [[e.sensor_id, "cep_event", str(e.avg_temperature), "2"] for e in events]
