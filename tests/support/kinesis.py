"""Reading a whole stream back, for tests that check what a producer really put."""

from __future__ import annotations

import uuid
from typing import Any


def create_stream(kinesis: Any, prefix: str, shards: int = 2) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    return name


def read_all(kinesis: Any, stream: str) -> list[dict[str, Any]]:
    """Every record on every shard, from TRIM_HORIZON to the current end."""
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            for record in page["Records"]:
                records.append({**record, "ShardId": shard["ShardId"]})
            if not page["Records"] and page.get("MillisBehindLatest", 0) == 0:
                break
            iterator = page.get("NextShardIterator")
    return records
