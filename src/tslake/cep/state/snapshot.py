"""A shard's whole CEP state as one compressed JSON document (small: seconds of readings, a few
rows per sensor), so saving it before each checkpoint is one conditional write."""

from __future__ import annotations

import heapq
import json
import zlib
from dataclasses import dataclass, field

from tslake.cep.ordering import EventTimeBuffer
from tslake.cep.pattern import PatternEngine

FORMAT = 1
Position = tuple[int, int]  # (sequence number, sub-sequence number or 0)


@dataclass
class ShardState:
    buffer: EventTimeBuffer
    engine: PatternEngine = field(default_factory=PatternEngine)
    last_position: Position | None = None  # the last source record fed; later deliveries at or before it are skipped

    def to_bytes(self) -> bytes:
        doc = {
            "format": FORMAT,
            "last_position": list(self.last_position) if self.last_position else None,
            "max_seen": self.buffer.max_seen,
            "watermark": self.buffer.watermark,
            "counter": self.buffer.counter,
            "pending": self.buffer.pending,
            "partials": self.engine.partials,
        }
        return zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)

    @classmethod
    def from_bytes(cls, blob: bytes, lateness_ms: int) -> ShardState:
        doc = json.loads(zlib.decompress(blob))
        if doc.get("format") != FORMAT:
            raise ValueError(f"unknown CEP state format {doc.get('format')!r}")
        buffer = EventTimeBuffer(lateness_ms)
        buffer.max_seen = doc["max_seen"]
        buffer.watermark = doc["watermark"]
        buffer.counter = doc["counter"]
        buffer.pending = [tuple(p) for p in doc["pending"]]
        heapq.heapify(buffer.pending)
        engine = PatternEngine()
        engine.partials = {k: list(v) for k, v in doc["partials"].items()}
        last = doc["last_position"]
        return cls(buffer=buffer, engine=engine, last_position=(int(last[0]), int(last[1])) if last else None)
