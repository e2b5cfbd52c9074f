"""How a validated record becomes store records (`Point`s).

- `raw`: the seed Lambda's layout for readings: one single-measure DOUBLE record `temperature`,
  dimensions `sensor_id` and `status`, time = `event_time` in ms. The seed's queries run unchanged.
- `cep_seed`: the seed Lambda's layout for CEP events: four single-measure DOUBLE records
  (`min_temperature`, `avg_temperature`, `max_temperature`, `elapsed`) sharing the dimensions
  `sensor_id`, `non_errors`, `history` and the time (so the sink hoists them into CommonAttributes).
- `cep_multi`: one MULTI record `cep_event` holding the four measures (elapsed as BIGINT).
  Trade-off: a quarter of the records (cheaper writes, one row per event, no pivot with
  `MAX(CASE WHEN measure_name = ...)`), but the seed's CEP queries and Grafana panels, which read
  `measure_value::double` and filter on `measure_name`, no longer run unchanged: they must name the
  measure columns (`avg_temperature`, ...) instead. Hence not the default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from tslake.schema import CepEvent, SensorReading, parse_cep_event, parse_reading
from tslake.sinks.base import Measure, MeasureType, Point

DOUBLE = MeasureType.DOUBLE
BIGINT = MeasureType.BIGINT
CEP_MULTI_MEASURE_NAME = "cep_event"


class LayoutName(StrEnum):
    RAW = "raw"
    CEP_SEED = "cep_seed"
    CEP_MULTI = "cep_multi"


Record = SensorReading | CepEvent


@dataclass(frozen=True, slots=True)
class Layout:
    name: LayoutName
    parse: Callable[[bytes], Record]  # raises tslake.schema.InvalidRecordError
    points: Callable[[Record, int, int], list[Point]]  # (record, version, ref)


def _num(value: float) -> str:
    # The seed sent str(value); repr gives the shortest string that reads back as the same double.
    return repr(value)


def raw_points(r: Record, version: int, ref: int) -> list[Point]:
    assert isinstance(r, SensorReading)
    return [
        Point(
            (("sensor_id", r.sensor_id), ("status", r.status)),
            "temperature",
            (Measure("temperature", _num(r.temperature), DOUBLE),),
            r.event_time,
            version,
            ref,
        )
    ]


def _cep_dimensions(e: CepEvent) -> tuple[tuple[str, str], ...]:
    return (("sensor_id", e.sensor_id), ("non_errors", str(e.non_errors)), ("history", e.history))


def cep_seed_points(e: Record, version: int, ref: int) -> list[Point]:
    assert isinstance(e, CepEvent)
    dims = _cep_dimensions(e)
    t = e.event_time
    return [
        Point(dims, "min_temperature", (Measure("min_temperature", _num(e.min_temperature), DOUBLE),), t, version, ref),
        Point(dims, "avg_temperature", (Measure("avg_temperature", _num(e.avg_temperature), DOUBLE),), t, version, ref),
        Point(dims, "max_temperature", (Measure("max_temperature", _num(e.max_temperature), DOUBLE),), t, version, ref),
        Point(dims, "elapsed", (Measure("elapsed", str(e.elapsed), DOUBLE),), t, version, ref),
    ]


def cep_multi_points(e: Record, version: int, ref: int) -> list[Point]:
    assert isinstance(e, CepEvent)
    measures = (
        Measure("min_temperature", _num(e.min_temperature), DOUBLE),
        Measure("avg_temperature", _num(e.avg_temperature), DOUBLE),
        Measure("max_temperature", _num(e.max_temperature), DOUBLE),
        Measure("elapsed", str(e.elapsed), BIGINT),
    )
    return [Point(_cep_dimensions(e), CEP_MULTI_MEASURE_NAME, measures, e.event_time, version, ref, True)]


LAYOUTS: dict[LayoutName, Layout] = {
    LayoutName.RAW: Layout(LayoutName.RAW, parse_reading, raw_points),
    LayoutName.CEP_SEED: Layout(LayoutName.CEP_SEED, parse_cep_event, cep_seed_points),
    LayoutName.CEP_MULTI: Layout(LayoutName.CEP_MULTI, parse_cep_event, cep_multi_points),
}


def layout(name: str) -> Layout:
    return LAYOUTS[LayoutName(name)]
