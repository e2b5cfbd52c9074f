from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from tslake import aws

MAX_RECORDS_PER_CALL = 500
MAX_BYTES_PER_CALL = 5 * 1024 * 1024
MAX_RECORD_BYTES = 1024 * 1024  # data plus partition key
THROTTLE_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException", "LimitExceededException"})
RETRYABLE_CODES = THROTTLE_CODES | {
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "KMSThrottlingException",
}

Entry = tuple[str, bytes]  # (partition key, data)


class ProducerError(Exception):
    """Entries still failed after every attempt; `failed` is how many, `error_code` the last reason."""

    def __init__(self, stream: str, failed: int, error_code: str) -> None:
        super().__init__(f"{failed} record(s) not accepted by stream {stream!r} after retries: {error_code}")
        self.failed = failed
        self.error_code = error_code
        self.result = PutResult()  # what the call did achieve before giving up


class RecordTooLargeError(ValueError):
    """A single record over Kinesis' 1 MiB limit can never be put."""


@dataclass
class PutResult:
    sent: int = 0
    calls: int = 0
    retried: int = 0  # entries resent after a partial failure or a failed call
    throttled: int = 0  # entries refused for throughput

    def add(self, other: PutResult) -> None:
        self.sent += other.sent
        self.calls += other.calls
        self.retried += other.retried
        self.throttled += other.throttled


def batches(entries: Sequence[Entry]) -> Iterator[list[Entry]]:
    """Split into PutRecords calls of at most 500 records and 5 MiB."""
    batch: list[Entry] = []
    size = 0
    for key, data in entries:
        record_size = len(key.encode()) + len(data)
        if record_size > MAX_RECORD_BYTES:
            raise RecordTooLargeError(f"record of {record_size} bytes exceeds {MAX_RECORD_BYTES}")
        if batch and (len(batch) == MAX_RECORDS_PER_CALL or size + record_size > MAX_BYTES_PER_CALL):
            yield batch
            batch, size = [], 0
        batch.append((key, data))
        size += record_size
    if batch:
        yield batch


class KinesisProducer:
    """PutRecords with retries of only the entries that failed, so nothing is sent twice needlessly."""

    def __init__(
        self,
        stream: str,
        client: Any | None = None,
        *,
        max_attempts: int = 8,
        base_backoff: float = 0.05,
        max_backoff: float = 2.0,
        on_call: Callable[[float, int], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.stream = stream
        # The SDK's own retries would resend whole calls; this class owns retrying.
        self.client = client or aws.client("kinesis", max_attempts=1)
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.on_call = on_call  # (seconds, records) per PutRecords call, for latency metrics
        self._sleep = sleep

    def put(self, entries: Sequence[Entry]) -> PutResult:
        result = PutResult()
        for batch in batches(entries):
            try:
                result.add(self._put_batch(batch))
            except ProducerError as exc:
                result.add(exc.result)
                exc.result = result
                raise
        return result

    def _backoff(self, attempt: int) -> None:
        # Full jitter: spreads retries of many replicas hitting the same hot shard.
        self._sleep(random.uniform(0, min(self.max_backoff, self.base_backoff * 2**attempt)))

    def _put_batch(self, batch: list[Entry]) -> PutResult:
        result = PutResult()
        pending = batch
        last_code = "unknown"
        for attempt in range(self.max_attempts):
            if attempt:
                result.retried += len(pending)
                self._backoff(attempt)
            started = time.perf_counter()
            try:
                response = self.client.put_records(
                    StreamName=self.stream, Records=[{"PartitionKey": k, "Data": d} for k, d in pending]
                )
            except ClientError as exc:
                last_code = exc.response.get("Error", {}).get("Code", "ClientError")
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                if last_code not in RETRYABLE_CODES and status < 500:
                    raise
                if last_code in THROTTLE_CODES:
                    result.throttled += len(pending)
                continue
            finally:
                result.calls += 1
                if self.on_call:
                    self.on_call(time.perf_counter() - started, len(pending))
            failed: list[Entry] = []
            for entry, outcome in zip(pending, response["Records"], strict=True):
                code = outcome.get("ErrorCode")
                if code:
                    failed.append(entry)
                    last_code = code
                    if code in THROTTLE_CODES:
                        result.throttled += 1
            result.sent += len(pending) - len(failed)
            if not failed:
                return result
            pending = failed
        error = ProducerError(self.stream, len(pending), last_code)
        error.result = result
        raise error
