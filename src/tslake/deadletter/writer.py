"""One S3 object per bad record: the original payload, why it was set aside, and where it came from.

The key is the record's source position (`tslake.names.dead_letter_key`), so replaying a shard
overwrites the same objects instead of duplicating them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from tslake import aws, names
from tslake.logs import get_logger
from tslake.metrics.ingest import DEAD_LETTERED
from tslake.schema import InvalidRecordReason

if TYPE_CHECKING:
    from tslake.consumer import SourceRecord

log = get_logger(component="deadletter")


class DeadLetterUnavailableError(Exception):
    """The dead-letter bucket can't be written: the batch is not done and must not be checkpointed."""


class DeadLetter(NamedTuple):
    source: SourceRecord
    reason: InvalidRecordReason
    detail: str


def position(source: SourceRecord) -> str:
    """The sequence number, plus the sub-sequence of a KPL-aggregated record (they share a sequence)."""
    if source.sub_sequence_number is None:
        return source.sequence_number
    return f"{source.sequence_number}-{source.sub_sequence_number}"


def document(source: SourceRecord, reason: InvalidRecordReason, detail: str, service: str) -> dict[str, Any]:
    try:
        text: str | None = source.data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    return {
        "reason": str(reason),
        "detail": detail,
        "service": service,
        "source": {
            "stream": source.stream,
            "shard_id": source.shard_id,
            "sequence_number": source.sequence_number,
            "sub_sequence_number": source.sub_sequence_number,
            "partition_key": source.partition_key,
            "approximate_arrival_ms": source.approximate_arrival_ms,
        },
        "payload_bytes": len(source.data),
        "payload_base64": base64.b64encode(source.data).decode("ascii"),
        "payload_text": text,
        "dead_lettered_at": datetime.now(UTC).isoformat(timespec="milliseconds"),
    }


class DeadLetterWriter:
    def __init__(self, bucket: str, service: str, s3_client: Any = None, *, concurrency: int = 8) -> None:
        self.bucket = bucket
        self.service = service
        self._s3 = s3_client or aws.client("s3", max_pool_connections=max(concurrency, 10))
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="deadletter")

    def key(self, source: SourceRecord, reason: InvalidRecordReason) -> str:
        return names.dead_letter_key(self.service, str(reason), source.stream, source.shard_id, position(source))

    def write(self, source: SourceRecord, reason: InvalidRecordReason, detail: str) -> str:
        key = self.key(source, reason)
        body = json.dumps(document(source, reason, detail, self.service), separators=(",", ":")).encode()
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")
        except (ClientError, BotoCoreError) as exc:
            raise DeadLetterUnavailableError(f"s3://{self.bucket}/{key}: {exc}") from exc
        DEAD_LETTERED.labels(service=self.service, reason=str(reason)).inc()
        log.warning(
            "dead_lettered",
            reason=str(reason),
            detail=detail[:200],
            stream=source.stream,
            shard_id=source.shard_id,
            sequence_number=source.sequence_number,
            key=key,
        )
        return key

    def write_many(self, letters: Sequence[DeadLetter]) -> list[str]:
        """Write all (in parallel); raises DeadLetterUnavailableError after every write has finished."""
        if len(letters) <= 1:
            return [self.write(*letter) for letter in letters]
        futures = [self._pool.submit(self.write, *letter) for letter in letters]
        keys: list[str] = []
        error: BaseException | None = None
        for future in futures:
            try:
                keys.append(future.result())
            except BaseException as exc:
                error = error or exc
        if error is not None:
            raise error
        return keys

    def close(self) -> None:
        self._pool.shutdown(wait=True)
