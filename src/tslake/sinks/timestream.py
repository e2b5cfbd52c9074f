"""Amazon Timestream for LiveAnalytics (or the local engine) through boto3 `timestream-write`.

At most 100 records per WriteRecords call (the service limit), `concurrency` calls in flight from one
shared thread pool, attributes shared by every record of a call hoisted into CommonAttributes, throttling
and 5xx retried with exponential backoff and full jitter. Rejected records come back as `Rejection`s;
like the real service, the local engine writes the other records of a call that had rejections.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from tslake import aws
from tslake.logs import get_logger
from tslake.metrics import ingest as metrics
from tslake.sinks.base import (
    Point,
    Rejection,
    SinkConfigurationError,
    SinkUnavailableError,
    TimeSeriesSink,
    WriteOutcome,
)

MAX_RECORDS_PER_CALL = 100
RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "InvalidEndpointException",
    }
)
_HOISTABLE = ("MeasureName", "MeasureValueType", "Time", "Version")

log = get_logger(component="sinks.timestream")


def build_request(points: Sequence[Point]) -> dict[str, Any]:
    """Records plus CommonAttributes holding whatever every record of this call shares.

    A CEP event's records share sensor, dimensions and time; a raw batch shares at least the value type
    and time unit. Hoisting never changes what is stored, only how many bytes go over the wire.
    """
    shared_dims: set[tuple[str, str]] = set(points[0].dimensions)
    for p in points[1:]:
        if shared_dims:
            shared_dims.intersection_update(p.dimensions)
    records: list[dict[str, Any]] = []
    for p in points:
        rec: dict[str, Any] = {"MeasureName": p.measure_name, "Time": str(p.time_ms), "Version": p.version}
        dims = [{"Name": n, "Value": v} for n, v in p.dimensions if (n, v) not in shared_dims]
        if dims:
            rec["Dimensions"] = dims
        if p.multi:
            rec["MeasureValueType"] = "MULTI"
            rec["MeasureValues"] = [{"Name": m.name, "Value": m.value, "Type": str(m.type)} for m in p.measures]
        else:
            rec["MeasureValue"] = p.measures[0].value
            rec["MeasureValueType"] = str(p.measures[0].type)
        records.append(rec)
    common: dict[str, Any] = {"TimeUnit": "MILLISECONDS"}
    if shared_dims:
        # Keep the first record's dimension order (the seed's order) for the shared ones.
        common["Dimensions"] = [{"Name": n, "Value": v} for n, v in points[0].dimensions if (n, v) in shared_dims]
    for key in _HOISTABLE:
        first = records[0][key]
        if all(r[key] == first for r in records):
            common[key] = first
            for r in records:
                del r[key]
    return {"CommonAttributes": common, "Records": records}


def write_client(concurrency: int, region_name: str | None = None) -> Any:
    """Our retry loop owns backoff, so botocore's is off; the layouts build well-formed records, so
    botocore's parameter validation (about a quarter of the client's CPU per record) is off too."""
    return aws.client(
        "timestream-write",
        max_attempts=0,
        max_pool_connections=max(concurrency, 10),
        parameter_validation=False,
        region_name=region_name,
    )


class TimestreamSink(TimeSeriesSink):
    def __init__(
        self,
        database: str,
        table: str,
        *,
        client: Any = None,
        concurrency: int = 8,
        batch_size: int = MAX_RECORDS_PER_CALL,
        max_attempts: int = 8,
        backoff_base_seconds: float = 0.05,
        backoff_max_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= batch_size <= MAX_RECORDS_PER_CALL:
            raise ValueError(f"batch_size must be 1..{MAX_RECORDS_PER_CALL}, got {batch_size}")
        self.database = database
        self.table = table
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base_seconds
        self.backoff_max = backoff_max_seconds
        self._sleep = sleep
        self._client = client or write_client(concurrency)
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="timestream-write")
        self._latency = metrics.WRITE_SECONDS.labels(table=table)
        self._batch = metrics.WRITE_BATCH_RECORDS.labels(table=table)
        self._retries = metrics.WRITE_RETRIES.labels(table=table)

    def write(self, points: Sequence[Point]) -> WriteOutcome:
        if not points:
            return WriteOutcome()
        chunks = [points[i : i + self.batch_size] for i in range(0, len(points), self.batch_size)]
        outcome = WriteOutcome(calls=len(chunks))
        if len(chunks) == 1:
            outcome.rejected = self._write_chunk(chunks[0])
        else:
            futures: list[Future[list[Rejection]]] = [self._pool.submit(self._write_chunk, c) for c in chunks]
            error: BaseException | None = None
            for future in futures:  # wait for every call, even after a failure: nothing left in flight
                try:
                    outcome.rejected.extend(future.result())
                except BaseException as exc:
                    error = error or exc
            if error is not None:
                raise error
        outcome.written = len(points) - len(outcome.rejected)
        return outcome

    def _write_chunk(self, chunk: Sequence[Point]) -> list[Rejection]:
        request = build_request(chunk)
        attempt = 0
        while True:
            started = time.perf_counter()
            try:
                self._client.write_records(DatabaseName=self.database, TableName=self.table, **request)
            except ClientError as exc:
                self._latency.observe(time.perf_counter() - started)
                error = exc.response.get("Error", {})
                code = str(error.get("Code", ""))
                message = str(error.get("Message", ""))
                status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
                if code == "RejectedRecordsException":
                    self._batch.observe(len(chunk))
                    items: list[dict[str, Any]] = list(exc.response.get("RejectedRecords") or [])  # type: ignore[call-overload]
                    return self._rejections(chunk, items, message)
                if code in RETRYABLE_CODES or status >= 500 or status == 429:
                    attempt = self._backoff(attempt, f"{code or status}: {message}")
                    continue
                if code == "ValidationException":
                    return self._bisect(chunk, message)
                raise SinkConfigurationError(f"{self.database}.{self.table}: {code}: {message}") from exc
            except BotoCoreError as exc:  # connection refused/reset, read timeout: the store is unreachable
                attempt = self._backoff(attempt, f"{type(exc).__name__}: {exc}")
                continue
            self._latency.observe(time.perf_counter() - started)
            self._batch.observe(len(chunk))
            return []

    def _backoff(self, attempt: int, problem: str) -> int:
        attempt += 1
        if attempt >= self.max_attempts:
            raise SinkUnavailableError(f"WriteRecords failed {attempt} times: {problem}")
        self._retries.inc()
        delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
        log.warning("write_retry", table=self.table, attempt=attempt, delay_s=round(delay, 3), problem=problem)
        self._sleep(delay)
        return attempt

    def _bisect(self, chunk: Sequence[Point], message: str) -> list[Rejection]:
        """A ValidationException refuses the whole call; halve it until the offending record is alone."""
        if len(chunk) == 1:
            return [Rejection(chunk[0], f"ValidationException: {message}")]
        half = len(chunk) // 2
        return self._write_chunk(chunk[:half]) + self._write_chunk(chunk[half:])

    @staticmethod
    def _rejections(chunk: Sequence[Point], rejected: list[dict[str, Any]], message: str) -> list[Rejection]:
        out: list[Rejection] = []
        for item in rejected:
            index = int(item.get("RecordIndex", -1))
            if not 0 <= index < len(chunk):
                continue
            reason = str(item.get("Reason") or message or "rejected")
            if item.get("ExistingVersion") is not None:
                reason += f" (existing version {item['ExistingVersion']})"
            out.append(Rejection(chunk[index], reason))
        if not out and chunk:
            # A RejectedRecordsException that names no record: we can't tell what was written, so the
            # batch is not durable. Replaying it is safe because writes are idempotent.
            raise SinkUnavailableError(f"RejectedRecordsException without record indexes: {message}")
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True)
