"""The record schemas: a sensor reading and a CEP event, and the validation of incoming JSON.

This is the only definition of either shape; producers, consumers and tests import it.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

STATUSES = ("OK", "WARNING", "ERROR")
MAX_SENSOR_ID_LENGTH = 64
MAX_PAYLOAD_BYTES = 2048


class InvalidRecordReason(StrEnum):
    """Why a record was set aside; used as the dead-letter folder and the metric label."""

    MALFORMED_JSON = "malformed_json"
    SCHEMA_VIOLATION = "schema_violation"
    OVERSIZED = "oversized"
    REJECTED_BY_STORE = "rejected_by_store"
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
    LATE_EVENT = "late_event"


class InvalidRecordError(ValueError):
    """A record that can never be written; carries the reason used for dead-lettering."""

    def __init__(self, reason: InvalidRecordReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SensorReading:
    sensor_id: str
    temperature: float
    status: str
    event_time: int  # epoch milliseconds

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class CepEvent:
    """One detected ERROR, 1-5 non-ERROR, ERROR pattern, in the seed's `cep_data` layout."""

    sensor_id: str
    event_time: int  # epoch ms of the first ERROR
    non_errors: int
    history: str
    min_temperature: float
    avg_temperature: float
    max_temperature: float
    elapsed: int  # whole seconds, first ERROR to last

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()


def _decode(payload: bytes) -> dict[str, Any]:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise InvalidRecordError(InvalidRecordReason.OVERSIZED, f"{len(payload)} bytes > {MAX_PAYLOAD_BYTES}")
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidRecordError(InvalidRecordReason.MALFORMED_JSON, str(exc)) from None
    if not isinstance(obj, dict):
        raise InvalidRecordError(InvalidRecordReason.MALFORMED_JSON, f"expected an object, got {type(obj).__name__}")
    return obj


def _field(obj: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    if name not in obj:
        raise InvalidRecordError(InvalidRecordReason.SCHEMA_VIOLATION, f"missing field {name!r}")
    value = obj[name]
    # bool is an int subclass; a JSON true is never a valid number here.
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InvalidRecordError(
            InvalidRecordReason.SCHEMA_VIOLATION, f"field {name!r} has type {type(value).__name__}"
        )
    return value


def _sensor_id(obj: dict[str, Any]) -> str:
    sensor_id: str = _field(obj, "sensor_id", str)
    if not sensor_id or len(sensor_id) > MAX_SENSOR_ID_LENGTH:
        raise InvalidRecordError(InvalidRecordReason.SCHEMA_VIOLATION, "sensor_id is empty or too long")
    return sensor_id


def _finite(obj: dict[str, Any], name: str) -> float:
    value = float(_field(obj, name, (int, float)))
    if not math.isfinite(value):
        raise InvalidRecordError(InvalidRecordReason.SCHEMA_VIOLATION, f"field {name!r} is not finite")
    return value


def _epoch_ms(obj: dict[str, Any]) -> int:
    event_time = _field(obj, "event_time", int)
    if event_time <= 0 or event_time >= 10**14:
        raise InvalidRecordError(InvalidRecordReason.SCHEMA_VIOLATION, "event_time is not epoch milliseconds")
    return int(event_time)


def parse_reading(payload: bytes) -> SensorReading:
    """Decode and validate one input-stream record, or raise InvalidRecordError."""
    obj = _decode(payload)
    status = _field(obj, "status", str)
    if status not in STATUSES:
        raise InvalidRecordError(InvalidRecordReason.SCHEMA_VIOLATION, f"status {status!r} not in {STATUSES}")
    return SensorReading(
        sensor_id=_sensor_id(obj), temperature=_finite(obj, "temperature"), status=status, event_time=_epoch_ms(obj)
    )


def parse_cep_event(payload: bytes) -> CepEvent:
    """Decode and validate one CEP-stream record, or raise InvalidRecordError."""
    obj = _decode(payload)
    return CepEvent(
        sensor_id=_sensor_id(obj),
        event_time=_epoch_ms(obj),
        non_errors=int(_field(obj, "non_errors", int)),
        history=str(_field(obj, "history", str)),
        min_temperature=_finite(obj, "min_temperature"),
        avg_temperature=_finite(obj, "avg_temperature"),
        max_temperature=_finite(obj, "max_temperature"),
        elapsed=int(_field(obj, "elapsed", int)),
    )
