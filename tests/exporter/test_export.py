"""The export library against the local endpoint: exact rows, idempotent re-runs, partition paths,
CEP export, Glue registration, and failures that leave no partial files."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from tests.exporter.helpers import (
    Reading,
    assert_rows_equal,
    base_hour,
    expected_rows,
    frame_rows,
    list_keys,
    make_bucket,
    make_table,
    ms,
    read_object,
    read_prefix,
    write_readings,
)
from tslake import aws, names
from tslake.export import (
    DatasetName,
    ExportConfig,
    LakeBucketMissingError,
    LakeWriteError,
    StoreUnavailableError,
    Window,
    export_window,
)
from tslake.export import lake as lake_module
from tslake.local.process import EndpointProcess, free_port

pytestmark = pytest.mark.usefixtures("endpoint")
FIVE = timedelta(minutes=5)


def random_readings(window_start_ms: int, span_ms: int, sensors: int, seed: int) -> list[Reading]:
    rng = random.Random(seed)
    out = []
    for s in range(sensors):
        t = window_start_ms + rng.randint(0, 4000)
        while t < window_start_ms + span_ms:
            status = rng.choice(["OK", "OK", "WARNING", "ERROR"])
            out.append(Reading(f"sensor-{s:02d}", t, float(rng.randint(10, 180)), status))
            t += rng.randint(400, 4000)
    return out


@pytest.fixture(scope="module")
def known(endpoint: EndpointProcess) -> dict[str, Any]:
    """Two consecutive windows of data: hand-checked sensors plus random ones, in a table of their own."""
    table = make_table()
    base = base_hour(2)
    w1, w2 = Window(base, base + FIVE), Window(base + FIVE, base + 2 * FIVE)
    t0 = ms(base)
    hand = [
        # sensor-a: grid .250 1.25 2.25 3.25 4.25 5.25 -> 10, 20, 30, 30-30/3.5, ... (linear), OK OK WARNING...
        Reading("sensor-a", t0 + 250, 10.0, "OK"),
        Reading("sensor-a", t0 + 2250, 30.0, "WARNING"),
        Reading("sensor-a", t0 + 5750, 0.0, "ERROR"),
        # sensor-b: exactly on the window start (in w1) and exactly on its end (in w2, not w1)
        Reading("sensor-b", t0, 50.0, "OK"),
        Reading("sensor-b", t0 + 3000, 80.0, "ERROR"),
        Reading("sensor-b", ms(w1.end), 20.0, "WARNING"),
        Reading("sensor-b", ms(w1.end) + 2000, 40.0, "OK"),
        # sensor-c: a single reading -> a single grid point
        Reading("sensor-c", t0 + 120_000, 42.5, "OK"),
    ]
    readings = hand + random_readings(t0, 2 * 300_000, sensors=5, seed=7)
    write_readings(table, readings)
    return {"table": table, "readings": readings, "w1": w1, "w2": w2}


def test_exact_rows_reexport_and_partition_paths(known: dict[str, Any]) -> None:
    bucket = make_bucket()
    config = ExportConfig(raw_table=known["table"], bucket=bucket)
    w1, w2 = known["w1"], known["w2"]

    result = export_window(w1, config)
    expected = expected_rows(known["readings"], w1)
    key = f"interpolated/date={w1.start:%Y-%m-%d}/hour={w1.start:%H}/{w1.id}.parquet"
    assert (result.rows, result.files, result.keys) == (len(expected), 1, [key])
    assert list_keys(bucket) == [key]
    first = read_object(bucket, key)
    assert list(first.columns) == ["sensor_id", "time", "status", "temperature"]
    assert_rows_equal(frame_rows(first), expected)

    # The hand-checked sensors, value by value.
    t0 = ms(w1.start)
    a = [r for r in frame_rows(first) if r[0] == "sensor-a"]
    assert [r[1] - t0 for r in a] == [250, 1250, 2250, 3250, 4250, 5250]
    assert [r[2] for r in a] == ["OK", "OK", "WARNING", "WARNING", "WARNING", "WARNING"]
    for got, want in zip([r[3] for r in a], [10, 20, 30, 30 - 30 / 3.5, 30 - 60 / 3.5, 30 - 90 / 3.5], strict=True):
        assert got == pytest.approx(want, abs=1e-9)
    b = [r for r in frame_rows(first) if r[0] == "sensor-b"]
    assert [(r[1] - t0, r[2], r[3]) for r in b] == [
        (0, "OK", 50.0),
        (1000, "OK", 60.0),
        (2000, "OK", 70.0),
        (3000, "ERROR", 80.0),
    ]
    assert [r[1:] for r in frame_rows(first) if r[0] == "sensor-c"] == [(t0 + 120_000, "OK", 42.5)]

    # Re-exporting the same window leaves exactly the same rows, under the same single key.
    etag = aws.client("s3").head_object(Bucket=bucket, Key=key)["ETag"]
    again = export_window(w1, config)
    assert (again.rows, again.keys) == (result.rows, [key])
    assert list_keys(bucket) == [key]
    assert_rows_equal(frame_rows(read_object(bucket, key)), expected)

    # The next window shares the hour partition, adds its own file, leaves w1's alone; the reading on
    # the boundary is exported once, by w2; no grid point is in both windows.
    second = export_window(w2, config)
    key2 = f"interpolated/date={w2.start:%Y-%m-%d}/hour={w2.start:%H}/{w2.id}.parquet"
    assert second.keys == [key2]
    assert list_keys(bucket) == sorted([key, key2])
    assert aws.client("s3").head_object(Bucket=bucket, Key=key)["ETag"] == etag
    rows2 = frame_rows(read_object(bucket, key2))
    assert_rows_equal(rows2, expected_rows(known["readings"], w2))
    assert next(r[1:3] for r in rows2 if r[0] == "sensor-b") == (ms(w1.end), "WARNING")
    assert not {(r[0], r[1]) for r in frame_rows(first)} & {(r[0], r[1]) for r in rows2}


def test_window_across_hours_csv_then_parquet(known: dict[str, Any]) -> None:
    """A window over an hour boundary writes one file per hour; switching format replaces the files."""
    table = make_table()
    bucket = make_bucket()
    base = base_hour(3)
    window = Window(base + timedelta(minutes=58), base + timedelta(minutes=62))
    readings = random_readings(ms(window.start), 240_000, sensors=3, seed=11)
    write_readings(table, readings)
    expected = expected_rows(readings, window)
    hours = [window.start, window.end]
    csv_keys = [f"interpolated/date={h:%Y-%m-%d}/hour={h:%H}/{window.id}.csv" for h in hours]

    result = export_window(window, ExportConfig(raw_table=table, bucket=bucket, format="csv"))
    assert (result.rows, sorted(result.keys)) == (len(expected), sorted(csv_keys))
    assert list_keys(bucket) == sorted(csv_keys)
    per_hour = {k: read_object(bucket, k) for k in csv_keys}
    for k, df in per_hour.items():
        hour = k.split("hour=")[1][:2]
        assert set(pd_hours(df)) == {hour}
    assert_rows_equal(sorted(r for df in per_hour.values() for r in frame_rows(df)), expected)

    export_window(window, ExportConfig(raw_table=table, bucket=bucket, format="parquet"))
    assert list_keys(bucket) == sorted(k.replace(".csv", ".parquet") for k in csv_keys)
    assert_rows_equal(frame_rows(read_prefix(bucket, "interpolated/")), expected)


def pd_hours(df: Any) -> list[str]:
    import pandas as pd

    return [f"{t:%H}" for t in pd.to_datetime(df["time"])]


def test_empty_window_writes_nothing(known: dict[str, Any]) -> None:
    bucket = make_bucket()
    window = Window(known["w1"].start - timedelta(hours=1), known["w1"].start - timedelta(minutes=55))
    result = export_window(window, ExportConfig(raw_table=known["table"], bucket=bucket))
    assert (result.rows, result.files, result.keys) == (0, 0, [])
    assert list_keys(bucket) == []


def test_failed_write_leaves_no_partial_files(known: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure after the first of two hour files: both the new and the previous files are removed."""
    table = make_table()
    bucket = make_bucket()
    base = base_hour(4)
    window = Window(base + timedelta(minutes=58), base + timedelta(minutes=62))
    readings = random_readings(ms(window.start), 240_000, sensors=2, seed=3)
    write_readings(table, readings)
    config = ExportConfig(raw_table=table, bucket=bucket)
    assert export_window(window, config).files == 2

    real = lake_module.wr.s3.to_parquet
    calls = {"n": 0}

    def fail_second(*args: Any, **kwargs: Any) -> Any:  # fault injection: the second PUT of the run fails
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("injected: connection reset during upload")
        return real(*args, **kwargs)

    monkeypatch.setattr(lake_module.wr.s3, "to_parquet", fail_second)
    with pytest.raises(LakeWriteError, match="its files were removed"):
        export_window(window, config)
    assert list_keys(bucket) == []
    monkeypatch.undo()
    assert export_window(window, config).rows == len(expected_rows(readings, window))
    assert len(list_keys(bucket)) == 2


def test_missing_bucket_and_unreachable_store(known: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(LakeBucketMissingError, match="does not exist"):
        export_window(known["w1"], ExportConfig(raw_table=known["table"], bucket="tslake-no-such-bucket"))

    bucket = make_bucket()

    monkeypatch.setenv("AWS_ENDPOINT_URL_TIMESTREAM_QUERY", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreUnavailableError, match="unreachable"):
        export_window(known["w1"], ExportConfig(raw_table=known["table"], bucket=bucket))
    assert list_keys(bucket) == []


def test_cep_export_pivots_events() -> None:
    table = make_table("cep")
    bucket = make_bucket()
    base = base_hour(2)
    window = Window(base, base + FIVE)
    events = [  # (sensor, ms offset, non_errors, history, min, avg, max, elapsed)
        ("sensor-01", 1_000, 2, "OK-WARNING", 20.0, 95.33, 170.0, 3.0),
        ("sensor-02", 61_500, 1, "OK", 12.0, 60.0, 165.0, 2.0),
        ("sensor-01", 300_000, 1, "OK", 1.0, 1.0, 1.0, 1.0),  # on the window end: next window
    ]
    records = []
    for sensor, offset, non_errors, history, lo, avg, hi, elapsed in events:
        dims = [
            {"Name": "sensor_id", "Value": sensor},
            {"Name": "non_errors", "Value": str(non_errors)},
            {"Name": "history", "Value": history},
        ]
        for name, value in (
            ("min_temperature", lo),
            ("avg_temperature", avg),
            ("max_temperature", hi),
            ("elapsed", elapsed),
        ):
            records.append(
                {
                    "Dimensions": dims,
                    "MeasureName": name,
                    "MeasureValue": repr(value),
                    "MeasureValueType": "DOUBLE",
                    "Time": str(ms(base) + offset),
                }
            )
    aws.client("timestream-write").write_records(
        DatabaseName=names.TIMESTREAM_DATABASE,
        TableName=table,
        Records=records,
        CommonAttributes={"TimeUnit": "MILLISECONDS"},
    )
    result = export_window(window, ExportConfig(cep_table=table, bucket=bucket), DatasetName.CEP)
    key = f"cep/date={base:%Y-%m-%d}/hour={base:%H}/{window.id}.parquet"
    assert (result.rows, result.keys) == (2, [key])
    df = read_object(bucket, key)
    got = [
        (
            r.sensor_id,
            ms(r.time.tz_localize("UTC")) - ms(base),
            r.non_errors,
            r.history,
            r.min_temperature,
            r.avg_temperature,
            r.max_temperature,
            r.elapsed,
        )
        for r in df.itertuples()
    ]
    assert got == [e for e in events if e[1] < 300_000]


def test_glue_registration(known: dict[str, Any]) -> None:
    bucket = make_bucket()
    database = f"exp_{bucket.split('-')[-1]}"
    config = ExportConfig(raw_table=known["table"], bucket=bucket, glue_database=database)
    for window in (known["w1"], known["w2"], known["w1"]):  # re-registering a partition is a no-op
        assert export_window(window, config).partitions_registered == 1
    glue = aws.client("glue")
    table = glue.get_table(DatabaseName=database, Name="interpolated")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"s3://{bucket}/interpolated/"
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["sensor_id", "time", "status", "temperature"]
    assert [k["Name"] for k in table["PartitionKeys"]] == ["date", "hour"]
    partitions = glue.get_partitions(DatabaseName=database, TableName="interpolated")["Partitions"]
    start = known["w1"].start
    assert [p["Values"] for p in partitions] == [[f"{start:%Y-%m-%d}", f"{start:%H}"]]


def test_export_query_gives_the_seed_query_rows(known: dict[str, Any]) -> None:
    """Row for row what the seed's query 4 gives, once its BETWEEN is made half-open like ours."""
    from tests.support.seed_queries import QUERY_4, seed_sql
    from tslake.export.queries import interpolation_query
    from tslake.export.store import run_query
    from tslake.export.window import SQL_FORMAT

    w = known["w1"]
    half_open = QUERY_4.replace(
        "BETWEEN '<window start>' AND '<window end>'", ">= '<window start>' AND time < '<window end>'"
    )
    assert half_open != QUERY_4
    seed = seed_sql(
        half_open,
        names.TIMESTREAM_DATABASE,
        known["table"],
        start=w.start.strftime(SQL_FORMAT),
        end=w.end.strftime(SQL_FORMAT),
    )
    ours = frame_rows(run_query(interpolation_query(names.TIMESTREAM_DATABASE, known["table"], w)))
    theirs = frame_rows(run_query(seed))
    assert len(ours) > 100
    assert ours == theirs
