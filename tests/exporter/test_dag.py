"""The MWAA DAGs under real Airflow 3.0.6 (.venv-airflow): no import errors, and `airflow dags test`
against the local endpoint writes the same files as `tslake exporter` for the same window."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.exporter.helpers import (
    Reading,
    base_hour,
    list_keys,
    make_bucket,
    make_table,
    ms,
    read_object,
    unique,
    write_readings,
)
from tslake import aws, names
from tslake.local.process import EndpointProcess

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_BIN = ROOT / ".venv-airflow" / "bin"
DAGS = ROOT / "services" / "exporter" / "dags"

pytestmark = [pytest.mark.airflow, pytest.mark.usefixtures("endpoint")]


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory, endpoint: EndpointProcess) -> dict[str, str]:
    if not (AIRFLOW_BIN / "airflow").exists():
        pytest.fail("the Airflow 3.0.6 venv .venv-airflow is missing: run `make airflow-venv` (`make test` builds it)")
    home = tmp_path_factory.mktemp("airflow-home")
    env = {
        **os.environ,
        **endpoint.env(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__TSLAKE__EXPORT_RETRIES": "0",  # a failure fails the test now, not after retry delays
    }
    env.pop("VIRTUAL_ENV", None)
    # moto ends a Glue crawl only when told to (its "manual" state transition, advanced by ListCrawls);
    # a real crawl ends by itself, so let the endpoint's crawls finish at once.
    request = urllib.request.Request(
        f"{endpoint.url}/moto-api/state-manager/set-transition",
        data=json.dumps({"model_name": "glue::crawl", "transition": {"progression": "immediate"}}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201)
    migrate = subprocess.run(
        [str(AIRFLOW_BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, timeout=180
    )
    assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
    return env


DAGBAG_PROBE = """
import json, sys
from airflow.models.dagbag import DagBag
bag = DagBag(sys.argv[1], include_examples=False)
out = {"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "timetable": type(dag.timetable).__name__,
        "summary": dag.timetable.summary,
        "catchup": dag.catchup,
        "tasks": sorted(t.task_id for t in dag.tasks),
        "retries": dag.default_args.get("retries"),
        "upstream_of_crawler": sorted(dag.get_task("glue_crawler").upstream_task_ids),
        "upstream_of_wait": sorted(dag.get_task("wait_for_glue_crawler").upstream_task_ids),
    }
print(json.dumps(out))
"""


def test_dag_folder_imports_cleanly_under_airflow_306(airflow_env: dict[str, str]) -> None:
    version = subprocess.run(
        [str(AIRFLOW_BIN / "python"), "-c", "import airflow; print(airflow.__version__)"],
        env=airflow_env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert version.stdout.strip() == "3.0.6", version.stderr
    probe = subprocess.run(
        [str(AIRFLOW_BIN / "python"), "-c", DAGBAG_PROBE, str(DAGS)],
        env=airflow_env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-3000:]
    bag = json.loads(probe.stdout.strip().splitlines()[-1])
    assert bag["errors"] == {}
    scheduled = bag["dags"]["tslake_export"]
    assert scheduled["timetable"] == "CronDataIntervalTimetable" and scheduled["summary"] == "*/5 * * * *"
    assert scheduled["catchup"] is True and scheduled["retries"] == 0  # 0: AIRFLOW__TSLAKE__EXPORT_RETRIES
    assert scheduled["tasks"] == ["export_cep", "export_interpolated", "glue_crawler", "wait_for_glue_crawler"]
    assert scheduled["upstream_of_crawler"] == ["export_cep", "export_interpolated"]
    assert scheduled["upstream_of_wait"] == ["glue_crawler"]
    assert bag["dags"]["tslake_export_manual"]["tasks"] == scheduled["tasks"]
    # No query text in the DAGs: they call the export library.
    source = "\n".join(p.read_text() for p in DAGS.glob("*.py"))
    for sql in ("SELECT ", "INTERPOLATE_", "UNNEST(", "CREATE_TIME_SERIES"):
        assert sql not in source.upper()


def _cep_event(table: str, at_ms: int) -> None:
    dims = [
        {"Name": "sensor_id", "Value": "sensor-03"},
        {"Name": "non_errors", "Value": "2"},
        {"Name": "history", "Value": "OK-WARNING"},
    ]
    records = [
        {"Dimensions": dims, "MeasureName": n, "MeasureValue": v, "MeasureValueType": "DOUBLE", "Time": str(at_ms)}
        for n, v in (("min_temperature", "20.0"), ("avg_temperature", "95.5"), ("max_temperature", "170.0"),
                     ("elapsed", "3.0"))
    ]  # fmt: skip
    aws.client("timestream-write").write_records(
        DatabaseName=names.TIMESTREAM_DATABASE, TableName=table, Records=records,
        CommonAttributes={"TimeUnit": "MILLISECONDS"},
    )  # fmt: skip


def test_dags_test_writes_what_tslake_exporter_writes(airflow_env: dict[str, str]) -> None:
    raw, cep = make_table("dag"), make_table("dagcep")
    base = base_hour(2)
    window_start, logical_date = base + timedelta(minutes=5), base + timedelta(minutes=10)
    statuses = ("ERROR", "OK", "OK", "WARNING")
    readings = [  # ~15 minutes of 4 sensors: the window [base+5, base+10) is in the middle
        Reading(f"sensor-{s:02d}", ms(base) + s * 11 + k * 1300, 20.0 + (k * 7 + s) % 150, statuses[k % 4])
        for s in range(4)
        for k in range(700)
    ]
    write_readings(raw, readings)
    _cep_event(cep, ms(window_start) + 42_000)
    dag_bucket, cli_bucket = make_bucket("dag"), make_bucket("cli")
    glue_database, crawler = unique("dagdb").replace("-", "_"), unique("tslake-crawler")
    variables = {
        "AIRFLOW_VAR_TSLAKE_RAW_TABLE": raw,
        "AIRFLOW_VAR_TSLAKE_CEP_TABLE": cep,
        "AIRFLOW_VAR_TSLAKE_LAKE_BUCKET": dag_bucket,
        "AIRFLOW_VAR_TSLAKE_TIMESTREAM_DATABASE": names.TIMESTREAM_DATABASE,
        "AIRFLOW_VAR_TSLAKE_EXPORT_FORMAT": "parquet",
        "AIRFLOW_VAR_TSLAKE_GLUE_DATABASE": glue_database,
        "AIRFLOW_VAR_TSLAKE_GLUE_CRAWLER_NAME": crawler,
        "AIRFLOW_VAR_TSLAKE_GLUE_CRAWLER_ROLE": "arn:aws:iam::123456789012:role/tslake-glue-crawler",
    }
    aws.client("glue").create_database(DatabaseInput={"Name": glue_database})

    run = subprocess.run(
        [str(AIRFLOW_BIN / "airflow"), "dags", "test", "tslake_export", logical_date.isoformat()],
        env={**airflow_env, **variables}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-5000:]
    assert "state=success" in output, output[-5000:]

    cli = subprocess.run(
        [sys.executable, "-m", "tslake.cli", "exporter", "--start", window_start.isoformat(),
         "--end", logical_date.isoformat(), "--bucket", cli_bucket],
        env={**os.environ, "TSLAKE_RAW_TABLE": raw, "TSLAKE_CEP_TABLE": cep},
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr

    window_id = f"{window_start:%Y%m%dT%H%M%SZ}-{logical_date:%Y%m%dT%H%M%SZ}"
    partition = f"date={window_start:%Y-%m-%d}/hour={window_start:%H}"
    expected_keys = [f"cep/{partition}/{window_id}.parquet", f"interpolated/{partition}/{window_id}.parquet"]
    assert list_keys(dag_bucket) == expected_keys
    assert list_keys(cli_bucket) == expected_keys
    for key in expected_keys:
        dag_rows, cli_rows = read_object(dag_bucket, key), read_object(cli_bucket, key)
        assert len(dag_rows) > 0
        assert dag_rows.equals(cli_rows), key

    # The seed's crawler step ran over the DAG's bucket into the Glue database.
    state: dict[str, Any] = aws.client("glue").get_crawler(Name=crawler)["Crawler"]
    assert state["DatabaseName"] == glue_database
    assert [t["Path"] for t in state["Targets"]["S3Targets"]] == [
        f"s3://{dag_bucket}/interpolated/",
        f"s3://{dag_bucket}/cep/",
    ]
    assert state["State"] == "READY" and "LastCrawl" in state, state
