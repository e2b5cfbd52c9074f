"""The shipped Flink SQL: templates render completely, the notebook is the rendered job, the statement is
the seed's. (PyFlink itself runs it in test_differential.py, and creates the Kinesis tables there too.)"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

from tslake import names

FLINK_DIR = Path(__file__).resolve().parents[2] / "services" / "cep" / "flink"


def render_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cep_flink_render", FLINK_DIR / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def code(statement: str) -> str:
    return "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--"))


def test_defaults_are_the_project_names() -> None:
    defaults = render_module().DEFAULTS
    assert (defaults["input_stream"], defaults["cep_stream"]) == (names.INPUT_STREAM, names.CEP_STREAM)


def test_kinesis_job_renders_with_parameters() -> None:
    source, sink, insert = render_module().kinesis_statements(
        region="eu-west-1", account="111122223333", input_stream="in-s", cep_stream="out-s", lateness_ms=90_500
    )
    for statement in (source, sink, insert):
        assert "${" not in code(statement)
    assert "'stream.arn' = 'arn:aws:kinesis:eu-west-1:111122223333:stream/in-s'" in source
    assert "'stream.arn' = 'arn:aws:kinesis:eu-west-1:111122223333:stream/out-s'" in sink
    assert "'aws.region' = 'eu-west-1'" in source and "'aws.region' = 'eu-west-1'" in sink
    assert "INTERVAL '0 00:01:30.500' DAY TO SECOND(3)" in source
    assert re.search(r"PARTITIONED BY \(sensor_id\)", sink)
    flat = " ".join(code(insert).split())
    for clause in (
        "INSERT INTO cep_data",
        "PARTITION BY sensor_id",
        "PATTERN (A B{1,5} C) WITHIN INTERVAL '1' MINUTE",
        "AFTER MATCH SKIP PAST LAST ROW",
        "COUNT(*) - 2 AS non_errors",
        "ROUND(AVG(temperature), 2) AS avg_temperature",
        "CAST(ROUND((C.event_time - A.event_time) / 1000) AS BIGINT) AS elapsed",
        "A AS A.status = 'ERROR'",
        "B AS B.status <> 'ERROR'",
        "C AS C.status = 'ERROR'",
    ):
        assert clause in flat, clause


def test_studio_notebook_is_the_rendered_job() -> None:
    render = render_module()
    committed = json.loads((FLINK_DIR / "cep.zpln").read_text())
    assert committed == render.notebook(**render.DEFAULTS), "regenerate: python services/cep/flink/render.py notebook"
    texts = [p["text"] for p in committed["paragraphs"]]
    assert all(t.startswith("%flink.ssql") for t in texts) and "MATCH_RECOGNIZE" in texts[2]
