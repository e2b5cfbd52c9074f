"""raw-ingest settings: which stream feeds which table, in which layout, and how hard to write.

Deployed twice, the service does both seed Lambdas' jobs:
- readings: defaults (`TSLAKE_TABLE_LAYOUT=raw`): stream `tslake-input` -> table `raw`, app `tslake-raw-ingest`;
- CEP events: `TSLAKE_TABLE_LAYOUT=cep_seed` (or `cep_multi`): stream `tslake-cep` -> table `cep`,
  app `tslake-cep-ingest`.
`TSLAKE_STREAM`, `TSLAKE_APPLICATION_NAME` and `TSLAKE_TIMESTREAM_TABLE` override those defaults.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from tslake import names
from tslake.ingest.layouts import LayoutName
from tslake.settings.consumer import ConsumerSettings

# layout family -> (stream, KCL application, table, memory-store hours)
_DEFAULTS: dict[str, tuple[str, str, str, int]] = {
    "raw": (names.INPUT_STREAM, names.RAW_INGEST_APP, names.RAW_TABLE, names.RAW_TABLE_MEMORY_HOURS),
    "cep": (names.CEP_STREAM, names.CEP_INGEST_APP, names.CEP_TABLE, names.CEP_TABLE_MEMORY_HOURS),
}


class RawIngestSettings(ConsumerSettings):
    table_layout: LayoutName = LayoutName.RAW
    stream: str = Field(default=names.INPUT_STREAM, min_length=1)
    application_name: str = Field(default=names.RAW_INGEST_APP, min_length=1)
    timestream_database: str = Field(default=names.TIMESTREAM_DATABASE, min_length=1)
    timestream_table: str = Field(default=names.RAW_TABLE, min_length=1)
    lake_bucket: str = Field(default=names.LAKE_BUCKET, min_length=1)

    # `null` stores nothing: only for measuring CPU per record.
    sink: Literal["timestream", "null"] = "timestream"
    write_concurrency: int = Field(default=8, ge=1, le=64, description="WriteRecords calls in flight")
    write_batch_size: int = Field(default=100, ge=1, le=100, description="records per WriteRecords call")
    write_max_attempts: int = Field(default=8, ge=1, le=50)
    write_backoff_base_millis: int = Field(default=50, ge=1)
    write_backoff_max_millis: int = Field(default=5000, ge=1)
    dead_letter_concurrency: int = Field(default=8, ge=1, le=64)

    # Timestamps the store can't take are dead-lettered before the call: older than the memory
    # store's retention, or further ahead than Timestream's 15 minutes.
    memory_retention_hours: int = Field(default=names.RAW_TABLE_MEMORY_HOURS, ge=1)
    max_future_minutes: int = Field(default=15, ge=0, le=15)

    @model_validator(mode="before")
    @classmethod
    def _defaults_from_layout(cls, data: Any) -> Any:
        """A CEP layout defaults to the CEP stream, table and application unless they are set."""
        if not isinstance(data, dict):
            return data
        layout = str(data.get("table_layout", LayoutName.RAW))
        stream, app, table, hours = _DEFAULTS["cep" if layout.startswith("cep") else "raw"]
        data.setdefault("stream", stream)
        data.setdefault("application_name", app)
        data.setdefault("timestream_table", table)
        data.setdefault("memory_retention_hours", hours)
        return data
