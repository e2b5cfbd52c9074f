"""The data lake on the laptop: master data, `tslake lake query` (DuckDB over the lake's S3 files) and
the seed's Part 3.2 join of exported readings with customers."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.exporter.helpers import Reading, base_hour, list_keys, make_bucket, make_table, ms, write_readings
from tslake.export import ExportConfig, Window, export_window
from tslake.lake import lake_join_summary
from tslake.local.process import EndpointProcess

ROOT = Path(__file__).resolve().parents[2]
MASTER = ROOT / "data" / "master"

pytestmark = pytest.mark.usefixtures("endpoint")


def lake(endpoint: EndpointProcess, bucket: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tslake.cli", "lake", "--bucket", bucket, *args],
        env={**os.environ, **endpoint.env()},
        capture_output=True,
        text=True,
        timeout=120,
    )


def master() -> tuple[dict[str, int], dict[int, dict[str, str]]]:
    """The sample files read independently (csv module; utf-8-sig drops the byte-order mark)."""
    with (MASTER / "sensor_mapping.csv").open(encoding="utf-8-sig", newline="") as f:
        mapping = {row["sensor_id"]: int(row["customer_id"]) for row in csv.DictReader(f)}
    with (MASTER / "customer_data.csv").open(encoding="utf-8", newline="") as f:
        customers = {int(row["customer_id"]): row for row in csv.DictReader(f)}
    return mapping, customers


def test_sample_master_data_has_the_seed_shape() -> None:
    assert (MASTER / "sensor_mapping.csv").read_bytes().startswith(b"\xef\xbb\xbfsensor_id,customer_id\n")
    mapping, customers = master()
    assert sorted(mapping) == [f"sensor-{i:02d}" for i in range(100)]
    assert set(mapping.values()) == set(customers) == {1001, 1002, 1003, 1004, 1005}
    assert list(next(iter(customers.values()))) == ["customer_id", "company_name", "contact_person", "contract_type"]


@pytest.fixture(scope="module")
def exported(endpoint: EndpointProcess) -> dict[str, Any]:
    bucket = make_bucket("lake")
    table = make_table("lake")
    base = base_hour(2)
    window = Window(base, base + timedelta(minutes=5))
    readings = [
        Reading(f"sensor-{s:02d}", ms(base) + 250 + s + k * 2000, 20.0 + s + k, "OK" if k % 5 else "WARNING")
        for s in range(12)
        for k in range(30)
    ]
    write_readings(table, readings)
    result = export_window(window, ExportConfig(raw_table=table, bucket=bucket))
    loaded = lake(endpoint, bucket, "load-master")
    assert loaded.returncode == 0, loaded.stderr
    return {"bucket": bucket, "rows": result.rows, "loaded": loaded.stdout}


def test_load_master_uploads_both_tables(exported: dict[str, Any]) -> None:
    bucket = exported["bucket"]
    assert exported["loaded"].split() == [
        f"s3://{bucket}/master-data/sensor_mapping/sensor_mapping.csv",
        f"s3://{bucket}/master-data/customer_data/customer_data.csv",
    ]
    assert len(list_keys(bucket, "master-data/")) == 2


def test_lake_query_reads_master_data_and_exports(endpoint: EndpointProcess, exported: dict[str, Any]) -> None:
    bucket = exported["bucket"]
    proc = lake(
        endpoint, bucket, "query", "--format", "json",
        "SELECT (SELECT count(*) FROM sensor_mapping) AS sensors,"
        " (SELECT count(DISTINCT customer_id) FROM sensor_mapping) AS customers,"
        " (SELECT min(sensor_id) FROM sensor_mapping) AS first_sensor,"
        " (SELECT count(*) FROM interpolated) AS readings,"
        " (SELECT count(*) FROM cep) AS cep_events,"
        " (SELECT any_value(date || ' ' || hour) FROM interpolated) AS partition",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    row = json.loads(proc.stdout)
    base = base_hour(2)
    assert row == {
        "sensors": 100,
        "customers": 5,
        "first_sensor": "sensor-00",  # the byte-order mark is not part of the column name
        "readings": exported["rows"],
        "cep_events": 0,  # no CEP export in this lake: an empty view with the right columns
        "partition": f"{base:%Y-%m-%d %H}",
    }


def test_part_3_2_join_runs_locally(endpoint: EndpointProcess, exported: dict[str, Any]) -> None:
    bucket = exported["bucket"]
    mapping, customers = master()
    proc = lake(endpoint, bucket, "query", "part-3.2", "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert len(rows) == exported["rows"] > 0
    for row in rows:
        customer = customers[mapping[row["sensor_id"]]]
        assert int(row["customer_id"]) == int(customer["customer_id"])
        assert (row["company_name"], row["contact_person"], row["contract_type"]) == (
            customer["company_name"],
            customer["contact_person"],
            customer["contract_type"],
        )

    per_customer = Counter(mapping[r["sensor_id"]] for r in rows)
    summary = lake_join_summary(bucket)
    assert summary.readings == exported["rows"]
    table = summary.table.to_pylist()
    assert {r["customer_id"]: r["readings"] for r in table} == dict(per_customer)
    assert {r["customer_id"]: r["company_name"] for r in table} == {
        c: customers[c]["company_name"] for c in per_customer
    }
    printed = lake(endpoint, bucket, "join")
    assert printed.returncode == 0, printed.stderr
    for c in per_customer:
        assert customers[c]["company_name"] in printed.stdout


def test_lake_errors_exit_non_zero(endpoint: EndpointProcess, exported: dict[str, Any]) -> None:
    proc = lake(endpoint, "tslake-no-such-lake", "query", "SELECT 1")
    assert proc.returncode == 1
    assert "lake bucket s3://tslake-no-such-lake does not exist" in proc.stderr
    proc = lake(endpoint, exported["bucket"], "query", "SELECT * FROM readings_typo")
    assert proc.returncode == 1
    assert "query failed" in proc.stderr and "readings_typo" in proc.stderr
