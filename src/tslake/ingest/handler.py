"""The raw-ingest `RecordHandler`: decode, validate, write, dead-letter; return only when durable.

A bad record never blocks its shard: malformed JSON, schema violations, oversized payloads, timestamps
the store can't take and records the store rejects all go to the dead-letter prefix, and the batch
completes. Only an unavailable store or dead-letter bucket raises, and then the consumer layer retries
the whole batch without checkpointing (safe: writes are idempotent by Version, dead-letter keys by
source position).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from tslake.consumer import SourceRecord
from tslake.deadletter import DeadLetter, DeadLetterWriter
from tslake.ingest.layouts import Layout
from tslake.ingest.version import record_version
from tslake.logs import get_logger
from tslake.metrics import ingest as metrics
from tslake.schema import InvalidRecordError, InvalidRecordReason
from tslake.sinks.base import Point, TimeSeriesSink

OUT_OF_RANGE = InvalidRecordReason.TIMESTAMP_OUT_OF_RANGE
REJECTED = InvalidRecordReason.REJECTED_BY_STORE


class RawIngestHandler:
    def __init__(
        self,
        *,
        layout: Layout,
        sink: TimeSeriesSink,
        dead_letters: DeadLetterWriter,
        stream: str,
        table: str,
        shard_id: str = "",
        max_age_ms: int,
        max_future_ms: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.layout = layout
        self.sink = sink
        self.dead_letters = dead_letters
        self.max_age_ms = max_age_ms
        self.max_future_ms = max_future_ms
        self._clock = clock
        self._in = metrics.RECORDS_IN.labels(stream=stream, table=table)
        self._written = metrics.RECORDS_WRITTEN.labels(stream=stream, table=table)
        self._points = metrics.POINTS_WRITTEN.labels(table=table)
        self._rejected = metrics.REJECTED.labels(stream=stream, table=table)
        self._e2e = metrics.END_TO_END_SECONDS.labels(table=table)
        self._log = get_logger(component="raw_ingest", stream=stream, table=table, shard_id=shard_id)

    def handle(self, batch: Sequence[SourceRecord]) -> None:
        self._in.inc(len(batch))
        now_ms = int(self._clock() * 1000)
        oldest, newest = now_ms - self.max_age_ms, now_ms + self.max_future_ms
        parse, to_points = self.layout.parse, self.layout.points
        points: list[Point] = []
        letters: list[DeadLetter] = []
        event_times: dict[int, int] = {}  # source index -> event_time, for the records with points
        for index, source in enumerate(batch):
            try:
                record = parse(source.data)
            except InvalidRecordError as exc:
                letters.append(DeadLetter(source, exc.reason, exc.detail))
                continue
            event_time = record.event_time
            if not oldest <= event_time <= newest:
                detail = f"event_time {event_time} outside [{oldest}, {newest}] (now {now_ms})"
                letters.append(DeadLetter(source, OUT_OF_RANGE, detail))
                continue
            event_times[index] = event_time
            points.extend(to_points(record, record_version(source), index))

        outcome = self.sink.write(points)  # SinkError propagates: not durable, not checkpointed

        rejected: dict[int, list[str]] = {}
        for rejection in outcome.rejected:
            rejected.setdefault(rejection.point.ref, []).append(f"{rejection.point.measure_name}: {rejection.reason}")
        for index, reasons in sorted(rejected.items()):
            letters.append(DeadLetter(batch[index], REJECTED, "; ".join(reasons)))
            del event_times[index]
        if letters:
            self.dead_letters.write_many(letters)  # DeadLetterUnavailableError propagates likewise

        written_at = self._clock()
        for event_time in event_times.values():
            self._e2e.observe(written_at - event_time / 1000)
        self._written.inc(len(event_times))
        self._points.inc(outcome.written)
        if rejected:
            self._rejected.inc(len(rejected))
        self._log.debug(
            "batch_done", records=len(batch), written=len(event_times), dead_lettered=len(letters), calls=outcome.calls
        )
