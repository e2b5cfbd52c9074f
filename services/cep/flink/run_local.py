"""Run the deployed MATCH_RECOGNIZE on PyFlink's local mini-cluster over a JSON-lines file, in event time.

Runs in `.venv-flink` (made by `mk/flink.mk`), not in the main venv, so it imports nothing from tslake.
Writes one JSON object per match in the `cep_data` layout, and optionally a timings file:
`jvm_start_s` (gateway + table environment), `warmup_s` (a one-row job that starts the mini-cluster),
`job_s` (the MATCH_RECOGNIZE job alone), `total_s` (the whole process up to the output written).

    .venv-flink/bin/python services/cep/flink/run_local.py --input in.jsonl --output out.jsonl
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from string import Template

HERE = Path(__file__).resolve().parent
FIELDS = (
    "sensor_id", "event_time", "non_errors", "history",
    "min_temperature", "avg_temperature", "max_temperature", "elapsed",
)  # fmt: skip


def interval(milliseconds: int) -> str:
    """A DAY TO SECOND(3) literal body: Flink caps SECOND's leading precision at 2 digits."""
    seconds, ms = divmod(milliseconds, 1000)
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    days, h = divmod(hours, 24)
    return f"{days} {h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def sql(name: str, **params: object) -> str:
    return Template((HERE / name).read_text()).substitute({k: str(v) for k, v in params.items()})


def main() -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--timings", type=Path)
    parser.add_argument("--lateness-ms", type=int, default=86_400_000)
    parser.add_argument("--no-warmup", action="store_true")
    args = parser.parse_args()

    from pyflink.table import EnvironmentSettings, TableEnvironment

    env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = env.get_config()
    config.set("parallelism.default", "1")  # one reader: rows with equal rowtime keep file order
    config.set("table.exec.resource.default-parallelism", "1")
    jvm_up = time.perf_counter()

    warm_done = jvm_up
    if not args.no_warmup:
        with env.execute_sql("SELECT 1").collect() as rows:
            list(rows)
        warm_done = time.perf_counter()

    env.execute_sql(sql("local_source.sql", path=args.input.resolve(), lateness=interval(args.lateness_ms)))
    with tempfile.TemporaryDirectory(prefix="flink-cep-") as tmp:
        # A filesystem sink, not collect(): rows are not shipped through py4j one by one, so the
        # timing is Flink's. The part files are complete when the bounded job finishes.
        env.execute_sql(sql("local_sink.sql", path=tmp))
        env.execute_sql("INSERT INTO cep_data " + sql("match_recognize.sql")).wait()
        count = 0
        with args.output.open("w") as out:
            for part in sorted(p for p in Path(tmp).rglob("*") if p.is_file() and not p.name.startswith(".")):
                for line in part.read_text().splitlines():
                    row = json.loads(line)
                    values = {name: row[name] for name in FIELDS}
                    for name in ("min_temperature", "avg_temperature", "max_temperature"):
                        values[name] = float(values[name])
                    out.write(json.dumps(values, separators=(",", ":")) + "\n")
                    count += 1
    finished = time.perf_counter()
    timings = {
        "jvm_start_s": jvm_up - started,
        "warmup_s": warm_done - jvm_up,
        "job_s": finished - warm_done,
        "total_s": finished - started,
        "matches": count,
    }
    if args.timings:
        args.timings.write_text(json.dumps(timings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
