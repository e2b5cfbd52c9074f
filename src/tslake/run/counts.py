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


def read_stream(stream: str, kinesis: Any | None = None) -> list[dict[str, Any]]:
    """Every record on every shard, from TRIM_HORIZON to the current end, each with its `ShardId`."""
    kinesis = kinesis or aws.client("kinesis")
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page: dict[str, Any] = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records.extend({**record, "ShardId": shard["ShardId"]} for record in page["Records"])
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
    return records


def stream_records(stream: str) -> int:
    return len(read_stream(stream))


def objects_under(prefix: str, bucket: str = names.LAKE_BUCKET) -> int:
    s3 = aws.client("s3")
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        total += page.get("KeyCount", 0)
    return total


def lake_rows(table: str) -> int:
    """Rows in a lake table, through the same DuckDB views as `tslake lake query`."""
    from tslake.lake.query import query

    return int(query(f"SELECT count(*) AS n FROM {table}").column("n")[0].as_py())


def lake_join() -> list[dict[str, Any]]:
    """The seed's Part 3.2 join, one row per customer."""
    from tslake.lake.join import lake_join_summary

    return list(lake_join_summary().table.to_pylist())
