"""Export one window of one dataset: store query -> sorted rows -> the lake's files -> (Glue catalog).

The one function both entry points call: the `tslake exporter` CronJob/backfill and the MWAA DAG.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import structlog

from tslake import names
from tslake.export import catalog
from tslake.export.datasets import DATASETS, Dataset, DatasetName
from tslake.export.lake import FORMATS, Format, LakeWriter
from tslake.export.queries import columns_query
from tslake.export.store import StoreQueryError, query_columns, run_query
from tslake.export.window import Window
from tslake.metrics import exporter as metrics

# Lazy: bound at first use, i.e. after configure_logging (an eager bind keeps the default stdout renderer).
log = structlog.get_logger(component="export")


@dataclass(frozen=True)
class ExportConfig:
    """Where to read and write. Defaults are `tslake.names`; the CLI and the DAG fill it from settings."""

    database: str = names.TIMESTREAM_DATABASE
    raw_table: str = names.RAW_TABLE
    cep_table: str = names.CEP_TABLE
    bucket: str = names.LAKE_BUCKET
    interpolated_prefix: str = names.INTERPOLATED_PREFIX
    cep_prefix: str = names.CEP_EXPORT_PREFIX
    format: Format = "parquet"
    glue_database: str | None = None  # register tables/partitions in Glue only when set
    glue_interpolated_table: str = DatasetName.INTERPOLATED.value
    glue_cep_table: str = DatasetName.CEP.value

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"unknown export format {self.format!r}; one of {', '.join(FORMATS)}")

    def table(self, dataset: DatasetName) -> str:
        return self.raw_table if dataset is DatasetName.INTERPOLATED else self.cep_table

    def prefix(self, dataset: DatasetName) -> str:
        return self.interpolated_prefix if dataset is DatasetName.INTERPOLATED else self.cep_prefix

    def glue_table(self, dataset: DatasetName) -> str:
        return self.glue_interpolated_table if dataset is DatasetName.INTERPOLATED else self.glue_cep_table


@dataclass
class ExportResult:
    dataset: DatasetName
    window: Window
    rows: int = 0
    files: int = 0
    keys: list[str] = field(default_factory=list)
    query_seconds: float = 0.0
    write_seconds: float = 0.0
    partitions_registered: int = 0

    @property
    def empty(self) -> bool:
        return self.rows == 0


def export_window(
    window: Window,
    config: ExportConfig | None = None,
    dataset: DatasetName | str = DatasetName.INTERPOLATED,
    *,
    query_client: Any = None,
    writer: LakeWriter | None = None,
) -> ExportResult:
    """Export `dataset` for [window.start, window.end). Idempotent; raises a typed error on failure.

    An empty window writes nothing (the window's previous files, if any, are kept: an empty answer
    usually means the store's retention has passed, not that the readings were wrong).
    """
    config = config or ExportConfig()
    name = DatasetName(dataset)
    spec = DATASETS[name]
    prefix = config.prefix(name)
    result = ExportResult(name, window)
    started = time.perf_counter()
    try:
        writer = writer or LakeWriter(config.bucket)
        writer.check_bucket()
        df = _query(spec, config.database, config.table(name), window, query_client)
        if not df.empty:
            df = df[list(spec.columns_types)].sort_values(list(spec.sort_by), kind="stable", ignore_index=True)
        result.query_seconds = time.perf_counter() - started
        if df.empty:
            log.info("window_empty", dataset=name.value, window=str(window), files_written=0)
        else:
            written_at = time.perf_counter()
            files = writer.publish(df, prefix, window, config.format)
            result.write_seconds = time.perf_counter() - written_at
            result.rows, result.files, result.keys = len(df), len(files), [f.key for f in files]
            if config.glue_database:
                result.partitions_registered = catalog.register(
                    config.glue_database,
                    config.glue_table(name),
                    config.bucket,
                    prefix,
                    config.format,
                    spec.columns_types,
                    files,
                )
    except Exception as exc:
        metrics.FAILURES.labels(dataset=name.value, error=type(exc).__name__).inc()
        log.error(
            "window_export_failed",
            dataset=name.value,
            window=str(window),
            error=str(exc),
            error_type=type(exc).__name__,
        )
        raise
    metrics.record_success(
        name.value,
        rows=result.rows,
        files=result.files,
        query_seconds=result.query_seconds,
        write_seconds=result.write_seconds,
        lag_seconds=(datetime.now(UTC) - window.end).total_seconds(),
    )
    log.info(
        "window_exported",
        dataset=name.value,
        window=str(window),
        rows=result.rows,
        files=result.files,
        query_seconds=round(result.query_seconds, 3),
        write_seconds=round(result.write_seconds, 3),
        bucket=config.bucket,
        prefix=prefix,
        format=config.format,
    )
    return result


def _query(spec: Dataset, database: str, table: str, window: Window, client: Any) -> pd.DataFrame:
    """The window's rows; none when the table has never had data (e.g. no CEP event detected yet).

    Timestream only knows a dimension column once a record has carried it, so the export query fails
    on such a table; that failure is told apart from real ones by the table's columns, looked up only
    after a failure (no extra query on the normal path).
    """
    try:
        return run_query(spec.query(database, table, window), client)
    except StoreQueryError as failure:
        try:
            columns = set(query_columns(columns_query(database, table), client))
        except StoreQueryError:
            raise failure from None  # e.g. no such table: the export query's own error says it best
        missing = [d for d in spec.dimensions if d not in columns]
        if not missing:
            raise
        log.info("table_without_data", table=f"{database}.{table}", missing_columns=missing)
        return pd.DataFrame(columns=list(spec.columns_types))


def export_all(
    window: Window,
    config: ExportConfig | None = None,
    datasets: tuple[DatasetName, ...] = (DatasetName.INTERPOLATED, DatasetName.CEP),
) -> list[ExportResult]:
    """Every dataset for one window (what `tslake run` and the CronJob do per window)."""
    return [export_window(window, config, d) for d in datasets]
