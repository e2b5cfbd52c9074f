"""moto's Kinesis fix (tslake.local.kinesis_patch): still installable, O(batch) per call, and correct."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import pytest

from tslake.local import kinesis_patch
from tslake.local.process import EndpointProcess

N = 50_000
BATCH = 500


class CountingRecords(OrderedDict[int, Any]):
    """A shard's records mapping that counts every entry it hands out: the work a call does."""

    touched = 0

    def __getitem__(self, key: int) -> Any:
        self.touched += 1
        return super().__getitem__(key)

    def get(self, key: int, default: Any = None) -> Any:
        self.touched += 1
        return super().get(key, default)

    def __iter__(self) -> Iterator[int]:
        for key in super().__iter__():
            self.touched += 1
            yield key

    def __reversed__(self) -> Iterator[int]:
        for key in super().__reversed__():
            self.touched += 1
            yield key

    # A full view costs the whole shard, however it is consumed.
    def keys(self) -> Any:
        self.touched += len(self)
        return super().keys()

    def values(self) -> Any:
        self.touched += len(self)
        return super().values()

    def items(self) -> Any:
        self.touched += len(self)
        return super().items()


@pytest.fixture
def patch_installed() -> Iterator[None]:
    was_installed = kinesis_patch.installed()
    kinesis_patch.install()
    yield
    if not was_installed:
        kinesis_patch.uninstall()


def test_patch_fits_this_moto_version() -> None:
    """Fails with a message naming the moto function if an upgrade changed what the patch replaces."""
    kinesis_patch.check_compatible()
    was_installed = kinesis_patch.installed()
    kinesis_patch.install()
    try:
        assert kinesis_patch.installed()
        for (cls, name), replacement in kinesis_patch.REPLACEMENTS.items():
            assert getattr(cls, name) is replacement, f"{cls.__name__}.{name} not patched"
    finally:
        if not was_installed:
            kinesis_patch.uninstall()


def _full_shard() -> tuple[Any, Any, CountingRecords]:
    from moto.kinesis.models import KinesisBackend

    backend = KinesisBackend("us-east-1", "123456789012")
    stream = backend.create_stream("complexity", 1)
    payload = [{"Data": "eA==", "PartitionKey": f"k{i}"} for i in range(BATCH)]
    for _ in range(N // BATCH):
        backend.put_records(None, "complexity", payload)
    shard = next(iter(stream.shards.values()))
    shard.records = counting = CountingRecords(shard.records)
    assert len(counting) == N
    return backend, shard, counting


def _touched(counting: CountingRecords, call: Any) -> tuple[int, Any]:
    counting.touched = 0
    result = call()
    return counting.touched, result


def test_calls_touch_o_batch_entries_on_a_full_shard(patch_installed: None) -> None:
    backend, shard, counting = _full_shard()
    payload = [{"Data": "eQ==", "PartitionKey": f"p{i}"} for i in range(BATCH)]
    touched, _ = _touched(counting, lambda: backend.put_records(None, "complexity", payload))
    assert touched <= 2 * BATCH, f"PutRecords of {BATCH} touched {touched} of {N} records"

    def read_from(iterator_type: str, **kwargs: Any) -> tuple[int, list[Any]]:
        iterator = backend.get_shard_iterator(None, "complexity", shard.shard_id, iterator_type, **kwargs)
        touched, (_next, records, _millis) = _touched(counting, lambda: backend.get_records(None, iterator, BATCH))
        return touched, records

    kwargs: dict[str, Any] = {"starting_sequence_number": N - 1000, "at_timestamp": None}
    touched, records = read_from("AT_SEQUENCE_NUMBER", **kwargs)
    assert [r.sequence_number for r in records] == list(range(N - 1000, N - 1000 + BATCH))
    assert touched <= 2 * BATCH + 10, f"GetRecords of {BATCH} touched {touched}"

    middle = shard.records[N // 2].created_at  # counted outside the measured call
    counting.touched = 0
    iterator = backend.get_shard_iterator(None, "complexity", shard.shard_id, "AT_TIMESTAMP", 0, middle)
    assert counting.touched <= 100, f"AT_TIMESTAMP iterator touched {counting.touched}"

    counting.touched = 0
    backend.get_shard_iterator(None, "complexity", shard.shard_id, "LATEST", 0, None)
    assert counting.touched <= 5, f"LATEST iterator touched {counting.touched}"
    del iterator


def test_the_complexity_check_catches_stock_moto() -> None:
    """The same counter sees stock moto's O(n): proves the check above can fail."""
    was_installed = kinesis_patch.installed()
    kinesis_patch.install()  # to fill the shard quickly
    try:
        backend, _shard, counting = _full_shard()
        kinesis_patch.uninstall()
        payload = [{"Data": "eQ==", "PartitionKey": f"p{i}"} for i in range(5)]
        touched, _ = _touched(counting, lambda: backend.put_records(None, "complexity", payload))
        assert touched >= 5 * N
    finally:
        if was_installed:
            kinesis_patch.install()


def _put(kinesis: Any, stream: str, values: list[bytes]) -> list[dict[str, Any]]:
    response = kinesis.put_records(StreamName=stream, Records=[{"Data": v, "PartitionKey": v.decode()} for v in values])
    assert response["FailedRecordCount"] == 0
    return list(response["Records"])


def _read_all(kinesis: Any, iterator: str | None, limit: int | None = None) -> tuple[list[bytes], dict[str, Any]]:
    out: list[bytes] = []
    last: dict[str, Any] = {}
    for _ in range(100):
        if iterator is None:
            break
        last = kinesis.get_records(ShardIterator=iterator, **({"Limit": limit} if limit else {}))
        out += [r["Data"] for r in last["Records"]]
        iterator = last.get("NextShardIterator")
        if not last["Records"]:
            break
    return out, last


def test_every_iterator_type_and_a_split_over_http(endpoint: EndpointProcess) -> None:
    kinesis = endpoint.client("kinesis")
    stream = "tslake-test-iterators"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})
    shard_id = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]

    def iterator(kind: str, **kwargs: Any) -> str:
        return str(
            kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id, ShardIteratorType=kind, **kwargs)[
                "ShardIterator"
            ]
        )

    first = [f"a{i}".encode() for i in range(10)]
    sequence = [r["SequenceNumber"] for r in _put(kinesis, stream, first)]
    time.sleep(0.3)
    between = time.time()
    time.sleep(0.3)
    latest = iterator("LATEST")
    second = [f"b{i}".encode() for i in range(5)]
    _put(kinesis, stream, second)

    everything, last = _read_all(kinesis, iterator("TRIM_HORIZON"))
    assert everything == first + second
    assert "MillisBehindLatest" in last
    assert _read_all(kinesis, iterator("TRIM_HORIZON"), limit=3)[0] == first + second
    assert _read_all(kinesis, iterator("AT_SEQUENCE_NUMBER", StartingSequenceNumber=sequence[4]))[0][0] == b"a4"
    assert _read_all(kinesis, iterator("AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=sequence[4]))[0][0] == b"a5"
    assert _read_all(kinesis, latest)[0] == second
    assert _read_all(kinesis, iterator("AT_TIMESTAMP", Timestamp=between))[0] == second
    behind = kinesis.get_records(ShardIterator=iterator("TRIM_HORIZON"), Limit=1)
    assert behind["MillisBehindLatest"] >= 500  # a0 arrived >= 0.6 s before b4

    # Split: the parent keeps its records and ends; new records go to the children only.
    kinesis.update_shard_count(StreamName=stream, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    children = [s["ShardId"] for s in shards if s.get("ParentShardId") == shard_id]
    assert len(shards) == 3 and len(children) == 2
    third = [f"c{i}".encode() for i in range(20)]
    placed = _put(kinesis, stream, third)
    assert {r["ShardId"] for r in placed} <= set(children)
    parent_records, parent_last = _read_all(kinesis, iterator("TRIM_HORIZON"))
    assert parent_records == first + second
    assert parent_last.get("NextShardIterator") is None, "a closed shard read to its end must end"
    # KCL 2.x rejects a SHARD_END response that does not name the children.
    assert sorted(c["ShardId"] for c in parent_last["ChildShards"]) == sorted(children)
    assert all(c["ParentShards"] == [shard_id] for c in parent_last["ChildShards"])
    from_children: list[bytes] = []
    for child in children:
        child_iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=child, ShardIteratorType="TRIM_HORIZON")
        records, child_last = _read_all(kinesis, child_iterator["ShardIterator"])
        from_children += records
        assert child_last.get("NextShardIterator"), "an open shard never ends"
    assert sorted(from_children) == sorted(third)
    kinesis.delete_stream(StreamName=stream)


def test_get_records_caps_at_10_mb(endpoint: EndpointProcess) -> None:
    kinesis = endpoint.client("kinesis")
    stream = "tslake-test-10mb"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1})
    blob = b"x" * (1024 * 1024 - 10)
    for start in range(0, 12, 4):
        kinesis.put_records(
            StreamName=stream, Records=[{"Data": blob, "PartitionKey": f"k{i}"} for i in range(start, start + 4)]
        )
    shard_id = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    page = kinesis.get_records(ShardIterator=it["ShardIterator"])
    assert 1 <= len(page["Records"]) <= 10
    rest = kinesis.get_records(ShardIterator=page["NextShardIterator"])
    assert len(page["Records"]) + len(rest["Records"]) == 12
    kinesis.delete_stream(StreamName=stream)


def _moto_call(app: Any, target: str, payload: dict[str, Any]) -> dict[str, Any]:
    """One signed Kinesis JSON request through moto's real server dispatcher, in-process."""
    import json

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from tslake.local.server import build_environ, call_wsgi

    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"Kinesis_20131202.{target}"}
    request = AWSRequest(method="POST", url="http://127.0.0.1:1/", data=body, headers=headers)
    SigV4Auth(Credentials("testing", "testing"), "kinesis", "us-east-1").add_auth(request)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": b"",
        "http_version": "1.1",
        "server": ("127.0.0.1", 1),
        "headers": [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
        + [(b"content-length", str(len(body)).encode())],
    }
    status, response_headers, out = call_wsgi(app, build_environ(scope, body))
    assert status == 200, out
    assert (b"content-type", b"application/x-amz-json-1.1") in response_headers
    return dict(json.loads(out))


def test_fast_json_responses_equal_moto_serializer_output() -> None:
    """PutRecords/GetRecords skip moto's generic serializer; the JSON must be what it would have produced."""
    from tslake.local.server import moto_wsgi_app

    was_installed = kinesis_patch.installed()
    app = moto_wsgi_app()
    kinesis_patch.install()
    try:
        _moto_call(app, "CreateStream", {"StreamName": "serializer", "ShardCount": 1})
        records = [
            {"Data": "aGVsbG8=", "PartitionKey": "a"},
            {"Data": "", "PartitionKey": "b", "ExplicitHashKey": "5"},
            {"Data": "AAEC/w==", "PartitionKey": "ü"},
        ]
        fast_put = _moto_call(app, "PutRecords", {"StreamName": "serializer", "Records": records})
        shard = {"StreamName": "serializer", "ShardId": "shardId-000000000000", "ShardIteratorType": "TRIM_HORIZON"}
        iterator = _moto_call(app, "GetShardIterator", shard)["ShardIterator"]
        fast_get = _moto_call(app, "GetRecords", {"ShardIterator": iterator, "Limit": 10})
        kinesis_patch.uninstall()
        stock_get = _moto_call(app, "GetRecords", {"ShardIterator": iterator, "Limit": 10})
        stock_put = _moto_call(app, "PutRecords", {"StreamName": "serializer", "Records": records})
    finally:
        if was_installed:
            kinesis_patch.install()
        else:
            kinesis_patch.uninstall()
    assert fast_get == stock_get
    assert [r["Data"] for r in fast_get["Records"]] == ["aGVsbG8=", "", "AAEC/w=="]
    assert fast_put["FailedRecordCount"] == stock_put["FailedRecordCount"] == 0
    assert [r["SequenceNumber"] for r in fast_put["Records"]] == ["1", "2", "3"]
    assert [r["SequenceNumber"] for r in stock_put["Records"]] == ["4", "5", "6"]
    assert [set(r) for r in fast_put["Records"]] == [set(r) for r in stock_put["Records"]]
