"""Event-time order with bounded lateness, so that results do not depend on arrival timing.

The seed ordered by processing time, so a match depended on when records happened to arrive (and
WITHIN measured arrival, not the readings' clock). We order by `event_time`, as Flink does in event
time: readings wait in a buffer until the watermark `max(event_time seen) - allowed_lateness` passes
them, then go to the engine sorted by (event_time, arrival order). The watermark is per shard (per
source partition, like Flink's), and a reading at or behind it is late: it is returned to the caller
to be counted and dead-lettered, never silently reordered into a state that already moved on.
Readings with equal event_time keep their arrival order (the Kinesis sequence order), which is
also what Flink does for rows with equal rowtime.
"""

from __future__ import annotations

import heapq

from tslake.cep.pattern import Event

# (event_time, arrival counter, sensor_id, status, temperature): the counter keeps ties stable.
Pending = tuple[int, int, str, str, float]


class EventTimeBuffer:
    __slots__ = ("counter", "lateness_ms", "max_seen", "pending", "watermark")

    def __init__(self, lateness_ms: int) -> None:
        if lateness_ms < 0:
            raise ValueError("lateness_ms must be >= 0")
        self.lateness_ms = lateness_ms
        self.max_seen: int | None = None
        # Everything with event_time < watermark has gone to the engine; None until the first event.
        self.watermark: int | None = None
        self.counter = 0
        self.pending: list[Pending] = []

    def add(self, sensor_id: str, event_time: int, status: str, temperature: float) -> bool:
        """Buffer one reading; False if it is late (behind the watermark) and was not taken."""
        if self.watermark is not None and event_time < self.watermark:
            return False
        heapq.heappush(self.pending, (event_time, self.counter, sensor_id, status, temperature))
        self.counter += 1
        if self.max_seen is None or event_time > self.max_seen:
            self.max_seen = event_time
        return True

    def release(self) -> list[Event]:
        """Advance the watermark and return, in order, every reading it has passed."""
        if self.max_seen is None:
            return []
        candidate = self.max_seen - self.lateness_ms
        if self.watermark is None or candidate > self.watermark:
            self.watermark = candidate
        out: list[Event] = []
        pending, watermark = self.pending, self.watermark
        while pending and pending[0][0] < watermark:
            ts, _n, sensor, status, temperature = heapq.heappop(pending)
            out.append((sensor, ts, status, temperature))
        return out

    def __len__(self) -> int:
        return len(self.pending)
