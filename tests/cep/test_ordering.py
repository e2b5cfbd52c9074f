"""Event-time order with bounded lateness: readings wait for the watermark, late ones are refused."""

from __future__ import annotations

import random

import pytest

from tslake.cep.measures import to_cep_event
from tslake.cep.ordering import EventTimeBuffer
from tslake.cep.pattern import PatternEngine
from tslake.cep.replay import replay_events
from tslake.cep.synthetic import readings


def test_releases_in_event_time_order_and_refuses_late() -> None:
    buf = EventTimeBuffer(lateness_ms=1000)
    assert buf.add("s", 5000, "ERROR", 1.0)
    assert buf.add("s", 4500, "OK", 1.0)  # out of order but within the lateness
    assert buf.release() == []  # watermark 4000: nothing has passed it yet
    assert buf.add("s", 6200, "ERROR", 1.0)
    assert [e[1] for e in buf.release()] == [4500, 5000]  # watermark 5200
    assert not buf.add("s", 5100, "OK", 1.0)  # behind the watermark: late
    assert buf.add("s", 5200, "OK", 1.0)  # exactly at it is still in time
    assert [e[1] for e in buf.release()] == []
    assert len(buf) == 2


def test_equal_timestamps_keep_arrival_order() -> None:
    buf = EventTimeBuffer(lateness_ms=0)
    for status in ("ERROR", "OK", "ERROR"):
        buf.add("s", 1000, status, 1.0)
    buf.add("s", 1001, "OK", 1.0)
    assert [e[2] for e in buf.release()] == ["ERROR", "OK", "ERROR"]


def test_negative_lateness_is_refused() -> None:
    with pytest.raises(ValueError, match="lateness_ms"):
        EventTimeBuffer(-1)


def test_streaming_with_bounded_disorder_equals_offline_replay() -> None:
    """Disorder smaller than the lateness changes nothing: the service's path and `replay` agree."""
    rows = readings(200, shuffle=False)
    events = [(str(r["sensor_id"]), int(r["event_time"]), str(r["status"]), float(r["temperature"])) for r in rows]
    expected = sorted(e.to_json() for e in replay_events(list(events)))
    rng = random.Random(3)
    # Delay each reading by up to 2 s of arrival; one sensor's readings with equal event_time share the
    # delay, so their relative order (which decides ties) is the same in both runs.
    delay: dict[tuple[str, int], int] = {}
    for sensor, ts, _status, _temp in events:
        delay.setdefault((sensor, ts), rng.randint(0, 2000))
    arrival = sorted(events, key=lambda e: e[1] + delay[(e[0], e[1])])
    assert arrival != sorted(events, key=lambda e: e[1])
    buf, engine = EventTimeBuffer(lateness_ms=2001), PatternEngine()
    got: list[bytes] = []
    for event in arrival:
        assert buf.add(*event)
        got.extend(to_cep_event(m).to_json() for m in engine.process(buf.release()))
    buf.max_seen = (buf.max_seen or 0) + 10**9  # end of input: the watermark passes everything
    got.extend(to_cep_event(m).to_json() for m in engine.process(buf.release()))
    assert sorted(got) == expected
    assert len(expected) > 100
