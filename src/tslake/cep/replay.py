"""`tslake cep replay`: the engine offline over a JSON-lines file, for tests, backfills and checks.

Offline there is no lateness bound: the whole file is sorted by event_time (a stable sort, so rows
with equal event_time keep their order in the file, as Flink keeps arrival order), then fed once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from tslake.cep.measures import to_cep_event
from tslake.cep.pattern import Event, PatternEngine
from tslake.schema import CepEvent, InvalidRecordError, parse_reading


@dataclass
class ReplayResult:
    events: int = 0
    matches: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line number, reason, detail)


def read_events(lines: Iterable[bytes], result: ReplayResult) -> list[Event]:
    """Parse and validate each line with the same rules as the service; bad lines are reported."""
    events: list[Event] = []
    append = events.append
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            r = parse_reading(line)
        except InvalidRecordError as exc:
            result.rejected.append((number, exc.reason.value, exc.detail))
            continue
        append((r.sensor_id, r.event_time, r.status, r.temperature))
    result.events = len(events)
    return events


def replay_events(events: list[Event], engine: PatternEngine | None = None) -> Iterator[CepEvent]:
    engine = engine or PatternEngine()
    events.sort(key=_event_time)  # stable: ties stay in input order
    for match in engine.process(events):
        yield to_cep_event(match)


def _event_time(event: Event) -> int:
    return event[1]


def replay(source: IO[bytes], sink: IO[bytes]) -> ReplayResult:
    result = ReplayResult()
    events = read_events(source, result)
    for event in replay_events(events):
        sink.write(event.to_json() + b"\n")
        result.matches += 1
    return result


def rejected_report(result: ReplayResult) -> str:
    return json.dumps({"rejected": [{"line": n, "reason": r, "detail": d} for n, r, d in result.rejected]})
