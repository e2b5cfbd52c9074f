"""The seed's MEASURES, with Flink's arithmetic (each rule was checked against PyFlink's output)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from tslake.cep.pattern import RawMatch
from tslake.schema import CepEvent

_CENT = Decimal("0.01")


def flink_round2(value: float) -> float:
    """ROUND(DOUBLE, 2) as Flink does it: HALF_UP on BigDecimal.valueOf(d), i.e. on the shortest
    decimal repr of the double (Python's repr), not on its binary value (Python's round())."""
    return float(Decimal(repr(value)).quantize(_CENT, rounding=ROUND_HALF_UP))


def to_cep_event(match: RawMatch) -> CepEvent:
    temps = match.temperatures
    total = 0.0
    for t in temps:  # AVG(DOUBLE) is a running sum in row order divided by COUNT
        total += t
    return CepEvent(
        sensor_id=match.sensor_id,
        event_time=match.a_time,
        non_errors=len(temps) - 2,  # COUNT(*) - 2
        # CONCAT_WS('-', FIRST(B.status, 0), ..., FIRST(B.status, 4)); CONCAT_WS skips the NULLs.
        history="-".join(match.b_statuses),
        min_temperature=min(temps),
        avg_temperature=flink_round2(total / len(temps)),
        max_temperature=max(temps),
        # (C.event_time - A.event_time) / 1000 is BIGINT / INT: integer division in Flink, so the
        # ROUND is a no-op on an integer and elapsed is truncated (1999 ms -> 1), never rounded.
        elapsed=(match.c_time - match.a_time) // 1000,
    )
