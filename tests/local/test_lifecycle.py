"""`tslake local up` as a process: persistence under --data-dir, in-memory without, a taken port."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tslake.local.process import EndpointStartError, start_endpoint


def test_state_survives_a_restart_with_the_same_data_dir(tmp_path: Path) -> None:
    data_dir, log = tmp_path / "data", tmp_path / "endpoint.log"
    first = start_endpoint(data_dir=data_dir, log_path=log)
    try:
        kinesis, s3, dynamodb = first.client("kinesis"), first.client("s3"), first.client("dynamodb")
        kinesis.create_stream(StreamName="persisted", ShardCount=1)
        kinesis.put_records(
            StreamName="persisted", Records=[{"Data": b"r%d" % i, "PartitionKey": "k"} for i in range(3)]
        )
        s3.create_bucket(Bucket="persisted")
        s3.put_object(Bucket="persisted", Key="a/b.txt", Body=b"hello")
        dynamodb.create_table(
            TableName="leases",
            KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        dynamodb.put_item(TableName="leases", Item={"leaseKey": {"S": "shard-0"}, "checkpoint": {"S": "2"}})
    finally:
        assert first.stop() == 0, first.log_tail()
    assert (data_dir / "moto-state.pickle").exists()

    second = start_endpoint(data_dir=data_dir, log_path=log)
    try:
        kinesis = second.client("kinesis")
        shard_id = kinesis.list_shards(StreamName="persisted")["Shards"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName="persisted", ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )
        records = kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        assert [r["Data"] for r in records] == [b"r0", b"r1", b"r2"]
        # new writes continue the sequence instead of restarting it
        put = kinesis.put_record(StreamName="persisted", Data=b"r3", PartitionKey="k")
        assert int(put["SequenceNumber"]) == int(records[-1]["SequenceNumber"]) + 1
        assert second.client("s3").get_object(Bucket="persisted", Key="a/b.txt")["Body"].read() == b"hello"
        item = second.client("dynamodb").get_item(TableName="leases", Key={"leaseKey": {"S": "shard-0"}})["Item"]
        assert item["checkpoint"] == {"S": "2"}
        assert "moto_state_restored" in second.log_tail(200)
    finally:
        second.stop()


def test_without_data_dir_state_is_in_memory(tmp_path: Path) -> None:
    for _ in range(2):
        process = start_endpoint(log_path=tmp_path / "endpoint.log")
        try:
            assert process.client("kinesis").list_streams()["StreamNames"] == []
            process.client("kinesis").create_stream(StreamName="ephemeral", ShardCount=1)
        finally:
            process.stop()
    assert list(tmp_path.iterdir()) == [tmp_path / "endpoint.log"]


def test_a_taken_port_names_the_port_option(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(EndpointStartError) as error:
            start_endpoint(port=port, log_path=tmp_path / "endpoint.log", timeout=30)
    assert "--port" in str(error.value)
    assert "port_in_use" in str(error.value)


def test_interval_snapshot_survives_a_kill(tmp_path: Path) -> None:
    """Periodic snapshots: after SIGKILL (no clean shutdown) the last snapshot is restored."""
    import time

    data_dir, log = tmp_path / "data", tmp_path / "endpoint.log"
    snapshot = data_dir / "moto-state.pickle"
    first = start_endpoint(data_dir=data_dir, log_path=log, extra_args=["--snapshot-interval", "0.5"])
    try:
        first.client("kinesis").create_stream(StreamName="snapshotted", ShardCount=1)
        deadline = time.monotonic() + 30
        while not snapshot.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert snapshot.exists(), first.log_tail()
    finally:
        first.popen.kill()
        first.popen.wait(10)
    second = start_endpoint(data_dir=data_dir, log_path=log)
    try:
        assert second.client("kinesis").list_streams()["StreamNames"] == ["snapshotted"]
    finally:
        second.stop()


def test_an_unreadable_snapshot_stops_start_up_with_a_clear_error(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "moto-state.pickle").write_bytes(b"not a pickle")
    with pytest.raises(EndpointStartError) as error:
        start_endpoint(data_dir=data_dir, log_path=tmp_path / "endpoint.log")
    assert "moto_state_unreadable" in str(error.value)
    assert "move it away" in str(error.value)
    assert (data_dir / "moto-state.pickle").read_bytes() == b"not a pickle"  # nothing overwritten
