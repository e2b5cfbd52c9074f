"""What a handler sees: decoded Kinesis records and the shard they came from, independent of the driver."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One Kinesis record; (stream, shard_id, sequence_number, sub_sequence_number) is its unique position."""

    data: bytes
    partition_key: str
    sequence_number: str
    sub_sequence_number: int | None
    approximate_arrival_ms: int | None
    stream: str
    shard_id: str


@dataclass(frozen=True, slots=True)
class ShardContext:
    """The shard a handler instance serves; `starting_sequence_number` is the checkpoint it resumed from."""

    stream: str
    shard_id: str
    starting_sequence_number: str | None


@runtime_checkable
class RecordHandler(Protocol):
    """One instance per shard lease, like a KCL record processor.

    `handle` returns only when every record is durably written or dead-lettered. Raising means "not
    durable": the consumer layer does not checkpoint, backs off and calls `handle` again with the same
    batch, so writes must be idempotent. A handler may also define `close(reason)`, with reason one of
    "shard_end", "shutdown", "lease_lost" (see `close_handler`).
    """

    def handle(self, batch: Sequence[SourceRecord]) -> None: ...


HandlerFactory = Callable[[ShardContext], RecordHandler]

CLOSE_SHARD_END = "shard_end"
CLOSE_SHUTDOWN = "shutdown"
CLOSE_LEASE_LOST = "lease_lost"


def close_handler(handler: RecordHandler, reason: str) -> None:
    """Call the optional `close(reason)` hook."""
    close = getattr(handler, "close", None)
    if callable(close):
        close(reason)
