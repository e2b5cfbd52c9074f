"""CEP throughput on one 1M-event input (the seed generator's distribution, 100 sensors), same run:

- the engine alone (`PatternEngine.process` over in-order tuples, one core), goal >= 200,000 events/s;
- `tslake cep replay` as a subprocess, JSON lines in and out (parse + validate + sort + engine + write);
- PyFlink's MATCH_RECOGNIZE (`services/cep/flink/run_local.py`, the deployed SQL, event time) on the same
  file: the whole run, and the job alone with JVM start-up and mini-cluster warm-up taken out.
Both outputs are compared, so the speed figures are for identical results.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import Figure, Report
from tslake.cep.ordering import EventTimeBuffer
from tslake.cep.pattern import PatternEngine
from tslake.cep.synthetic import seed_like_stream

EVENTS = 1_000_000
ROOT = Path(__file__).resolve().parents[1]
FLINK_PYTHON = ROOT / ".venv-flink" / "bin" / "python"
FLINK_SCRIPT = ROOT / "services" / "cep" / "flink" / "run_local.py"


def _sorted_rows(path: Path) -> list[str]:
    return sorted(json.dumps(json.loads(line), sort_keys=True) for line in path.read_text().splitlines())


def run(report: Report) -> None:
    events = seed_like_stream(EVENTS)
    in_order = sorted(events, key=lambda e: e[1])

    engine = PatternEngine()
    started = time.process_time()
    matches = engine.process(in_order)
    engine_s = time.process_time() - started  # CPU time of this one thread: "on one core"
    engine_rate = EVENTS / engine_s
    print(f"engine: {len(matches)} matches in {engine_s:.2f} s CPU", flush=True)

    # The service's path: the event-time buffer (bounded lateness) in front of the engine, 500-event batches.
    buffer, engine = EventTimeBuffer(lateness_ms=5000), PatternEngine()
    started = time.process_time()
    buffered_matches = 0
    for offset in range(0, EVENTS, 500):
        for sensor, ts, status, temp in events[offset : offset + 500]:
            buffer.add(sensor, ts, status, temp)
        buffered_matches += len(engine.process(buffer.release()))
    buffered_s = time.process_time() - started
    print(f"buffer+engine: {buffered_matches} matches in {buffered_s:.2f} s CPU", flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-cep-") as tmp:
        source = Path(tmp) / "readings.jsonl"
        with source.open("w") as f:
            for sensor, ts, status, temp in events:
                f.write(json.dumps({"sensor_id": sensor, "temperature": temp, "status": status, "event_time": ts}))
                f.write("\n")

        replay_out = Path(tmp) / "replay.jsonl"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tslake.cli", "cep", "replay", "--input", str(source), "--output", str(replay_out)],
            check=True, capture_output=True,
        )  # fmt: skip
        replay_s = time.perf_counter() - started
        replay_rate = EVENTS / replay_s
        print(f"replay: {replay_s:.2f} s wall", flush=True)

        if not FLINK_PYTHON.exists():
            print("PyFlink venv missing: run `make .venv-flink/.installed`; PyFlink figures skipped", flush=True)
            report.add(Figure("cep engine (events/s, 1 core)", engine_rate, "events/s", "goal", 200_000.0,
                              goal=">= 200,000 events/s on one core"))  # fmt: skip
            return
        flink_out, timings_path = Path(tmp) / "flink.jsonl", Path(tmp) / "timings.json"
        started = time.perf_counter()
        subprocess.run(
            [str(FLINK_PYTHON), str(FLINK_SCRIPT), "--input", str(source), "--output", str(flink_out),
             "--timings", str(timings_path), "--lateness-ms", "2000"],
            check=True, capture_output=True,
        )  # fmt: skip
        flink_whole_s = time.perf_counter() - started
        timings = json.loads(timings_path.read_text())
        flink_job_s = float(timings["job_s"])
        same = _sorted_rows(replay_out) == _sorted_rows(flink_out)
        print(f"pyflink: whole {flink_whole_s:.2f} s, job {flink_job_s:.2f} s, timings {timings}; "
              f"identical results: {same}", flush=True)  # fmt: skip

    notes: dict[str, float | str] = {"matches": len(matches), "identical_to_flink": str(same)}
    report.add(Figure("cep engine (events/s, 1 core)", engine_rate, "events/s",
                      "PyFlink MATCH_RECOGNIZE job, JVM start-up excluded", EVENTS / flink_job_s,
                      goal=">= 200,000 events/s on one core", notes=notes))  # fmt: skip
    report.add(Figure("cep event-time buffer + engine (events/s, 1 core)", EVENTS / buffered_s, "events/s",
                      "PyFlink MATCH_RECOGNIZE job, JVM start-up excluded", EVENTS / flink_job_s,
                      notes=notes))  # fmt: skip
    report.add(Figure("tslake cep replay (events/s, file to file)", replay_rate, "events/s",
                      "PyFlink MATCH_RECOGNIZE, whole run", EVENTS / flink_whole_s, notes=notes))  # fmt: skip
    report.add(Figure("tslake cep replay vs PyFlink without JVM start", replay_rate, "events/s",
                      "PyFlink MATCH_RECOGNIZE job, JVM start-up excluded", EVENTS / flink_job_s,
                      notes=notes))  # fmt: skip
