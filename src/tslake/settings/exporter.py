"""`tslake exporter` settings (TSLAKE_* variables); command-line flags override them per run."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tslake import names
from tslake.settings.base import BaseServiceSettings


class ExporterSettings(BaseServiceSettings):
    timestream_database: str = Field(default=names.TIMESTREAM_DATABASE, min_length=1)
    raw_table: str = Field(default=names.RAW_TABLE, min_length=1)
    cep_table: str = Field(default=names.CEP_TABLE, min_length=1)
    lake_bucket: str = Field(default=names.LAKE_BUCKET, min_length=3)
    interpolated_prefix: str = names.INTERPOLATED_PREFIX
    cep_export_prefix: str = names.CEP_EXPORT_PREFIX
    export_format: Literal["parquet", "csv"] = "parquet"
    export_window_minutes: int = Field(default=5, ge=1, le=1440)
    # How long after a window ends before it counts as complete (late readings still land in it).
    export_delay_seconds: float = Field(default=60.0, ge=0)
    export_cep: bool = True
    glue_database: str | None = None  # set to register the tables/partitions in the Glue Data Catalog
    glue_interpolated_table: str = "interpolated"
    glue_cep_table: str = "cep"
    # e.g. http://prometheus-pushgateway:9091; unset: no push (a CronJob pod is gone before a scrape)
    pushgateway_url: str | None = None
    pushgateway_job: str = "tslake-exporter"
