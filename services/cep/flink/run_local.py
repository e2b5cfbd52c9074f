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

from render import interval, kinesis_statements, sql  # this directory is on sys.path

FIELDS = (
    "sensor_id", "event_time", "non_errors", "history",
    "min_temperature", "avg_temperature", "max_temperature", "elapsed",
)  # fmt: skip


def main() -> int:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--timings", type=Path)
    parser.add_argument("--lateness-ms", type=int, default=86_400_000)
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument(
        "--check-kinesis-ddl", action="store_true", help="also create the Kinesis tables (syntax and schema check)"
    )
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
    checked = False
    if args.check_kinesis_ddl:
        # CREATE TABLE resolves the schema (computed column, watermark) without the connector jar,
        # which is only needed when the job runs; a separate database keeps the names apart.
        env.execute_sql("CREATE DATABASE kinesis_check")
        env.use_database("kinesis_check")
        for statement in kinesis_statements(
            region="us-east-1", account="123456789012", input_stream="in", cep_stream="out", lateness_ms=5000
        )[:2]:
            env.execute_sql(statement)
        checked = sorted(env.list_tables()) == ["cep_data", "sensor_data"]
    timings = {
        "jvm_start_s": jvm_up - started,
        "warmup_s": warm_done - jvm_up,
        "job_s": finished - warm_done,
        "total_s": finished - started,
        "matches": count,
        "kinesis_ddl_checked": checked,
    }
    if args.timings:
        args.timings.write_text(json.dumps(timings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
