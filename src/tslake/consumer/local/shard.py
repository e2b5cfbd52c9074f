"""One leased shard under the Python driver: GetRecords polling into a `BatchProcessor`, through the very
`amazon_kclpy` v3 messages and a checkpointer with `amazon_kclpy.kcl.Checkpointer`'s method, so the
processor cannot tell this driver from the MultiLangDaemon.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from typing import Any

from amazon_kclpy import messages
from amazon_kclpy.checkpoint_error import CheckpointError
from amazon_kclpy.v3.processor import RecordProcessorBase
from botocore.exceptions import BotoCoreError, ClientError

from tslake.consumer.local.leases import LATEST, SHARD_END, TRIM_HORIZON, Lease, LeaseLostError, LeaseTable
from tslake.consumer.processor import BatchAbandonedError
from tslake.logs import get_logger


class HeldLease:
    """A lease this worker owns; renewals (coordinator) and checkpoints (shard thread) share its lock."""

    def __init__(self, lease: Lease, table: LeaseTable, owner: str) -> None:
        self.lease = lease
        self.table = table
        self.owner = owner
        self.lock = threading.Lock()
        self.last_renewed = time.monotonic()
        self.lost = threading.Event()

    @property
    def shard_id(self) -> str:
        return self.lease.lease_key

    def renew(self) -> None:
        with self.lock:
            if self.lost.is_set():
                raise LeaseLostError(self.shard_id)
            try:
                self.table.renew(self.lease, self.owner)
            except LeaseLostError:
                self.lost.set()
                raise
            self.last_renewed = time.monotonic()

    def checkpoint(self, sequence_number: str, sub: int) -> None:
        with self.lock:
            if self.lost.is_set():
                raise LeaseLostError(self.shard_id)
            try:
                self.table.checkpoint(self.lease, self.owner, sequence_number, sub)
            except LeaseLostError:
                self.lost.set()
                raise

    def release(self) -> None:
        with self.lock:
            if not self.lost.is_set():
                self.table.evict(self.lease, self.owner)


class LeaseCheckpointer:
    """The same `checkpoint(sequence_number=None, sub_sequence_number=None)` as amazon_kclpy's Checkpointer,
    raising the same `CheckpointError` names the MultiLangDaemon sends back."""

    def __init__(self, held: HeldLease) -> None:
        self._held = held
        self.largest_delivered: tuple[str, int] | None = None
        self.at_shard_end = False

    def checkpoint(self, sequence_number: str | None = None, sub_sequence_number: int | None = None) -> None:
        if sequence_number is None:
            if self.at_shard_end:
                sequence_number, sub = SHARD_END, 0
            elif self.largest_delivered is not None:
                sequence_number, sub = self.largest_delivered
            else:
                return
        else:
            sub = int(sub_sequence_number or 0)
        try:
            self._held.checkpoint(sequence_number, sub)
        except LeaseLostError:
            raise CheckpointError("ShutdownException") from None
        except (ClientError, BotoCoreError):
            raise CheckpointError("KinesisClientLibDependencyException") from None


def _record(raw: dict[str, Any]) -> messages.Record:
    arrival = raw.get("ApproximateArrivalTimestamp")
    return messages.Record(
        {
            "action": "record",
            "data": base64.b64encode(raw["Data"]).decode("ascii"),
            "partitionKey": raw["PartitionKey"],
            "sequenceNumber": raw["SequenceNumber"],
            "subSequenceNumber": 0,
            "approximateArrivalTimestamp": int(arrival.timestamp() * 1000) if arrival is not None else 0,
        }
    )


class ShardConsumer(threading.Thread):
    """Reads one shard from its checkpoint until shard end, lease loss or shutdown."""

    def __init__(
        self,
        held: HeldLease,
        kinesis: Any,
        stream: str,
        make_processor: Callable[[threading.Event], RecordProcessorBase],
        *,
        max_records: int,
        idle_time_s: float,
        backoff_initial_s: float,
        backoff_max_s: float,
        on_shard_end: Callable[[HeldLease, Any], frozenset[str]],
    ) -> None:
        super().__init__(name=f"shard-{held.shard_id}", daemon=True)
        self.held = held
        self.kinesis = kinesis
        self.stream = stream
        self.stop_processor = threading.Event()  # ends a handler retry loop (lease lost / shutdown)
        self.shutdown = threading.Event()
        self.processor = make_processor(self.stop_processor)
        self.checkpointer = LeaseCheckpointer(held)
        self.max_records = max_records
        self.idle_time_s = idle_time_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.on_shard_end = on_shard_end
        self.outcome: str | None = None  # "shard_end", "shutdown", "lease_lost", "error"
        self._log = get_logger(component="python_driver", shard_id=held.shard_id)

    def request_shutdown(self) -> None:
        self.shutdown.set()
        self.stop_processor.set()

    def lease_lost(self) -> None:
        self.held.lost.set()
        self.stop_processor.set()

    def run(self) -> None:
        try:
            self.outcome = self._run()
        except Exception:
            self._log.exception("shard_consumer_crashed")
            self.outcome = "error"

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not (self.shutdown.is_set() or self.held.lost.is_set()):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.shutdown.wait(min(left, 0.1))

    def _iterator(self) -> str | None:
        lease = self.held.lease
        position = self.checkpointer.largest_delivered
        kwargs: dict[str, Any] = {"StreamName": self.stream, "ShardId": self.held.shard_id}
        if position is not None:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=position[0])
        elif lease.checkpoint in (TRIM_HORIZON, LATEST):
            kwargs.update(ShardIteratorType=lease.checkpoint)
        else:
            kwargs.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=lease.checkpoint)
        return str(self.kinesis.get_shard_iterator(**kwargs)["ShardIterator"])

    def _run(self) -> str:
        lease = self.held.lease
        messages.InitializeInput(
            {
                "action": "initialize",
                "shardId": self.held.shard_id,
                "sequenceNumber": lease.checkpoint,
                "subSequenceNumber": lease.checkpoint_sub,
            }
        ).dispatch(self.checkpointer, self.processor)
        iterator: str | None = None
        backoff = self.backoff_initial_s
        while True:
            if self.held.lost.is_set():
                messages.LeaseLostInput({"action": "leaseLost"}).dispatch(self.checkpointer, self.processor)
                return "lease_lost"
            if self.shutdown.is_set():
                messages.ShutdownRequestedInput({"action": "shutdownRequested"}).dispatch(
                    self.checkpointer, self.processor
                )
                return "shutdown"
            try:
                if iterator is None:
                    iterator = self._iterator()
                page = self.kinesis.get_records(ShardIterator=iterator, Limit=self.max_records)
            except (ClientError, BotoCoreError) as exc:
                self._log.warning("get_records_failed", error=str(exc), backoff_s=backoff)
                iterator = None  # re-position after the last delivered record
                self._wait(backoff)
                backoff = min(self.backoff_max_s, backoff * 2)
                continue
            backoff = self.backoff_initial_s
            records = [_record(raw) for raw in page.get("Records", [])]
            if records:
                self.checkpointer.largest_delivered = (records[-1].sequence_number, 0)
            try:
                messages.ProcessRecordsInput(
                    {
                        "action": "processRecords",
                        "records": records,
                        "millisBehindLatest": page.get("MillisBehindLatest"),
                    }
                ).dispatch(self.checkpointer, self.processor)
            except BatchAbandonedError:
                continue  # lost or shutting down: the loop head decides
            except CheckpointError as exc:
                # The batch is durable; only its checkpoint failed (the next one covers it).
                self._log.warning("checkpoint_failed", error=exc.value)
                if exc.value == "ShutdownException":
                    self.held.lost.set()
                    continue
            iterator = page.get("NextShardIterator")
            if iterator is None:
                return self._shard_end(page)
            self._wait(self.idle_time_s)

    def _shard_end(self, page: Any) -> str:
        children = self.on_shard_end(self.held, page)
        self.checkpointer.at_shard_end = True
        delay = self.backoff_initial_s
        while not self.held.lost.is_set():
            try:
                messages.ShardEndedInput({"action": "shardEnded"}).dispatch(self.checkpointer, self.processor)
            except CheckpointError as exc:
                self._log.warning("shard_end_checkpoint_failed", error=exc.value)
            if self.held.lease.finished:
                self._log.info("shard_end_reached", children=sorted(children))
                return "shard_end"
            # Like KCL: no SHARD_END checkpoint, no children; retry the shard end.
            self._wait(delay)
            delay = min(self.backoff_max_s, delay * 2)
            if self.shutdown.is_set():
                return "shutdown"
        messages.LeaseLostInput({"action": "leaseLost"}).dispatch(self.checkpointer, self.processor)
        return "lease_lost"
