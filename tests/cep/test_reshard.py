"""A child shard's starting state: its parents' sensors in its hash key range, the latest watermark."""

from __future__ import annotations

from hashlib import md5

from tslake.cep.ordering import EventTimeBuffer
from tslake.cep.pattern import PatternEngine
from tslake.cep.state import ShardState
from tslake.cep.state.reshard import inherit, key_hash

HALF = 2**127


def parent(sensors: list[str], max_seen: int) -> ShardState:
    buffer = EventTimeBuffer(1000)
    engine = PatternEngine()
    for s in sensors:
        buffer.add(s, max_seen, "OK", 1.0)
        engine.process([(s, max_seen - 5000, "ERROR", 1.0), (s, max_seen - 4000, "OK", 1.0)])
    buffer.release()
    return ShardState(buffer=buffer, engine=engine, last_position=(99, 0))


def test_key_hash_is_kinesis_md5() -> None:
    assert key_hash("sensor-01") == int(md5(b"sensor-01").hexdigest(), 16)


def test_split_takes_only_own_sensors_and_merge_takes_both() -> None:
    sensors = [f"sensor-{i:02d}" for i in range(10)]
    low = [s for s in sensors if key_hash(s) < HALF]
    high = [s for s in sensors if key_hash(s) >= HALF]
    assert low and high
    whole = parent(sensors, max_seen=50_000)

    child = inherit([whole], (0, HALF - 1), lateness_ms=1000)
    assert sorted(child.engine.partials) == low
    assert sorted(e[2] for e in child.buffer.pending) == low
    assert (child.buffer.max_seen, child.buffer.watermark, child.last_position) == (50_000, 49_000, None)

    merged = inherit([parent(low, 40_000), parent(high, 60_000)], (0, 2**128 - 1), lateness_ms=1000)
    assert sorted(merged.engine.partials) == sensors
    assert merged.buffer.max_seen == 60_000 and merged.buffer.watermark == 59_000
    # Readings a parent had accepted stay in the buffer and are released in event-time order.
    merged.buffer.max_seen = 10**9
    released = merged.buffer.release()
    assert [e[1] for e in released] == sorted(e[1] for e in released) and len(released) == 10
