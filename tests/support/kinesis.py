"""A fresh stream per test; `tslake.run.counts.read_stream` reads it back."""

from __future__ import annotations

import uuid
from typing import Any


def create_stream(kinesis: Any, prefix: str, shards: int = 2) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    return name
