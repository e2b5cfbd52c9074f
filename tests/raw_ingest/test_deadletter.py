"""The dead-letter writer against the local endpoint's S3: one object per bad record, keyed by position."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from prometheus_client import REGISTRY

from tslake import names
from tslake.consumer import SourceRecord
from tslake.deadletter import DeadLetter, DeadLetterWriter
from tslake.schema import InvalidRecordReason


def _source(data: bytes, seq: str, stream: str, sub: int | None = None) -> SourceRecord:
    return SourceRecord(
        data=data,
        partition_key="sensor-01",
        sequence_number=seq,
        sub_sequence_number=sub,
        approximate_arrival_ms=1764000000000,
        stream=stream,
        shard_id="shardId-000000000000",
    )


def _count(service: str, reason: str) -> float:
    return REGISTRY.get_sample_value("tslake_dead_lettered_total", {"service": service, "reason": reason}) or 0.0


def test_dead_letter_object_carries_payload_reason_and_source(endpoint: Any) -> None:
    s3 = endpoint.client("s3")
    stream = f"dl-{uuid.uuid4().hex[:8]}"
    writer = DeadLetterWriter(names.LAKE_BUCKET, "raw-ingest-test")
    before = _count("raw-ingest-test", "malformed_json")
    bad = b'{"sensor_id": "sensor-01", "temp'
    binary = b"\xff\xfe\x00garbage"
    keys = writer.write_many(
        [
            DeadLetter(_source(bad, "101", stream), InvalidRecordReason.MALFORMED_JSON, "Unterminated string"),
            DeadLetter(_source(binary, "102", stream, sub=3), InvalidRecordReason.MALFORMED_JSON, "not utf-8"),
        ]
    )
    assert keys == [
        f"dead-letter/raw-ingest-test/malformed_json/{stream}/shardId-000000000000/101.json",
        f"dead-letter/raw-ingest-test/malformed_json/{stream}/shardId-000000000000/102-3.json",
    ]
    first = json.loads(s3.get_object(Bucket=names.LAKE_BUCKET, Key=keys[0])["Body"].read())
    assert first["reason"] == "malformed_json"
    assert first["detail"] == "Unterminated string"
    assert first["payload_text"] == bad.decode()
    assert base64.b64decode(first["payload_base64"]) == bad
    assert first["source"] == {
        "stream": stream,
        "shard_id": "shardId-000000000000",
        "sequence_number": "101",
        "sub_sequence_number": None,
        "partition_key": "sensor-01",
        "approximate_arrival_ms": 1764000000000,
    }
    second = json.loads(s3.get_object(Bucket=names.LAKE_BUCKET, Key=keys[1])["Body"].read())
    assert second["payload_text"] is None  # not UTF-8: only the base64 copy
    assert base64.b64decode(second["payload_base64"]) == binary
    assert _count("raw-ingest-test", "malformed_json") == before + 2

    # A replay overwrites the same objects instead of adding new ones.
    writer.write(_source(bad, "101", stream), InvalidRecordReason.MALFORMED_JSON, "Unterminated string")
    prefix = f"dead-letter/raw-ingest-test/malformed_json/{stream}/"
    listed = s3.list_objects_v2(Bucket=names.LAKE_BUCKET, Prefix=prefix)
    assert listed["KeyCount"] == 2
    writer.close()
