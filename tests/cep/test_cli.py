"""`tslake cep replay` and `tslake cep` start-up, as real subprocesses."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from tslake.cep.synthetic import readings, write_jsonl


def tslake(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tslake.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_replay_reports_bad_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    good = [
        {"sensor_id": "s", "temperature": 10, "status": "ERROR", "event_time": 1_764_000_001_000},
        {"sensor_id": "s", "temperature": 20, "status": "OK", "event_time": 1_764_000_002_000},
        {"sensor_id": "s", "temperature": 30, "status": "ERROR", "event_time": 1_764_000_003_000},
    ]
    lines = [json.dumps(good[2]), "not json", json.dumps(good[0]), "", '{"sensor_id": "s"}', json.dumps(good[1])]
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(lines) + "\n")
    result = tslake("cep", "replay", "--input", str(source), "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"sensor_id": "s", "event_time": 1_764_000_001_000, "non_errors": 1, "history": "OK",
         "min_temperature": 10.0, "avg_temperature": 20.0, "max_temperature": 30.0, "elapsed": 2},
    ]  # fmt: skip
    report = json.loads(result.stderr.splitlines()[0])
    assert [(r["line"], r["reason"]) for r in report["rejected"]] == [(2, "malformed_json"), (5, "schema_violation")]


def test_replay_is_independent_of_input_order_without_ties(tmp_path: Path) -> None:
    rows = [r for r in readings(100, shuffle=False)]
    seen: set[tuple[str, int]] = set()
    unique = []  # drop equal timestamps within a sensor: their order decides ties, by design
    for r in rows:
        if (r["sensor_id"], r["event_time"]) not in seen:
            seen.add((r["sensor_id"], r["event_time"]))
            unique.append(r)
    outputs = []
    for name, order in (("sorted", unique), ("shuffled", random.Random(5).sample(unique, len(unique)))):
        write_jsonl(order, str(tmp_path / f"{name}.jsonl"))
        result = tslake("cep", "replay", "--input", str(tmp_path / f"{name}.jsonl"), "--output", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        outputs.append(sorted((tmp_path / name).read_text().splitlines()))
    assert outputs[0] == outputs[1] and len(outputs[0]) > 100


def test_replay_missing_input_fails_clearly(tmp_path: Path) -> None:
    result = tslake("cep", "replay", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "o"))
    assert result.returncode == 1 and "nope.jsonl" in result.stderr


def test_bad_setting_stops_start_up_naming_it() -> None:
    env = {**os.environ, "TSLAKE_ALLOWED_LATENESS_MS": "-5", "TSLAKE_CONSUMER_DRIVER": "python"}
    result = tslake("cep", env=env)
    assert result.returncode == 2
    assert "TSLAKE_ALLOWED_LATENESS_MS" in result.stderr
