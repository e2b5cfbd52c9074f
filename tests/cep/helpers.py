"""Shared by the cep service tests: readings on a real stream, matches read back from the CEP stream."""

from __future__ import annotations

import json
from typing import Any

from tslake.consumer import SourceRecord
from tslake.run.counts import read_stream

BASE = 1_764_000_000_000


def reading(sensor: str, offset_ms: int, status: str, temperature: float = 100.0) -> bytes:
    doc = {"sensor_id": sensor, "temperature": temperature, "status": status, "event_time": BASE + offset_ms}
    return json.dumps(doc).encode()


def put(kinesis: Any, stream: str, payloads: list[tuple[str, bytes]]) -> None:
    """(partition key, data) pairs, in order (one call: Kinesis keeps order per partition key)."""
    answer = kinesis.put_records(StreamName=stream, Records=[{"PartitionKey": k, "Data": d} for k, d in payloads])
    assert answer["FailedRecordCount"] == 0


def source_records(kinesis: Any, stream: str) -> list[SourceRecord]:
    """Everything on the stream as the consumer layer would hand it to a handler."""
    return [
        SourceRecord(
            data=r["Data"],
            partition_key=r["PartitionKey"],
            sequence_number=r["SequenceNumber"],
            sub_sequence_number=None,
            approximate_arrival_ms=None,
            stream=stream,
            shard_id=r["ShardId"],
        )
        for r in read_stream(stream, kinesis)
    ]


def matches(kinesis: Any, stream: str) -> list[dict[str, Any]]:
    return [json.loads(r["Data"]) | {"_partition_key": r["PartitionKey"]} for r in read_stream(stream, kinesis)]
