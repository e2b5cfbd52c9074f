"""The Timestream record Version, derived from the source record so that a replay is a no-op.

Version = the record's Kinesis ApproximateArrivalTimestamp in epoch ms. Kinesis stores it with the
record, so a replayed shard (KCL takeover, a crash before the checkpoint) writes the same value with
the same Version, which Timestream accepts as a no-op. An intentional correction is a new record for
the same sensor, status and event_time put on the stream later: it arrives later, so it carries a
higher Version and upserts. Unlike sequence numbers (128-bit, and comparable only within one shard)
it fits Timestream's 64-bit Version and stays ordered across shards after a reshard. A correction
arriving within the same millisecond as the original gets the same Version and is refused by the
store (dead-lettered as rejected_by_store, never lost). A source without an arrival time gets
Version 1, Timestream's default.
"""

from __future__ import annotations

from typing import Protocol


class _HasArrival(Protocol):
    @property
    def approximate_arrival_ms(self) -> int | None: ...


def record_version(source: _HasArrival) -> int:
    arrival = source.approximate_arrival_ms
    return int(arrival) if arrival else 1
