"""Settings choose which stream feeds which table: one service, deployed twice, does both seed Lambdas' jobs."""

from __future__ import annotations

import pytest

from tslake import names
from tslake.settings.base import SettingsError, parse_settings
from tslake.settings.raw_ingest import RawIngestSettings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("TSLAKE_TABLE_LAYOUT", "TSLAKE_STREAM", "TSLAKE_APPLICATION_NAME", "TSLAKE_TIMESTREAM_TABLE"):
        monkeypatch.delenv(variable, raising=False)


def test_defaults_are_the_readings_deployment() -> None:
    s = parse_settings(RawIngestSettings)
    assert (s.stream, s.application_name, s.timestream_table, str(s.table_layout)) == (
        names.INPUT_STREAM,
        names.RAW_INGEST_APP,
        names.RAW_TABLE,
        "raw",
    )
    assert s.memory_retention_hours == names.RAW_TABLE_MEMORY_HOURS
    assert s.write_batch_size == 100 and s.write_concurrency > 1


@pytest.mark.parametrize("layout", ["cep_seed", "cep_multi"])
def test_a_cep_layout_defaults_to_the_cep_stream_table_and_application(
    layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TSLAKE_TABLE_LAYOUT", layout)
    s = parse_settings(RawIngestSettings)
    assert (s.stream, s.application_name, s.timestream_table) == (
        names.CEP_STREAM,
        names.CEP_INGEST_APP,
        names.CEP_TABLE,
    )
    assert s.memory_retention_hours == names.CEP_TABLE_MEMORY_HOURS


def test_explicit_variables_override_the_layout_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSLAKE_TABLE_LAYOUT", "cep_seed")
    monkeypatch.setenv("TSLAKE_STREAM", "other-stream")
    monkeypatch.setenv("TSLAKE_TIMESTREAM_TABLE", "other_table")
    s = parse_settings(RawIngestSettings)
    assert (s.stream, s.timestream_table, s.application_name) == ("other-stream", "other_table", names.CEP_INGEST_APP)


def test_more_than_100_records_per_call_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TSLAKE_WRITE_BATCH_SIZE", "101")
    with pytest.raises(SettingsError) as info:
        parse_settings(RawIngestSettings)
    assert info.value.variable == "TSLAKE_WRITE_BATCH_SIZE"
