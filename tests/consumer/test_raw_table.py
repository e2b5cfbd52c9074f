"""The real raw-ingest service on the consumer layer, under both drivers: 10,000 readings over 2 shards land
in the raw table exactly once, checked by count and by content through the query API."""

from __future__ import annotations

import random
import shutil
import time
import urllib.request

import pytest

from tests.consumer.scenario import Scenario, mark, wait_until
from tests.raw_ingest.helpers import epoch_ms, fresh_table, query_rows
from tslake import names
from tslake.local.process import EndpointProcess, free_port
from tslake.schema import SensorReading

RECORDS = 10_000
DB = names.TIMESTREAM_DATABASE


def _scrape(port: int, needle: str) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = str(response.read().decode())
    except OSError:
        return None
    return text if needle in text else None


def _count(endpoint: EndpointProcess, table: str) -> int:
    rows = query_rows(endpoint, f'SELECT count(*) FROM "{DB}"."{table}"')
    return int(rows[0][0] or 0)


@pytest.mark.parametrize("driver", [pytest.param("kcl", marks=pytest.mark.kcl), "python"])
def test_10k_readings_land_in_the_raw_table_exactly_once(
    driver: str, endpoint: EndpointProcess, scenario: Scenario
) -> None:
    if driver == "kcl" and shutil.which("java") is None:
        pytest.fail("java is not on PATH: install a JDK 17 (CI has one) to run the MultiLangDaemon tests")
    s = scenario
    table = fresh_table(endpoint, "consumer_raw")
    rng = random.Random(7)
    now = int(time.time() * 1000)
    readings = [
        SensorReading(
            f"sensor-{i % 100:02d}", float(rng.randint(10, 180)), rng.choice(["OK", "WARNING", "ERROR"]), now - i
        )
        for i in range(RECORDS)
    ]
    entries = [(r.sensor_id, r.to_json()) for r in readings]
    for offset in range(0, RECORDS, 500):
        chunk = entries[offset : offset + 500]
        answer = s.kinesis.put_records(StreamName=s.stream, Records=[{"PartitionKey": k, "Data": d} for k, d in chunk])
        assert answer["FailedRecordCount"] == 0
    mark(f"put {RECORDS} readings")

    port = free_port()
    s.start(
        "R", driver, command=("tslake.cli", "raw-ingest"), timestream_table=table, max_records=1000, metrics_port=port
    )
    wait_until(lambda: _count(endpoint, table) >= RECORDS, 180, f"{RECORDS} rows in the raw table", poll=2.0)

    # The consumer metrics: per-shard MillisBehindLatest and the liveness figure, served by the service
    # process (under the KCL driver, collected from the daemon's child processes).
    metrics = wait_until(lambda: _scrape(port, "tslake_consumer_records_total"), 30, "consumer metrics")
    shards = set(s.shard_tips())
    for shard in shards:
        assert f'tslake_consumer_millis_behind_latest{{application="{s.app}",shard_id="{shard}"}}' in metrics
    since = [line for line in metrics.splitlines() if line.startswith("tslake_consumer_seconds_since_last_batch{")]
    assert len(since) == 1 and float(since[0].split()[-1]) < 60, since
    records = sum(
        float(line.split()[-1]) for line in metrics.splitlines() if line.startswith("tslake_consumer_records_total{")
    )
    assert records >= RECORDS
    assert s.terminate("R", timeout=15) == 0

    rows = query_rows(
        endpoint,
        f'SELECT sensor_id, status, time, measure_value::double FROM "{DB}"."{table}" '
        "WHERE measure_name = 'temperature'",
    )
    stored = sorted((r[0], r[1], epoch_ms(r[2] or ""), float(r[3] or "nan")) for r in rows)
    expected = sorted((r.sensor_id, r.status, r.event_time, r.temperature) for r in readings)
    assert len(rows) == RECORDS
    assert stored == expected
    # The shutdown checkpoint is at the tip of both shards: a restart would not re-read anything.
    tips = s.shard_tips()
    assert len(tips) == 2
    assert {k: int(v["checkpoint"]["S"]) for k, v in s.leases().items()} == tips
