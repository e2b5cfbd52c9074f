"""The store records we build are the seed Lambda's, record for record, once CommonAttributes are applied."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tslake.ingest.layouts import CEP_MULTI_MEASURE_NAME, layout
from tslake.ingest.seed import seed_records
from tslake.ingest.version import record_version
from tslake.schema import CepEvent, InvalidRecordError, SensorReading
from tslake.sinks.timestream import build_request

READING = SensorReading(sensor_id="sensor-07", temperature=123, status="WARNING", event_time=1764000000123)
EVENT = CepEvent(
    sensor_id="sensor-03",
    event_time=1764000000500,
    non_errors=2,
    history="OK-WARNING",
    min_temperature=95.0,
    avg_temperature=132.33,
    max_temperature=171.0,
    elapsed=3,
)


def expand(request: dict[str, Any]) -> list[dict[str, Any]]:
    """What Timestream stores: each record with the CommonAttributes merged in (dimensions concatenated)."""
    common = request["CommonAttributes"]
    out = []
    for record in request["Records"]:
        merged = {k: v for k, v in common.items() if k != "Dimensions"} | record
        merged["Dimensions"] = common.get("Dimensions", []) + record.get("Dimensions", [])
        out.append(merged)
    return out


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    """Equal records compare equal: values as doubles, dimensions as a set, the default ms unit explicit."""
    return {
        "dimensions": sorted((d["Name"], d["Value"]) for d in record["Dimensions"]),
        "measure": record["MeasureName"],
        "value": float(record["MeasureValue"]),
        "type": record["MeasureValueType"],
        "time": int(record["Time"]),
        "unit": record.get("TimeUnit", "MILLISECONDS"),
    }


def test_raw_layout_is_the_seed_lambdas_record() -> None:
    points = layout("raw").points(layout("raw").parse(READING.to_json()), 7, 0)
    ours = expand(build_request(points))
    seed = seed_records(READING.to_json())
    assert len(ours) == len(seed) == 1
    assert [comparable(r) for r in ours] == [comparable(r) for r in seed]
    assert ours[0]["Dimensions"] == [
        {"Name": "sensor_id", "Value": "sensor-07"},
        {"Name": "status", "Value": "WARNING"},
    ]
    assert ours[0]["Version"] == 7


def test_cep_seed_layout_is_four_records_sharing_dimensions_and_time_via_common_attributes() -> None:
    request = build_request(layout("cep_seed").points(EVENT, 9, 0))
    common = request["CommonAttributes"]
    # Everything the four records share travels once.
    assert common["Dimensions"] == [
        {"Name": "sensor_id", "Value": "sensor-03"},
        {"Name": "non_errors", "Value": "2"},
        {"Name": "history", "Value": "OK-WARNING"},
    ]
    assert common["Time"] == "1764000000500"
    assert common["MeasureValueType"] == "DOUBLE"
    assert common["Version"] == 9
    assert all(set(r) == {"MeasureName", "MeasureValue"} for r in request["Records"])
    ours = sorted((comparable(r) for r in expand(request)), key=lambda r: r["measure"])
    seed = sorted((comparable(r) for r in seed_records(EVENT.to_json())), key=lambda r: r["measure"])
    assert ours == seed
    assert [r["measure"] for r in seed] == ["avg_temperature", "elapsed", "max_temperature", "min_temperature"]


def test_a_batch_of_events_hoists_only_what_all_records_share() -> None:
    other = replace(EVENT, history="OK", non_errors=1, event_time=EVENT.event_time + 10)
    points = layout("cep_seed").points(EVENT, 9, 0) + layout("cep_seed").points(other, 10, 1)
    request = build_request(points)
    common = request["CommonAttributes"]
    assert common["Dimensions"] == [{"Name": "sensor_id", "Value": "sensor-03"}]
    assert "Time" not in common and "Version" not in common
    expanded = expand(request)
    assert len(expanded) == 8
    assert sorted(comparable(r)["time"] for r in expanded) == [EVENT.event_time] * 4 + [EVENT.event_time + 10] * 4
    assert all(len(r["Dimensions"]) == 3 for r in expanded)


def test_cep_multi_layout_is_one_multi_record() -> None:
    request = build_request(layout("cep_multi").points(EVENT, 9, 0))
    [record] = expand(request)
    assert record["MeasureName"] == CEP_MULTI_MEASURE_NAME
    assert record["MeasureValueType"] == "MULTI"
    assert {(m["Name"], m["Type"]) for m in record["MeasureValues"]} == {
        ("min_temperature", "DOUBLE"),
        ("avg_temperature", "DOUBLE"),
        ("max_temperature", "DOUBLE"),
        ("elapsed", "BIGINT"),
    }
    assert {m["Name"]: float(m["Value"]) for m in record["MeasureValues"]}["avg_temperature"] == 132.33


@pytest.mark.parametrize("name", ["raw", "cep_seed", "cep_multi"])
def test_each_layout_refuses_the_other_streams_records(name: str) -> None:
    wrong = EVENT.to_json() if name == "raw" else READING.to_json()
    with pytest.raises(InvalidRecordError) as info:
        layout(name).parse(wrong)
    assert info.value.reason == "schema_violation"


class _Arrival:
    def __init__(self, ms: int | None) -> None:
        self.approximate_arrival_ms = ms


def test_version_is_the_arrival_time_so_a_replay_repeats_it_and_a_later_correction_exceeds_it() -> None:
    assert record_version(_Arrival(1764000000999)) == 1764000000999
    assert record_version(_Arrival(1764000001000)) > record_version(_Arrival(1764000000999))
    assert record_version(_Arrival(None)) == 1
