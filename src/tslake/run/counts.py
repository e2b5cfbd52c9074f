"""The summary's counts, read from the stores themselves (not from the services' own claims)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tslake import aws, names


def table_rows(table: str, database: str = names.TIMESTREAM_DATABASE) -> int | None:
    """Rows in a time-series table; None when the store can't answer."""
    query = aws.client("timestream-query", max_attempts=2)
    try:
        result = query.query(QueryString=f'SELECT COUNT(*) FROM "{database}"."{table}"')
    except (ClientError, BotoCoreError):
        return None
    return int(result["Rows"][0]["Data"][0]["ScalarValue"])


def stream_records(stream: str) -> int:
    kinesis = aws.client("kinesis")
    total = 0
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page: dict[str, Any] = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            total += len(page["Records"])
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
    return total


def objects_under(prefix: str, bucket: str = names.LAKE_BUCKET) -> int:
    s3 = aws.client("s3")
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        total += page.get("KeyCount", 0)
    return total


def lake_rows(prefix: str, bucket: str = names.LAKE_BUCKET) -> int | None:
    """Rows in the Parquet files under a lake prefix; None when there are none to read."""
    import awswrangler as wr

    path = f"s3://{bucket}/{prefix}"
    if not wr.s3.list_objects(path, suffix=".parquet"):
        return 0
    try:
        return len(wr.s3.read_parquet(path, dataset=True, path_suffix=".parquet"))
    except Exception:  # the summary reports what it can; the exporter's own log has the cause
        return None


def lake_query(sql: str) -> list[dict[str, Any]] | None:
    """The data-lake join, through the same code as `tslake lake query`; None until that has landed."""
    try:
        from tslake.lake.query import query_lake  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    frame = query_lake(sql)
    return [dict(row) for row in frame.to_dict(orient="records")]
