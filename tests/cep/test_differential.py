"""`tslake cep replay` against Flink's MATCH_RECOGNIZE (PyFlink, event time), on one shuffled input file.

About 620 sequences (the issue's edge cases first, then random ones dense in ERRORs and equal
timestamps), each its own sensor, in ONE PyFlink job (`services/cep/flink/run_local.py`, which runs
the very `match_recognize.sql` we deploy) and one `tslake cep replay`, each a real subprocess. The
two outputs must be identical row for row, and Flink's rows for the edge cases must be the values
test_engine.py expects. The random part of the file is shuffled: Flink buffers until the final
watermark and sorts by rowtime keeping file order for ties; replay's stable sort does the same.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cep.test_engine import EXPECTED
from tslake.cep.synthetic import EDGE_CASES, edge_base, readings, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
FLINK_PYTHON = ROOT / ".venv-flink" / "bin" / "python"
FLINK_STAMP = ROOT / ".venv-flink" / ".installed"
FLINK_SCRIPT = ROOT / "services" / "cep" / "flink" / "run_local.py"
RANDOM_SEQUENCES = 600


def load(path: Path) -> list[str]:
    return sorted(json.dumps(json.loads(line), sort_keys=True) for line in path.read_text().splitlines())


@pytest.mark.flink
def test_replay_matches_flink_match_recognize(tmp_path: Path) -> None:
    if not (FLINK_PYTHON.exists() and FLINK_STAMP.exists()):
        pytest.fail("PyFlink venv missing: run `make .venv-flink/.installed` (make test builds it)")
    source = tmp_path / "readings.jsonl"
    write_jsonl(readings(RANDOM_SEQUENCES), str(source))

    flink_out, replay_out = tmp_path / "flink.jsonl", tmp_path / "replay.jsonl"
    timings = tmp_path / "timings.json"
    flink = subprocess.run(
        [str(FLINK_PYTHON), str(FLINK_SCRIPT), "--input", str(source), "--output", str(flink_out), "--no-warmup",
         "--timings", str(timings), "--check-kinesis-ddl"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert flink.returncode == 0, flink.stderr[-4000:]
    # The same JVM also created the shipped Kinesis source and sink tables (schema and watermark resolved).
    assert json.loads(timings.read_text())["kinesis_ddl_checked"] is True
    replay = subprocess.run(
        [sys.executable, "-m", "tslake.cli", "cep", "replay", "--input", str(source), "--output", str(replay_out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr

    ours, theirs = load(replay_out), load(flink_out)
    assert len(theirs) > 1000, "the generator should produce plenty of matches"
    missing, extra = sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))
    assert not missing and not extra, f"only Flink: {missing[:5]}\nonly replay: {extra[:5]}"
    assert ours == theirs  # same multiset, duplicates included

    # Flink's own values for the named edge cases are the ones test_engine.py expects.
    flink_edges: dict[str, list[tuple[int, int, str, int]]] = {name: [] for name, _rows in EDGE_CASES}
    for row in map(json.loads, theirs):
        if row["sensor_id"].startswith("edge-"):
            index, name = int(row["sensor_id"].split("-")[1]), row["sensor_id"].split("-", 2)[2]
            offset = row["event_time"] - edge_base(index)
            flink_edges[name].append((offset, row["non_errors"], row["history"], row["elapsed"]))
    assert flink_edges == EXPECTED
    assert len(EDGE_CASES) + RANDOM_SEQUENCES >= 500
