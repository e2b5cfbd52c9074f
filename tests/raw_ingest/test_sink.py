"""TimestreamSink against the local engine: ≤100 records per call, several in flight, retries, rejections."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from prometheus_client import REGISTRY

from tslake import names
from tslake.aws import client as aws_client
from tslake.ingest.layouts import layout
from tslake.schema import SensorReading
from tslake.sinks import Measure, MeasureType, Point, SinkConfigurationError, SinkUnavailableError
from tslake.sinks.timestream import TimestreamSink

from .helpers import fresh_table, query_rows
from .timestream_faults import Fault, TimestreamFaultProxy

DB = names.TIMESTREAM_DATABASE


def _points(n: int, now_ms: int, version: int = 1) -> list[Point]:
    raw = layout("raw")
    return [
        raw.points(SensorReading(f"sensor-{i % 10:02d}", float(i), "OK", now_ms - 60_000 + i), version, i)[0]
        for i in range(n)
    ]


def _sink(table: str, url: str | None = None, **kwargs: Any) -> TimestreamSink:
    client = aws_client("timestream-write", max_attempts=0, endpoint_url=url) if url else None
    return TimestreamSink(DB, table, client=client, backoff_base_seconds=0.001, backoff_max_seconds=0.01, **kwargs)


def _retries(table: str) -> float:
    return REGISTRY.get_sample_value("tslake_ingest_write_retries_total", {"table": table}) or 0.0


def test_writes_every_point_in_calls_of_at_most_100_with_several_in_flight(endpoint: Any) -> None:
    table = fresh_table(endpoint, "sink")
    now = int(time.time() * 1000)
    with TimestreamFaultProxy(endpoint.url, lambda _call, _request: None) as proxy:
        sink = _sink(table, proxy.url, concurrency=4)
        outcome = sink.write(_points(250, now))
        sink.close()
    assert outcome.written == 250 and outcome.rejected == [] and outcome.calls == 3
    assert sorted(proxy.records_per_call) == [50, 100, 100]
    rows = query_rows(endpoint, f'SELECT sensor_id, status, measure_value::double FROM "{DB}"."{table}"')
    assert len(rows) == 250
    assert sorted(float(r[2] or "nan") for r in rows) == [float(i) for i in range(250)]
    assert {r[1] for r in rows} == {"OK"}


def test_throttling_and_5xx_are_retried_with_backoff_until_written(endpoint: Any) -> None:
    table = fresh_table(endpoint, "sink")
    faults = {1: (400, "ThrottlingException"), 2: (500, "InternalServerException"), 3: (503, "ServiceUnavailable")}
    before = _retries(table)
    with TimestreamFaultProxy(endpoint.url, lambda call, _request: faults.get(call)) as proxy:
        sink = _sink(table, proxy.url, concurrency=1)
        outcome = sink.write(_points(40, int(time.time() * 1000)))
    assert outcome.written == 40 and not outcome.rejected
    assert proxy.injected == 3 and proxy.records_per_call == [40]
    assert _retries(table) == before + 3
    assert query_rows(endpoint, f'SELECT count(*) FROM "{DB}"."{table}"') == [["40"]]


def test_a_store_that_keeps_failing_raises_unavailable_after_max_attempts(endpoint: Any) -> None:
    table = fresh_table(endpoint, "sink")
    with TimestreamFaultProxy(endpoint.url, lambda _call, _request: (500, "InternalServerException")) as proxy:
        sink = _sink(table, proxy.url, max_attempts=4)
        with pytest.raises(SinkUnavailableError, match="4 times"):
            sink.write(_points(10, int(time.time() * 1000)))
    assert proxy.calls == 4


def test_a_missing_table_is_a_configuration_error_not_a_rejection(endpoint: Any) -> None:
    sink = _sink("no_such_table")
    with pytest.raises(SinkConfigurationError, match="no_such_table"):
        sink.write(_points(3, int(time.time() * 1000)))


def test_store_rejections_come_back_per_point_and_the_rest_is_written(endpoint: Any) -> None:
    table = fresh_table(endpoint, "sink")
    now = int(time.time() * 1000)
    sink = _sink(table)
    good = _points(5, now)
    too_old = Point(
        (("sensor_id", "sensor-old"), ("status", "OK")),
        "temperature",
        (Measure("temperature", "1.0", MeasureType.DOUBLE),),
        now - 3 * 24 * 3600 * 1000,
        1,
        99,
    )
    outcome = sink.write([*good[:2], too_old, *good[2:]])
    assert outcome.written == 5
    assert [(r.point.ref, bool(r.reason)) for r in outcome.rejected] == [(99, True)]
    assert query_rows(endpoint, f'SELECT count(*) FROM "{DB}"."{table}"') == [["5"]]


def test_replaying_a_batch_is_a_no_op_and_a_higher_version_upserts(endpoint: Any) -> None:
    table = fresh_table(endpoint, "sink")
    now = int(time.time() * 1000)
    sink = _sink(table)
    first = _points(20, now, version=1000)
    assert sink.write(first).rejected == []
    assert sink.write(first).rejected == []  # a replay: same values, same Version
    assert query_rows(endpoint, f'SELECT count(*) FROM "{DB}"."{table}"') == [["20"]]

    def revalued(p: Point, value: str, version: int) -> Point:
        return p._replace(measures=(Measure("temperature", value, MeasureType.DOUBLE),), version=version)

    stale = sink.write([revalued(first[0], "-1.0", 999)])  # a different value with a lower Version
    assert len(stale.rejected) == 1 and "1000" in stale.rejected[0].reason
    corrected = sink.write([revalued(first[0], "-2.0", 1001)])  # an intentional correction
    assert corrected.rejected == []
    rows = query_rows(endpoint, f'SELECT measure_value::double FROM "{DB}"."{table}" WHERE sensor_id = \'sensor-00\'')
    assert len(rows) == 2 and sorted(float(r[0] or "nan") for r in rows) == [-2.0, 10.0]


def test_a_validation_error_is_bisected_down_to_the_one_offending_record(endpoint: Any) -> None:
    """A ValidationException refuses a whole call; the sink must not let one record block the rest."""
    table = fresh_table(endpoint, "sink")
    points = _points(37, int(time.time() * 1000))
    poison = points[23]._replace(dimensions=(("sensor_id", "poison"), ("status", "OK")))
    points[23] = poison

    def plan(_call: int, request: dict[str, Any]) -> Fault:
        return (400, "ValidationException") if "poison" in json.dumps(request) else None

    with TimestreamFaultProxy(endpoint.url, plan) as proxy:
        outcome = _sink(table, proxy.url).write(points)
    assert outcome.written == 36
    assert [(r.point.ref, r.reason.split(":")[0]) for r in outcome.rejected] == [(23, "ValidationException")]
    assert sum(proxy.records_per_call) == 36  # every other record written exactly once
    assert query_rows(endpoint, f'SELECT count(*) FROM "{DB}"."{table}"') == [["36"]]
