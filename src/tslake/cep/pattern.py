"""The seed's MATCH_RECOGNIZE as a tight per-sensor state machine.

    PARTITION BY sensor_id ORDER BY event time
    PATTERN (A B{1,5} C) WITHIN INTERVAL '1' MINUTE
    A AS status = 'ERROR', B AS status <> 'ERROR', C AS status = 'ERROR'
    AFTER MATCH SKIP PAST LAST ROW

MATCH_RECOGNIZE variables are strictly contiguous and B excludes ERROR, so a sensor has at most one
live partial match at a time: the candidate that began at its latest eligible ERROR. Every earlier
candidate has died on an ERROR without a B, a sixth B, the window, or was consumed by a match (SKIP
PAST LAST ROW discards the candidate the closing C would start). That is why the state is one small
list per sensor, and why this runs at several hundred thousand events per second in pure Python.

Events must be fed in event-time order per sensor (`ordering.EventTimeBuffer` does that).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

ERROR = "ERROR"
WINDOW_MS = 60_000  # WITHIN INTERVAL '1' MINUTE
MIN_B = 1
MAX_B = 5

# A reading as the engine sees it: (sensor_id, event_time ms, status, temperature).
Event = tuple[str, int, str, float]


class RawMatch(NamedTuple):
    """The rows of one match; `measures.to_cep_event` computes the seed's measures from it."""

    sensor_id: str
    a_time: int
    c_time: int
    temperatures: list[float]  # A, each B, C, in order
    b_statuses: list[str]


# A partial match: [A's event_time, temperatures of A and the B rows, statuses of the B rows].
Partial = list


class PatternEngine:
    """Feeds in-order events through the pattern; `partials` is the whole state (persisted as is)."""

    __slots__ = ("partials", "window_ms")

    def __init__(self, window_ms: int = WINDOW_MS) -> None:
        self.window_ms = window_ms
        self.partials: dict[str, Partial] = {}

    def process(self, events: Iterable[Event]) -> list[RawMatch]:
        """Run events (in event-time order per sensor) and return the matches they complete."""
        partials = self.partials
        window = self.window_ms
        get = partials.get
        out: list[RawMatch] = []
        append = out.append
        for sensor, ts, status, temperature in events:
            p = get(sensor)
            if status == ERROR:
                # Flink prunes a candidate once event_time - A.event_time >= WITHIN, before the row
                # is matched: the window is exclusive (59.999 s matches, 60.000 s does not).
                if p is not None and p[2] and ts - p[0] < window:
                    temps = p[1]
                    temps.append(temperature)
                    append(RawMatch(sensor, p[0], ts, temps, p[2]))
                    del partials[sensor]  # SKIP PAST LAST ROW: C never starts the next match
                else:
                    partials[sensor] = [ts, [temperature], []]
            elif p is not None:
                if ts - p[0] >= window or len(p[2]) == MAX_B:
                    del partials[sensor]
                else:
                    p[1].append(temperature)
                    p[2].append(status)
        return out

    def expire(self, watermark: int) -> int:
        """Drop candidates that can no longer complete by `watermark`; returns how many.

        Purely a memory bound: an expired candidate would fail its window check anyway.
        """
        window = self.window_ms
        dead = [s for s, p in self.partials.items() if watermark - p[0] >= window]
        for sensor in dead:
            del self.partials[sensor]
        return len(dead)

    @property
    def open_partials(self) -> int:
        return len(self.partials)
