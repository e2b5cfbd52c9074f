"""Exporter: 1 hour x 100 sensors at 1 Hz (360,000 grid points) from the store to the lake, end to end.

Ours: `tslake.export.export_window` (the export query, pages decoded with json.loads and parsed
column-wise, sorted, one Parquet file per hour partition with awswrangler), split into query time and
write time. Baseline: the seed's approach in one call, `wr.s3.to_csv(df=wr.timestream.query(query),
path=...)`, with the same query text on the same data, in the same run, against the same endpoint.
(The seed's original query shape, a per-sensor cross product of the two series, is quadratic in the
window: over this hour it ran the local engine out of memory, so it is not run here; see
tslake/export/queries.py.) Setup (WriteRecords of the 360,000 readings) is not timed.
Goal: under 10 s end to end. Size: TSLAKE_BENCH_EXPORTER_SENSORS (default 100).
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.report import Figure, Report
from tslake import aws, names
from tslake.export import ExportConfig, Window, export_window
from tslake.export.queries import interpolation_query
from tslake.local.process import environ, start_endpoint

SENSORS = int(os.environ.get("TSLAKE_BENCH_EXPORTER_SENSORS", "100"))
SECONDS = 3600
TABLE = "bench_export"
BUCKET = "tslake-bench-export"


def _records(base_ms: int) -> list[dict[str, object]]:
    rng = random.Random(5)
    out: list[dict[str, object]] = []
    for s in range(SENSORS):
        offset = rng.randint(0, 999)
        for k in range(SECONDS):
            temperature = round(10 + rng.random() * 170)
            status = "ERROR" if temperature > 160 else rng.choice(("OK", "OK", "OK", "WARNING"))
            out.append(
                {
                    "Dimensions": [
                        {"Name": "sensor_id", "Value": f"sensor-{s:02d}"},
                        {"Name": "status", "Value": status},
                    ],
                    "MeasureName": "temperature",
                    "MeasureValue": str(float(temperature)),
                    "MeasureValueType": "DOUBLE",
                    "Time": str(base_ms + offset + k * 1000),
                }
            )
    return out


def _load(base: datetime) -> int:
    write = aws.client("timestream-write", max_pool_connections=8)
    write.create_table(
        DatabaseName=names.TIMESTREAM_DATABASE,
        TableName=TABLE,
        RetentionProperties={"MemoryStoreRetentionPeriodInHours": 24, "MagneticStoreRetentionPeriodInDays": 7},
    )
    records = _records(int(base.timestamp() * 1000))
    chunks = [records[i : i + 100] for i in range(0, len(records), 100)]

    def put(chunk: list[dict[str, object]]) -> None:
        write.write_records(
            DatabaseName=names.TIMESTREAM_DATABASE,
            TableName=TABLE,
            Records=chunk,
            CommonAttributes={"TimeUnit": "MILLISECONDS"},
        )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, chunks))
    return len(records)


def run(report: Report) -> None:
    import awswrangler as wr

    log_path = Path(tempfile.gettempdir()) / "tslake-bench-exporter-endpoint.log"
    with start_endpoint(log_path=log_path) as endpoint, environ(endpoint.env()):
        for service, call in (
            ("timestream-write", lambda c: c.create_database(DatabaseName=names.TIMESTREAM_DATABASE)),
            ("s3", lambda c: c.create_bucket(Bucket=BUCKET)),
        ):
            call(aws.client(service))
        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        started = time.perf_counter()
        n = _load(base)
        print(f"  loaded {n:,} readings in {time.perf_counter() - started:.1f}s (not timed)", flush=True)
        window = Window(base, base + timedelta(seconds=SECONDS))
        config = ExportConfig(raw_table=TABLE, bucket=BUCKET)
        export_window(Window(base, base + timedelta(minutes=5)), config)  # warm-up, untimed

        # Baseline: the seed's one call.
        sql = interpolation_query(names.TIMESTREAM_DATABASE, TABLE, window)
        t0 = time.perf_counter()
        df = wr.timestream.query(sql)
        t1 = time.perf_counter()
        wr.s3.to_csv(df=df, path=f"s3://{BUCKET}/baseline/my_file.csv")
        t2 = time.perf_counter()
        seed_query, seed_write, seed_total = t1 - t0, t2 - t1, t2 - t0
        rows = len(df)
        del df

        t0 = time.perf_counter()
        ours = export_window(window, config)
        ours_total = time.perf_counter() - t0
        t0 = time.perf_counter()
        ours_csv = export_window(window, ExportConfig(raw_table=TABLE, bucket=BUCKET, format="csv"))
        ours_csv_total = time.perf_counter() - t0

    assert ours.rows == rows == ours_csv.rows, (ours.rows, rows, ours_csv.rows)
    notes: dict[str, float | str] = {"grid_points": rows, "files": ours.files}
    seed = "seed wr.timestream.query + wr.s3.to_csv"
    report.add(
        Figure(
            f"export 1h x {SENSORS} sensors, end to end (parquet)",
            ours_total,
            "s",
            seed,
            seed_total,
            higher_is_better=False,
            goal="< 10 s",
            notes=notes,
        )
    )
    report.add(
        Figure("  query phase", ours.query_seconds, "s", "seed wr.timestream.query", seed_query, higher_is_better=False)
    )
    report.add(
        Figure(
            "  write phase (parquet)", ours.write_seconds, "s", "seed wr.s3.to_csv", seed_write, higher_is_better=False
        )
    )
    report.add(
        Figure(
            "export end to end (csv, same format as the seed)",
            ours_csv_total,
            "s",
            seed,
            seed_total,
            higher_is_better=False,
            notes={"write_seconds": round(ours_csv.write_seconds, 3)},
        )
    )
