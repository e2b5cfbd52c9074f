"""The lease table in KCL's layout against the local endpoint's DynamoDB: every write is conditional."""

from __future__ import annotations

import uuid

import pytest

from tslake.consumer import RecordHandler, ShardContext
from tslake.consumer.local.driver import LeaseObserver
from tslake.consumer.local.leases import SHARD_END, Lease, LeaseLostError, LeaseTable
from tslake.local.process import EndpointProcess


@pytest.fixture
def table(endpoint: EndpointProcess) -> LeaseTable:
    t = LeaseTable(endpoint.client("dynamodb"), f"leases-{uuid.uuid4().hex[:8]}")
    t.ensure()
    return t


def test_take_renew_steal_checkpoint_are_conditional_on_the_counter(table: LeaseTable) -> None:
    assert table.create_if_absent(Lease("shardId-000000000000", parent_shard_ids=frozenset({"shardId-p"})))
    assert not table.create_if_absent(Lease("shardId-000000000000"))  # never overwrite a lease

    a_view = table.list()[0]
    b_view = table.list()[0]
    table.take(a_view, "A")
    with pytest.raises(LeaseLostError):
        table.take(b_view, "B")  # B's copy is stale: A moved the counter

    table.renew(a_view, "A")
    table.checkpoint(a_view, "A", "42", 0)
    stored = table.list()[0]
    assert (stored.owner, stored.checkpoint, stored.counter, stored.owner_switches) == ("A", "42", 3, 0)
    assert stored.parent_shard_ids == {"shardId-p"}

    table.take(stored, "B")  # a steal, from a fresh read
    with pytest.raises(LeaseLostError):
        table.renew(a_view, "A")
    with pytest.raises(LeaseLostError):
        table.checkpoint(a_view, "A", "99", 0)  # A may never checkpoint past B
    final = table.list()[0]
    assert (final.owner, final.checkpoint, final.owner_switches) == ("B", "42", 1)

    table.checkpoint(final, "B", SHARD_END, 0)
    table.evict(final, "B")
    released = table.list()[0]
    assert released.owner is None and released.finished


def test_a_lease_expires_only_when_its_counter_stands_still_for_the_failover_time() -> None:
    observer = LeaseObserver(failover_s=3.0)
    lease = Lease("s", owner="A", counter=5)
    observer.update([lease], now=100.0)
    assert not observer.expired(lease, now=102.0)
    lease.counter = 6  # renewed
    observer.update([lease], now=102.5)
    assert not observer.expired(lease, now=105.0)
    assert observer.expired(lease, now=105.6)
    assert observer.expired(Lease("free", owner=None), now=0.0)


def _no_shard_should_start(context: ShardContext) -> RecordHandler:
    raise AssertionError(f"no shard should start, got {context}")


def test_the_python_driver_refuses_a_stream_that_does_not_exist(
    endpoint: EndpointProcess, capfd: pytest.CaptureFixture[str]
) -> None:
    from tslake.consumer.local.driver import EXIT_NO_STREAM, PythonDriver
    from tslake.lifecycle import Shutdown
    from tslake.settings.consumer import ConsumerSettings

    settings = ConsumerSettings(stream="no-such-stream", application_name=f"app-{uuid.uuid4().hex[:8]}")
    driver = PythonDriver(
        settings,
        _no_shard_should_start,
        Shutdown(),
        kinesis=endpoint.client("kinesis"),
        dynamodb=endpoint.client("dynamodb"),
    )
    assert driver.run() == EXIT_NO_STREAM
    captured = capfd.readouterr()  # structlog is not configured in-process: its default goes to stdout
    assert "stream_not_found" in captured.out + captured.err
    assert "TSLAKE_STREAM" in captured.out + captured.err
