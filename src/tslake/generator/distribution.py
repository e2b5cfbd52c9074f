"""The seed generator's distribution, reproduced draw for draw so a seeded run is deterministic."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from tslake.schema import SensorReading

SKIP_PROBABILITY = 0.5  # each sensor is silent on half the ticks
EXPECTED_READINGS_PER_SENSOR_TICK = 1 - SKIP_PROBABILITY


def seed_reading(rng: random.Random, sensor_id: str, event_time_ms: int) -> SensorReading:
    temperature = round(10 + rng.random() * 170)
    if temperature > 160:
        status = "ERROR"
    # The seed's `randrange(1, 100) > 80` is 19/99, not exactly 0.2; kept for fidelity.
    elif temperature > 140 or rng.randrange(1, 100) > 80:
        status = rng.choice(("WARNING", "ERROR"))
    else:
        status = "OK"
    return SensorReading(sensor_id=sensor_id, temperature=temperature, status=status, event_time=event_time_ms)


def tick(rng: random.Random, sensor_ids: Sequence[str], event_time_ms: int) -> Iterator[SensorReading]:
    """One tick: every sensor emits with probability 0.5."""
    for sensor_id in sensor_ids:
        if rng.random() < SKIP_PROBABILITY:
            continue
        yield seed_reading(rng, sensor_id, event_time_ms)
