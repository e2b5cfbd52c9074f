"""Settings shared by every KCL consumer (raw-ingest, cep-ingest, cep); services subclass and set defaults.

Every field is a `TSLAKE_*` variable (e.g. `TSLAKE_CONSUMER_DRIVER`, `TSLAKE_STREAM`). The same values feed
both drivers: the generated MultiLangDaemon `.properties` file and the Python driver, so a test that
shortens `failover_time_millis` exercises the same code path production runs.
"""

from __future__ import annotations

import os
import socket
from typing import Literal

from pydantic import AliasChoices, Field, ValidationInfo, field_validator

from tslake import names
from tslake.settings.base import BaseServiceSettings


def _default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class ConsumerSettings(BaseServiceSettings):
    """One KCL application (= one lease table) reading one stream."""

    # What to read, and who we are.
    stream: str = Field(min_length=1, description="Kinesis stream name")
    application_name: str = Field(min_length=1, description="KCL application name, also the lease table")
    region: str = Field(
        default=names.LOCAL_REGION,
        validation_alias=AliasChoices("TSLAKE_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
    )
    worker_id: str = Field(default_factory=_default_worker_id, min_length=1)

    # The driver: the Java MultiLangDaemon (production) or the Python driver (`make run`, no Java).
    consumer_driver: Literal["kcl", "python"] = "kcl"
    retrieval_mode: Literal["POLLING", "FANOUT"] = "POLLING"
    initial_position: Literal["TRIM_HORIZON", "LATEST"] = "TRIM_HORIZON"

    # Timing and batch sizes (KCL names, in milliseconds, so the two drivers read the same numbers).
    max_records: int = Field(default=10000, ge=1, le=10000, description="KCL maxRecords; its default too")
    idle_time_between_reads_millis: int = Field(default=1000, ge=0)
    failover_time_millis: int = Field(default=10000, ge=1000)
    shard_sync_interval_millis: int = Field(default=60000, ge=100)
    parent_shard_poll_interval_millis: int = Field(default=10000, ge=100)
    shutdown_grace_millis: int = Field(default=15000, ge=1000)
    max_leases_for_worker: int = Field(default=2**31 - 1, ge=1)

    # What to do when the handler raises (the store is down): back off, then retry the same batch.
    retry_initial_backoff_millis: int = Field(default=200, ge=1)
    retry_max_backoff_millis: int = Field(default=10000, ge=1)

    # KCL's CloudWatch metrics; NONE sends nothing (our Prometheus metrics are independent of this).
    metrics_level: Literal["NONE", "SUMMARY", "DETAILED"] = "NONE"

    # The JVM for the MultiLangDaemon.
    java_binary: str = "java"
    java_heap: str = Field(default="256m", pattern=r"^[0-9]+[kKmMgG]$")
    kcl_jars_dir: str | None = Field(default=None, description="default: the installed amazon_kclpy/jars")
    kcl_properties_path: str | None = Field(default=None, description="default: a temporary file")
    kcl_log_level: Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"] = "WARN"

    @field_validator("retry_max_backoff_millis")
    @classmethod
    def _max_backoff_not_below_initial(cls, value: int, info: ValidationInfo) -> int:
        initial = info.data.get("retry_initial_backoff_millis")
        if initial is not None and value < initial:
            raise ValueError("must be >= TSLAKE_RETRY_INITIAL_BACKOFF_MILLIS")
        return value
