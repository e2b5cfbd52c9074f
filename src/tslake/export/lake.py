"""Publish one window's rows to the S3 data lake, idempotently, with awswrangler.

Layout (Hive-style, readable by Athena/Glue, DuckDB and pyarrow):

    s3://<bucket>/<prefix>date=YYYY-MM-DD/hour=HH/<window id>.<parquet|csv>
    e.g. s3://tslake-lake/interpolated/date=2025-01-01/hour=07/20250101T070500Z-20250101T071000Z.parquet

Rows land in the partition of their own (UTC) `time`. The file name is the window, so twelve 5-minute
windows share an hour partition without touching each other's files, and a re-run of a window writes
the same keys. Before writing, the window's previous files are listed (in every hour it overlaps);
after writing, those not rewritten are deleted: a re-run replaces exactly that window's files and
nothing else, and never duplicates a row.

Failure leaves no partial window: nothing is written before the query and the bucket check succeed, and
if a write fails midway every file of the window (new or previous) is deleted before the error is
raised, so the window reads as missing (re-run it) rather than half old and half new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import awswrangler as wr
import pandas as pd
import structlog
from botocore.exceptions import BotoCoreError, ClientError

from tslake import aws
from tslake.export.window import Window

Format = Literal["parquet", "csv"]
FORMATS: tuple[Format, ...] = ("parquet", "csv")
# Microseconds: what Athena/Glue read from Parquet everywhere; readings are in ms, so nothing is lost.
PARQUET_KWARGS = {"coerce_timestamps": "us", "allow_truncated_timestamps": True}

# Lazy: bound at first use, i.e. after configure_logging (an eager bind keeps the default stdout renderer).
log = structlog.get_logger(component="export.lake")


class LakeError(RuntimeError):
    """The data lake could not take the window's files."""


class LakeBucketMissingError(LakeError):
    pass


class LakeUnavailableError(LakeError):
    pass


class LakeWriteError(LakeError):
    pass


@dataclass(frozen=True)
class WrittenFile:
    key: str
    rows: int
    date: str  # partition values, as in the key
    hour: str


def partition_prefix(prefix: str, hour: datetime) -> str:
    return f"{prefix}date={hour:%Y-%m-%d}/hour={hour:%H}/"


def object_key(prefix: str, hour: datetime, window: Window, fmt: Format) -> str:
    return f"{partition_prefix(prefix, hour)}{window.id}.{fmt}"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class LakeWriter:
    def __init__(self, bucket: str, s3_client: Any = None) -> None:
        self.bucket = bucket
        self.s3 = s3_client or aws.client("s3", max_attempts=3)

    def check_bucket(self) -> None:
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) in ("404", "NoSuchBucket", "NotFound"):
                raise LakeBucketMissingError(f"lake bucket s3://{self.bucket} does not exist") from exc
            raise LakeError(f"lake bucket s3://{self.bucket} is not usable: {exc}") from exc
        except BotoCoreError as exc:
            raise LakeUnavailableError(f"S3 is unreachable: {exc}") from exc

    def window_files(self, prefix: str, window: Window) -> list[str]:
        """Every object of `window` under `prefix`, in any format (a re-run may switch format)."""
        keys: list[str] = []
        paginator = self.s3.get_paginator("list_objects_v2")
        for hour in window.hours():
            for page in paginator.paginate(Bucket=self.bucket, Prefix=f"{partition_prefix(prefix, hour)}{window.id}."):
                keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def delete(self, keys: Sequence[str]) -> None:
        for i in range(0, len(keys), 1000):
            chunk = [{"Key": k} for k in keys[i : i + 1000]]
            self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})

    def publish(
        self, df: pd.DataFrame, prefix: str, window: Window, fmt: Format, time_column: str = "time"
    ) -> list[WrittenFile]:
        """Replace the window's files with `df`, one file per hour partition. Empty `df`: no change."""
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r}; one of {FORMATS}")
        if df.empty:
            return []
        previous = self.window_files(prefix, window)
        hours = df[time_column].dt.floor("h")
        written: list[WrittenFile] = []
        try:
            for hour, part in df.groupby(hours, sort=True):
                key = object_key(prefix, hour, window, fmt)
                path = f"s3://{self.bucket}/{key}"
                if fmt == "parquet":
                    wr.s3.to_parquet(part, path=path, index=False, pyarrow_additional_kwargs=dict(PARQUET_KWARGS))
                else:
                    wr.s3.to_csv(part, path=path, index=False)
                written.append(WrittenFile(key, len(part), f"{hour:%Y-%m-%d}", f"{hour:%H}"))
        except Exception as exc:
            doomed = sorted({*previous, *(w.key for w in written)})
            log.error("window_write_failed", window=str(window), prefix=prefix, deleting=len(doomed), error=str(exc))
            try:
                self.delete(doomed)
            except Exception as cleanup:  # report both; the window may need a manual look
                raise LakeWriteError(
                    f"writing {window} under s3://{self.bucket}/{prefix} failed ({exc}); "
                    f"removing its files also failed ({cleanup})"
                ) from exc
            raise LakeWriteError(
                f"writing {window} under s3://{self.bucket}/{prefix} failed: {exc}; its files were removed, re-run it"
            ) from exc
        stale = sorted(set(previous) - {w.key for w in written})
        if stale:
            self.delete(stale)
        return written
