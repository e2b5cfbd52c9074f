"""The pattern engine on the issue's edge cases, with the values Flink's MATCH_RECOGNIZE gave for them
(see services/cep/README.md; test_differential.py checks the same cases against PyFlink itself)."""

from __future__ import annotations

import pytest

from tslake.cep.measures import flink_round2, to_cep_event
from tslake.cep.pattern import PatternEngine
from tslake.cep.synthetic import BASE_MS, EDGE_CASES
from tslake.schema import CepEvent


def run_case(rows: list[tuple[int, str, float]], sensor: str = "s") -> list[CepEvent]:
    events = [(sensor, BASE_MS + t, status, temp) for t, status, temp in rows]
    return [to_cep_event(m) for m in PatternEngine().process(events)]


CASES = dict(EDGE_CASES)

# name -> [(A's offset, non_errors, history, elapsed)]
EXPECTED = {
    "one_b": [(0, 1, "OK", 2)],
    "five_b": [(0, 5, "OK-OK-OK-OK-OK", 6)],
    "six_b": [],
    "six_b_then_match": [(7000, 1, "OK", 2)],
    "c_at_59_9": [(0, 1, "OK", 59)],
    "c_at_59_999": [(0, 1, "OK", 59)],
    "c_at_60_0": [],  # WITHIN is exclusive
    "c_at_60_1": [(60_100, 1, "OK", 1)],  # the late C starts the next candidate
    "b_after_window": [],
    "error_error": [],
    "error_error_b_error": [(1000, 1, "OK", 2)],
    "overlap": [(0, 1, "OK", 2), (4000, 1, "OK", 2)],  # SKIP PAST LAST ROW: C is not the next A
    "equal_timestamps": [(1000, 1, "OK", 0)],
    "equal_timestamps_mixed": [(0, 1, "WARNING", 0)],  # the ERROR@900 only starts a candidate
    "elapsed_truncates": [(0, 1, "OK", 1)],  # 1999 ms / 1000 is integer division: 1
    "elapsed_half": [(0, 1, "OK", 2)],
    "round_half_up": [(0, 1, "OK", 0)],
    "round_2_675": [(0, 1, "WARNING", 0)],
    "round_negative": [(0, 1, "OK", 0)],
    "round_eighths": [(0, 2, "OK-OK", 0)],
    "history_nulls": [(1000, 2, "OK-WARNING", 3)],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_edge_case(name: str) -> None:
    got = [(e.event_time - BASE_MS, e.non_errors, e.history, e.elapsed) for e in run_case(CASES[name])]
    assert got == EXPECTED[name]


def test_every_edge_case_has_an_expectation() -> None:
    assert set(EXPECTED) == set(CASES)


def test_measures_follow_flink_arithmetic() -> None:
    (event,) = run_case(CASES["history_nulls"], sensor="sensor-07")
    assert event == CepEvent("sensor-07", BASE_MS + 1000, 2, "OK-WARNING", 10.0, 25.0, 40.0, 3)
    # ROUND(DOUBLE, 2) is HALF_UP on the double's shortest decimal form, unlike Python's round().
    assert [e.avg_temperature for e in run_case(CASES["round_half_up"])] == [1.01]
    assert round(1.005, 2) == 1.0
    assert [e.avg_temperature for e in run_case(CASES["round_negative"])] == [-0.13]
    assert [e.avg_temperature for e in run_case(CASES["round_2_675"])] == [2.67]  # avg is 2.6749999999999998
    assert flink_round2(0.125) == 0.13 and flink_round2(2.675) == 2.68


def test_sensors_are_independent_and_state_is_bounded() -> None:
    engine = PatternEngine()
    interleaved = [
        ("a", 0, "ERROR", 1.0), ("b", 0, "ERROR", 1.0), ("a", 1, "OK", 1.0), ("b", 1, "ERROR", 1.0),
        ("a", 2, "ERROR", 1.0), ("b", 2, "OK", 1.0),
    ]  # fmt: skip
    matches = engine.process(interleaved)
    assert [(m.sensor_id, m.a_time) for m in matches] == [("a", 0)]
    assert engine.open_partials == 1  # b: A at 1 with one B
    assert engine.expire(watermark=60_001) == 1
    assert engine.open_partials == 0
