"""MWAA (Airflow 3.0.6) DAGs: export each 5-minute window to the S3 data lake, then crawl it with Glue.

Tasks: export_interpolated and export_cep (in parallel) -> glue_crawler (the seed's crawler over the
lake bucket into the Glue database: created or updated, then started) -> wait_for_glue_crawler.

- `tslake_export`: every 5 minutes, catchup on (missed windows are exported in order) and retries.
  The window is the run's data interval [data_interval_start, data_interval_end).
- `tslake_export_manual`: the same tasks, triggered by hand (the seed's manual Glue DAG); the window is
  the `start`/`end` params, or the last complete window when they are empty.

Both call the export library (`tslake.export.export_window`), the same code as the `tslake exporter`
CronJob: no query text lives here. Settings are Airflow Variables (on MWAA backed by Secrets Manager,
`airflow/variables/<name>`; locally `AIRFLOW_VAR_<NAME>`), read at run time, not at parse time.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

import pendulum
from airflow.configuration import conf
from airflow.providers.amazon.aws.operators.glue_crawler import GlueCrawlerOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, Param, Variable
from airflow.timetables.interval import CronDataIntervalTimetable

from tslake import names

# `schedule='*/5 * * * *'` with data intervals. In Airflow 3 a bare cron string becomes a
# CronTriggerTimetable, whose runs have an empty interval (start == end); this timetable is what the
# string meant in Airflow 2 and gives each run [previous tick, tick).
SCHEDULE = "*/5 * * * *"
# First window the scheduler (catchup) exports; set per deployment with the Airflow configuration
# option `tslake.export_start_date` (env AIRFLOW__TSLAKE__EXPORT_START_DATE), ISO 8601.
START_DATE = pendulum.parse(conf.get("tslake", "export_start_date", fallback="2026-11-01T00:00:00+00:00"))

VARIABLES = {  # Variable -> default
    "tslake_timestream_database": names.TIMESTREAM_DATABASE,
    "tslake_raw_table": names.RAW_TABLE,
    "tslake_cep_table": names.CEP_TABLE,
    "tslake_lake_bucket": names.LAKE_BUCKET,
    "tslake_export_format": "parquet",
}


def _setting(name: str) -> str:
    return str(Variable.get(name, default=VARIABLES[name]))


def export_dataset(
    dataset: str, data_interval_start: Any, data_interval_end: Any, params: Any = None, **_: Any
) -> dict[str, Any]:
    """One dataset, one window. Raises (so Airflow retries) on any failure; an empty window succeeds."""
    from tslake.export import ExportConfig, Window, export_window, last_complete_window, parse_time
    from tslake.export.lake import Format

    params = params or {}
    if params.get("start") or params.get("end"):
        window = Window(parse_time(params["start"]), parse_time(params["end"]))
    elif data_interval_end > data_interval_start:
        window = Window(data_interval_start, data_interval_end)
    else:  # a manual run without params
        window = last_complete_window(pendulum.now("UTC"), 5, 60)
    config = ExportConfig(
        database=_setting("tslake_timestream_database"),
        raw_table=_setting("tslake_raw_table"),
        cep_table=_setting("tslake_cep_table"),
        bucket=_setting("tslake_lake_bucket"),
        format=cast("Format", _setting("tslake_export_format")),  # ExportConfig rejects an unknown one
    )
    result = export_window(window, config, dataset)
    return {"window": window.id, "rows": result.rows, "files": result.files, "keys": result.keys}


def wait_for_crawler(name: str, **_: Any) -> str:
    """Until the crawl has finished; fails the task if it failed."""
    from tslake.export.catalog import wait_for_crawler

    return wait_for_crawler(name)


def _crawler_config() -> dict[str, Any]:
    """The seed's crawler over the lake bucket into the Glue database (templated from Variables)."""
    bucket = f"{{{{ var.value.get('tslake_lake_bucket', '{names.LAKE_BUCKET}') }}}}"
    return {
        "Name": "{{ var.value.get('tslake_glue_crawler_name', 'tslake-lake') }}",
        "Role": "{{ var.value.tslake_glue_crawler_role }}",
        "DatabaseName": f"{{{{ var.value.get('tslake_glue_database', '{names.GLUE_DATABASE}') }}}}",
        "Targets": {
            "S3Targets": [
                {"Path": f"s3://{bucket}/{names.INTERPOLATED_PREFIX}"},
                {"Path": f"s3://{bucket}/{names.CEP_EXPORT_PREFIX}"},
            ]
        },
    }


def _tasks() -> None:
    exports = [
        PythonOperator(task_id=f"export_{dataset}", python_callable=export_dataset, op_kwargs={"dataset": dataset})
        for dataset in ("interpolated", "cep")
    ]
    crawl = GlueCrawlerOperator(
        task_id="glue_crawler",
        config=_crawler_config(),
        aws_conn_id=None,  # the default credential chain: the MWAA execution role
        wait_for_completion=False,  # waited for below; the provider's wait needs GetCrawlerMetrics
    )
    wait = PythonOperator(
        task_id="wait_for_glue_crawler",
        python_callable=wait_for_crawler,
        op_kwargs={"name": _crawler_config()["Name"]},
    )
    exports >> crawl >> wait


DEFAULT_ARGS = {
    "owner": "tslake",
    # Airflow configuration option `tslake.export_retries` (env AIRFLOW__TSLAKE__EXPORT_RETRIES), default 3.
    "retries": conf.getint("tslake", "export_retries", fallback=3),
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(minutes=10),
}

with DAG(
    dag_id="tslake_export",
    description="Export each 5-minute window of interpolated readings and CEP events to the S3 lake",
    schedule=CronDataIntervalTimetable(SCHEDULE, timezone="UTC"),
    start_date=START_DATE,
    catchup=True,
    max_active_runs=3,
    default_args=DEFAULT_ARGS,
    tags=["tslake", "export"],
):
    _tasks()

with DAG(
    dag_id="tslake_export_manual",
    description="The same export for a chosen window (or the last complete one), then the Glue crawler",
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    default_args=DEFAULT_ARGS,
    params={
        "start": Param("", type="string", description="window start, ISO 8601 UTC (empty: last window)"),
        "end": Param("", type="string", description="window end, exclusive"),
    },
    tags=["tslake", "export"],
):
    _tasks()
