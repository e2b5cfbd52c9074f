"""Partial matches across a reshard: a new child shard starts from its parents' final state.

Kinesis routes a record by MD5(partition key) into a shard's hash key range, and the CEP input is
partitioned by sensor_id (the seed's contract), so a child takes from each parent exactly the
sensors whose hash falls in its own range: their open partial matches and their readings still
waiting for the watermark. The consumer layer starts a child only after its parents reached
SHARD_END, and a parent saved its state with its last batch, so the parents' states are final.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import md5
from typing import Any

from tslake.cep.ordering import EventTimeBuffer
from tslake.cep.pattern import PatternEngine
from tslake.cep.state.snapshot import ShardState


@dataclass(frozen=True)
class ShardLineage:
    parents: tuple[str, ...]
    hash_range: tuple[int, int]  # inclusive, as Kinesis' HashKeyRange


def key_hash(partition_key: str) -> int:
    return int.from_bytes(md5(partition_key.encode(), usedforsecurity=False).digest(), "big")


def inherit(parents: list[ShardState], hash_range: tuple[int, int], lateness_ms: int) -> ShardState:
    """The child's starting state: the parents' sensors in `hash_range`, with the latest watermark."""
    low, high = hash_range

    def mine(sensor: str) -> bool:
        return low <= key_hash(sensor) <= high

    buffer = EventTimeBuffer(lateness_ms)
    engine = PatternEngine()
    for parent in parents:
        engine.partials.update({s: p for s, p in parent.engine.partials.items() if mine(s)})
        buffer.pending.extend(e for e in parent.buffer.pending if mine(e[2]))
        buffer.counter = max(buffer.counter, parent.buffer.counter)
        for name in ("max_seen", "watermark"):
            theirs = getattr(parent.buffer, name)
            ours = getattr(buffer, name)
            if theirs is not None and (ours is None or theirs > ours):
                setattr(buffer, name, theirs)
    heapq.heapify(buffer.pending)
    return ShardState(buffer=buffer, engine=engine, last_position=None)  # the child's own sequence space


def kinesis_lineage(kinesis: Any, stream: str) -> Callable[[str], ShardLineage | None]:
    """Look a shard's parents and hash key range up with ListShards (once per new shard lease)."""

    def lookup(shard_id: str) -> ShardLineage | None:
        kwargs: dict[str, Any] = {"StreamName": stream}
        while True:
            page = kinesis.list_shards(**kwargs)
            for shard in page["Shards"]:
                if shard["ShardId"] == shard_id:
                    parents = (shard.get("ParentShardId"), shard.get("AdjacentParentShardId"))
                    keys = shard["HashKeyRange"]
                    return ShardLineage(
                        parents=tuple(p for p in parents if p),
                        hash_range=(int(keys["StartingHashKey"]), int(keys["EndingHashKey"])),
                    )
            token = page.get("NextToken")
            if not token:
                return None
            kwargs = {"NextToken": token}

    return lookup
