"""`tslake local provision`: create what the pipeline needs, named by `tslake.names`; safe to re-run.

It reaches the endpoint only through the standard AWS_ENDPOINT_URL variables (boto3 reads them),
so the same steps describe what the CDK app creates in AWS.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from botocore.exceptions import ClientError

from tslake import names
from tslake.aws import client

log = structlog.get_logger()

CREATED = "created"
PRESENT = "already present"
UNAVAILABLE = "unavailable"


@dataclass
class ProvisionReport:
    results: list[tuple[str, str]] = field(default_factory=list)

    def add(self, resource: str, outcome: str) -> None:
        self.results.append((resource, outcome))
        log.info("resource_provisioned", resource=resource, outcome=outcome)

    def summary(self) -> str:
        width = max((len(r) for r, _ in self.results), default=0)
        return "\n".join(f"{resource:<{width}}  {outcome}" for resource, outcome in self.results)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def ensure_stream(kinesis: Any, name: str, shards: int) -> str:
    try:
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        outcome = CREATED
    except ClientError as error:
        if _code(error) != "ResourceInUseException":
            raise
        outcome = PRESENT
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return outcome


def ensure_bucket(s3: Any, name: str, region: str) -> str:
    try:
        s3.head_bucket(Bucket=name)
        return PRESENT
    except ClientError as error:
        if _code(error) not in ("404", "NoSuchBucket", "NotFound"):
            raise
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    try:
        s3.create_bucket(**kwargs)
    except ClientError as error:
        if _code(error) in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            return PRESENT
        raise
    return CREATED


def ensure_glue_database(glue: Any, name: str) -> str:
    try:
        glue.create_database(DatabaseInput={"Name": name, "Description": "tslake data lake (S3 parquet)"})
        return CREATED
    except ClientError as error:
        if _code(error) != "AlreadyExistsException":
            raise
        return PRESENT


def _ignore_conflict(create: Callable[[], Any]) -> str:
    try:
        create()
        return CREATED
    except ClientError as error:
        if _code(error) != "ConflictException":
            raise
        return PRESENT


def ensure_timestream(report: ProvisionReport) -> None:
    ts = client("timestream-write")
    try:
        report.add(
            f"timestream database {names.TIMESTREAM_DATABASE}",
            _ignore_conflict(lambda: ts.create_database(DatabaseName=names.TIMESTREAM_DATABASE)),
        )
    except ClientError as error:
        if _code(error) != "NotImplementedException":
            raise
        log.warning(
            "timestream_unavailable",
            detail="the endpoint's Timestream engine answered NotImplementedException; database and tables skipped",
        )
        for resource in (
            names.TIMESTREAM_DATABASE,
            f"{names.TIMESTREAM_DATABASE}.{names.RAW_TABLE}",
            f"{names.TIMESTREAM_DATABASE}.{names.CEP_TABLE}",
        ):
            report.results.append((f"timestream {resource}", UNAVAILABLE))
        return
    tables = (
        (names.RAW_TABLE, names.RAW_TABLE_MEMORY_HOURS, names.RAW_TABLE_MAGNETIC_DAYS),
        (names.CEP_TABLE, names.CEP_TABLE_MEMORY_HOURS, names.CEP_TABLE_MAGNETIC_DAYS),
    )
    for table, memory_hours, magnetic_days in tables:
        retention = {
            "MemoryStoreRetentionPeriodInHours": memory_hours,
            "MagneticStoreRetentionPeriodInDays": magnetic_days,
        }
        report.add(
            f"timestream table {names.TIMESTREAM_DATABASE}.{table}",
            _ignore_conflict(
                lambda table=table, retention=retention: ts.create_table(  # type: ignore[misc]
                    DatabaseName=names.TIMESTREAM_DATABASE, TableName=table, RetentionProperties=retention
                )
            ),
        )


def provision_all() -> ProvisionReport:
    report = ProvisionReport()
    kinesis = client("kinesis")
    report.add(
        f"kinesis stream {names.INPUT_STREAM}", ensure_stream(kinesis, names.INPUT_STREAM, names.INPUT_STREAM_SHARDS)
    )
    report.add(f"kinesis stream {names.CEP_STREAM}", ensure_stream(kinesis, names.CEP_STREAM, names.CEP_STREAM_SHARDS))
    s3 = client("s3")
    report.add(f"s3 bucket {names.LAKE_BUCKET}", ensure_bucket(s3, names.LAKE_BUCKET, s3.meta.region_name))
    report.add(f"glue database {names.GLUE_DATABASE}", ensure_glue_database(client("glue"), names.GLUE_DATABASE))
    ensure_timestream(report)
    return report


def provision(log_level: str = "INFO") -> int:
    from tslake.logs import configure_logging

    configure_logging(log_level, "local-provision")
    report = provision_all()
    print(report.summary(), file=sys.stdout, flush=True)
    return 0
