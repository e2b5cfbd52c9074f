"""Good readings mixed with every kind of bad input the issue lists, each labelled with its expected reason."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from tslake.schema import SensorReading


@dataclass(frozen=True)
class Input:
    partition_key: str
    data: bytes
    reason: str | None  # None: a good record


def _bad(now_ms: int, i: int) -> list[Input]:
    """One of each kind; `i` makes every payload unique so each can be found again."""
    sid = f"sensor-{i:02d}"
    ok = {"sensor_id": sid, "temperature": 100 + i, "status": "OK", "event_time": now_ms - 1000 - i}

    def js(obj: object) -> bytes:
        return json.dumps(obj).encode()

    return [
        Input(sid, f'{{"sensor_id": "{sid}", "temperature": 1{i}'.encode(), "malformed_json"),  # truncated
        Input(sid, b"\xff\xfe\x00\x01 not json " + str(i).encode(), "malformed_json"),  # binary
        Input(sid, js([sid, 1, 2, i]), "malformed_json"),  # JSON, but not an object
        Input(sid, js({k: v for k, v in ok.items() if k != "event_time"}), "schema_violation"),  # missing field
        Input(sid, js({k: v for k, v in ok.items() if k != "sensor_id"}), "schema_violation"),
        Input(sid, js(ok | {"temperature": f"{i}5.5"}), "schema_violation"),  # a string where a number belongs
        Input(sid, js(ok | {"event_time": str(now_ms - i)}), "schema_violation"),
        Input(sid, js(ok | {"event_time": now_ms / 1000 + i / 7}), "schema_violation"),  # wrong type: float secs
        Input(sid, js(ok | {"temperature": True, "i": i}), "schema_violation"),  # wrong type: bool
        Input(sid, js(ok | {"status": "BROKEN"}), "schema_violation"),
        Input(sid, js(ok | {"pad": "x" * (3000 + i)}), "oversized"),  # huge payload
        Input(sid, js(ok | {"event_time": now_ms - 2 * 24 * 3600 * 1000 - i}), "timestamp_out_of_range"),  # too old
        Input(sid, js(ok | {"event_time": now_ms + 3600 * 1000 + i}), "timestamp_out_of_range"),  # the future
    ]


def mixed_input(good: int, now_ms: int, seed: int = 7) -> list[Input]:
    """`good` seed-like readings from the last minutes plus ~5 % garbage of every kind, shuffled."""
    rng = random.Random(seed)
    inputs = [
        Input(
            f"sensor-{i % 20:02d}",
            SensorReading(
                f"sensor-{i % 20:02d}",
                float(round(10 + rng.random() * 170)),
                rng.choice(("OK", "WARNING", "ERROR")),
                now_ms - 600_000 + i * 37,
            ).to_json(),
            None,
        )
        for i in range(good)
    ]
    bad: list[Input] = []
    i = 0
    while len(bad) < max(1, round(good * 0.05 / 0.95)):
        bad.extend(_bad(now_ms, i))
        i += 1
    mixed = inputs + bad
    rng.shuffle(mixed)
    return mixed
