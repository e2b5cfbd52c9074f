"""Deterministic per-sensor reading sequences for the differential test and the benchmark.

Each sequence has its own sensor id, so sequences never interact; `EDGE_CASES` are the boundaries
the issue names (1, 5 and 6 B's; C at 59.9/60.0/60.1 s; ERROR ERROR; overlaps; equal timestamps;
ROUND and integer-division edges), the random ones are dense in ERRORs so most contain candidates.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

BASE_MS = 1_764_000_000_000
E, K, W = "ERROR", "OK", "WARNING"

# (name, [(offset ms, status, temperature), ...]) in event-time order.
EDGE_CASES: list[tuple[str, list[tuple[int, str, float]]]] = [
    ("one_b", [(0, E, 170), (1000, K, 50), (2000, E, 171)]),
    ("five_b", [(0, E, 170.0)] + [(i * 1000, K, 40.0 + i) for i in range(1, 6)] + [(6000, E, 165)]),
    ("six_b", [(0, E, 170.0)] + [(i * 1000, W, 140.0 + i) for i in range(1, 7)] + [(7000, E, 165)]),
    (
        "six_b_then_match",
        [(0, E, 170.0)]
        + [(i * 1000, K, 20.0 + i) for i in range(1, 7)]
        + [(7000, E, 165), (8000, K, 30), (9000, E, 166)],
    ),
    ("c_at_59_9", [(0, E, 170), (1000, K, 50), (59_900, E, 171)]),
    ("c_at_59_999", [(0, E, 170), (1000, K, 50), (59_999, E, 171)]),
    ("c_at_60_0", [(0, E, 170), (1000, K, 50), (60_000, E, 171)]),
    ("c_at_60_1", [(0, E, 170), (1000, K, 50), (60_100, E, 171), (61_000, K, 10), (62_000, E, 172)]),
    ("b_after_window", [(0, E, 170), (30_000, K, 50), (61_000, K, 51), (62_000, E, 171)]),
    ("error_error", [(0, E, 170), (1000, E, 171)]),
    ("error_error_b_error", [(0, E, 170), (1000, E, 171), (2000, K, 10), (3000, E, 172)]),
    (
        "overlap",
        [(0, E, 170), (1000, K, 10), (2000, E, 171), (3000, K, 11), (4000, E, 172), (5000, K, 12), (6000, E, 173)],
    ),
    ("equal_timestamps", [(1000, E, 170), (1000, K, 10), (1000, E, 171)]),
    ("equal_timestamps_mixed", [(0, E, 170), (500, W, 145), (500, E, 171), (500, K, 12), (900, E, 172)]),
    ("elapsed_truncates", [(0, E, 170), (1000, K, 10), (1999, E, 171)]),
    ("elapsed_half", [(0, E, 170), (1000, K, 10), (2500, E, 171)]),
    ("round_half_up", [(0, E, 1.005), (1, K, 1.005), (2, E, 1.005)]),
    ("round_2_675", [(0, E, 2.675), (1, W, 2.675), (2, E, 2.675)]),
    ("round_negative", [(0, E, -0.125), (1, K, -0.125), (2, E, -0.125)]),
    ("round_eighths", [(0, E, 0.125), (1, K, 0.25), (2, K, 0.0), (3, E, 0.125)]),
    ("history_nulls", [(1000, E, 10), (2000, K, 20), (3000, W, 30), (4000, E, 40)]),
]


def _random_sequence(rng: random.Random) -> list[tuple[int, str, float]]:
    rows: list[tuple[int, str, float]] = []
    t = 0
    for _ in range(rng.randint(3, 40)):
        r = rng.random()
        if r < 0.15:
            gap = 0  # equal timestamps
        elif r < 0.85:
            gap = rng.randint(1, 4000)
        elif r < 0.95:
            gap = rng.randint(5000, 30_000)
        else:
            gap = rng.choice([59_900, 59_999, 60_000, 60_001, 60_100])
        t += gap
        status = E if rng.random() < 0.35 else rng.choice((K, W))
        u = rng.random()
        if u < 0.7:
            temperature: float = float(round(10 + rng.random() * 170))
        elif u < 0.9:
            temperature = round(rng.uniform(-20, 180), 3)
        else:
            temperature = rng.choice((0.125, 1.005, 2.675, -0.125, 0.5, 33.335))
        rows.append((t, status, temperature))
    return rows


def sequences(count: int, seed: int = 20261128) -> Iterator[tuple[str, list[tuple[int, str, float]]]]:
    """EDGE_CASES first, then `count` random sequences; names double as sensor ids."""
    rng = random.Random(seed)
    for i, (name, rows) in enumerate(EDGE_CASES):
        yield f"edge-{i:02d}-{name}", rows
    for i in range(count):
        yield f"rand-{i:05d}", _random_sequence(rng)


def edge_base(index: int) -> int:
    """Edge case `index` starts at its own base time, a minute and more apart from the others."""
    return BASE_MS + index * 300_000


def readings(count: int, seed: int = 20261128, shuffle: bool = True) -> list[dict[str, Any]]:
    """All readings of `sequences(count, seed)`, each sequence at its own base time.

    The edge cases come first, in order (so their equal timestamps tie in the listed order and the
    expected values in the tests hold); the random sequences follow, shuffled by `seed` when `shuffle`.
    """
    rng = random.Random(seed + 1)
    edges: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for index, (sensor, rows) in enumerate(sequences(count, seed)):
        edge = index < len(EDGE_CASES)
        base = edge_base(index) if edge else BASE_MS + rng.randint(0, 3_600_000)
        (edges if edge else rest).extend(
            {"sensor_id": sensor, "temperature": temp, "status": status, "event_time": base + offset}
            for offset, status, temp in rows
        )
    if shuffle:
        rng.shuffle(rest)
    return edges + rest


def write_jsonl(rows: list[dict[str, Any]], path: str) -> None:
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row, separators=(",", ":")) + "\n")


def seed_like_stream(events: int, sensors: int = 100, seed: int = 7) -> list[tuple[str, int, str, float]]:
    """The seed generator's distribution, in event-time order: for the benchmark's 1M-event input."""
    rng = random.Random(seed)
    out: list[tuple[str, int, str, float]] = []
    t = BASE_MS
    ids = [f"sensor-{i:02d}" for i in range(sensors)]
    while len(out) < events:
        t += 1000
        for sensor in ids:
            if rng.random() < 0.5:
                continue
            temperature = round(10 + rng.random() * 170)
            if temperature > 160:
                status = E
            elif temperature > 140 or rng.randrange(1, 100) > 80:
                status = rng.choice((W, E))
            else:
                status = K
            out.append((sensor, t + rng.randint(0, 999), status, float(temperature)))
            if len(out) == events:
                break
    return out
