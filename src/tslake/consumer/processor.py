"""`BatchProcessor`: the real KCL v3 record processor, running a `RecordHandler` over one shard.

Both drivers call it through the same `amazon_kclpy` v3 interface (the Java MultiLangDaemon through
`amazon_kclpy.kcl.KCLProcess`, the Python driver directly), so it cannot tell them apart.

Rules: checkpoint only after `handle` returned (the batch is durable); if `handle` raises, back off and
retry the same batch, never skip it; checkpoint at SHARD_END (or the children never start) and on
shutdown_requested; never checkpoint on lease_lost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from amazon_kclpy.checkpoint_error import CheckpointError
from amazon_kclpy.v3.processor import RecordProcessorBase

from tslake.consumer.records import (
    CLOSE_LEASE_LOST,
    CLOSE_SHARD_END,
    CLOSE_SHUTDOWN,
    HandlerFactory,
    RecordHandler,
    ShardContext,
    SourceRecord,
    close_handler,
)
from tslake.logs import get_logger
from tslake.metrics import consumer as metrics

# Checkpoint errors worth retrying (KCL exception names passed back by the MultiLangDaemon).
_RETRYABLE_CHECKPOINT_ERRORS = {"ThrottlingException", "KinesisClientLibDependencyException"}
_CHECKPOINT_ATTEMPTS = 5


class BatchAbandonedError(Exception):
    """The batch was not written because the processor was told to stop; nothing was checkpointed."""


class BatchProcessor(RecordProcessorBase):
    """One per shard lease. `stop` ends a retry loop early (lease lost or shutdown) without checkpointing."""

    def __init__(
        self,
        handler_factory: HandlerFactory,
        *,
        stream: str,
        application: str,
        retry_initial_backoff_s: float = 0.2,
        retry_max_backoff_s: float = 10.0,
        stop: threading.Event | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        self._factory = handler_factory
        self._stream = stream
        self._application = application
        self._backoff_initial = retry_initial_backoff_s
        self._backoff_max = retry_max_backoff_s
        self._stop = stop or threading.Event()
        self._sleep = sleep or self._stop.wait
        self.shard_id: str | None = None
        self.handler: RecordHandler | None = None
        # The last position that is durable (written by the handler) and the last one checkpointed.
        self.durable: tuple[str, int | None] | None = None
        self.checkpointed: tuple[str, int | None] | None = None
        # Once a batch was abandoned, later batches must not be written or checkpointed past it.
        self.abandoned = False
        self.closed = False
        self._log = get_logger(component="batch_processor", application=application)

    # -- the KCL v3 interface -------------------------------------------------------------------------

    def initialize(self, initialize_input: Any) -> None:
        self.shard_id = str(initialize_input.shard_id)
        start = initialize_input.sequence_number
        context = ShardContext(stream=self._stream, shard_id=self.shard_id, starting_sequence_number=start)
        self._log = self._log.bind(shard_id=self.shard_id)
        self.handler = self._factory(context)
        metrics.shard_started(self._application, self.shard_id)
        self._log.info("shard_initialized", starting_sequence_number=start)

    def process_records(self, process_records_input: Any) -> None:
        if self.handler is None or self.shard_id is None:
            # initialize failed (the handler factory raised): these records are not written, so nothing
            # on this shard may be checkpointed any more, not even SHARD_END.
            self.abandoned = True
            raise BatchAbandonedError("no handler: initialize failed")
        if self.abandoned:
            raise BatchAbandonedError(f"{self.shard_id}: an earlier batch was abandoned; waiting for shutdown")
        batch = [self._source_record(record) for record in process_records_input.records]
        behind = process_records_input.millis_behind_latest
        if batch:
            self._handle_until_durable(batch)
            last = batch[-1]
            self.durable = (last.sequence_number, last.sub_sequence_number)
            self._checkpoint(process_records_input.checkpointer, *self.durable)
        metrics.batch_succeeded(self._application, self.shard_id, len(batch), behind)

    def lease_lost(self, lease_lost_input: Any) -> None:
        self._log.warning("lease_lost", durable=self.durable)
        self._stop.set()
        self._close(CLOSE_LEASE_LOST)

    def shard_ended(self, shard_ended_input: Any) -> None:
        if self.abandoned:
            # A delivered batch was never written: SHARD_END would skip it. The next owner re-reads it.
            self._close(CLOSE_SHARD_END)
            raise BatchAbandonedError(f"{self.shard_id}: not checkpointing SHARD_END past an unwritten batch")
        # Checkpointing with no sequence number at SHARD_END lets the child shards start.
        self._checkpoint(shard_ended_input.checkpointer, None, None)
        self._log.info("shard_ended")
        self._close(CLOSE_SHARD_END)

    def shutdown_requested(self, shutdown_requested_input: Any) -> None:
        # Checkpoint the last durable record explicitly: "no sequence number" would mean "everything
        # delivered", which includes a batch abandoned mid-retry.
        if self.durable is not None and self.durable != self.checkpointed:
            self._checkpoint(shutdown_requested_input.checkpointer, *self.durable)
        self._log.info("shutdown_checkpointed", checkpoint=self.checkpointed)
        self._close(CLOSE_SHUTDOWN)

    # -- internals ------------------------------------------------------------------------------------

    def _source_record(self, record: Any) -> SourceRecord:
        sub = record.sub_sequence_number
        arrival = record.get("approximateArrivalTimestamp")
        return SourceRecord(
            data=record.binary_data,
            partition_key=str(record.partition_key),
            sequence_number=str(record.sequence_number),
            sub_sequence_number=int(sub) if sub is not None else None,
            approximate_arrival_ms=int(arrival) if arrival is not None else None,
            stream=self._stream,
            shard_id=self.shard_id or "",
        )

    def _handle_until_durable(self, batch: list[SourceRecord]) -> None:
        assert self.handler is not None and self.shard_id is not None
        backoff = self._backoff_initial
        attempt = 0
        while True:
            attempt += 1
            try:
                self.handler.handle(batch)
                return
            except Exception as exc:  # the handler's store is down: retry the same batch, never skip it
                metrics.handler_failed(self._application, self.shard_id)
                self._log.warning(
                    "batch_failed_retrying",
                    attempt=attempt,
                    records=len(batch),
                    first_sequence_number=batch[0].sequence_number,
                    error=f"{type(exc).__name__}: {exc}",
                    backoff_s=backoff,
                )
            self._sleep(backoff)
            if self._stop.is_set():
                self.abandoned = True
                raise BatchAbandonedError(f"stopped retrying a batch of {len(batch)} on {self.shard_id}")
            backoff = min(self._backoff_max, backoff * 2)

    def _checkpoint(self, checkpointer: Any, sequence_number: str | None, sub: int | None) -> None:
        delay = self._backoff_initial
        for attempt in range(1, _CHECKPOINT_ATTEMPTS + 1):
            try:
                checkpointer.checkpoint(sequence_number, sub)
            except CheckpointError as exc:
                if exc.value in _RETRYABLE_CHECKPOINT_ERRORS and attempt < _CHECKPOINT_ATTEMPTS:
                    self._log.warning("checkpoint_retrying", error=exc.value, attempt=attempt)
                    time.sleep(delay)
                    delay = min(self._backoff_max, delay * 2)
                    continue
                # ShutdownException / InvalidStateException: the lease is gone; the next owner resumes
                # from the previous checkpoint and re-delivers (idempotent writes make that harmless).
                self._log.warning("checkpoint_failed", error=exc.value, sequence_number=sequence_number)
                raise
            if sequence_number is not None:
                self.checkpointed = (sequence_number, sub)
            metrics.checkpointed(self._application, self.shard_id or "")
            return

    def _close(self, reason: str) -> None:
        # The daemon's graceful shutdown sends shutdownRequested and then leaseLost: close only once.
        if self.closed:
            return
        self.closed = True
        if self.handler is not None:
            try:
                close_handler(self.handler, reason)
            except Exception as exc:
                self._log.warning("handler_close_failed", reason=reason, error=repr(exc))
        if self.shard_id is not None:
            metrics.shard_stopped(self._application, self.shard_id)
