"""The Python driver (`TSLAKE_CONSUMER_DRIVER=python`) against the local endpoint, in worker processes.

Same scenario as the MultiLangDaemon test: 10,000 records over 2 shards, two workers splitting the
leases, `kill -9` of one mid-stream, takeover, SIGTERM with a checkpoint; plus a split mid-stream.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.consumer.scenario import Scenario, assert_exactly_once, mark, wait_until
from tslake.local.process import EndpointProcess

GRACE_S = 8.0  # TSLAKE_SHUTDOWN_GRACE_MILLIS in the scenario


def test_two_workers_kill_takeover_sigterm_exactly_once(scenario: Scenario) -> None:
    s = scenario
    mark("start")
    s.put(range(0, 3000))
    mark("put")
    s.start("A", "python")
    wait_until(lambda: s.count() >= 500, 60, "worker A to write its first records")
    # B's store fails its first batches: the batch is retried, never skipped or checkpointed early.
    s.start("B", "python", fail_first_batches=2)
    owners = wait_until(
        lambda: sorted(v for v in s.owners().values() if v) == ["A", "B"] and s.owners(),
        60,
        "B to take one of A's two leases",
    )
    assert set(owners.values()) == {"A", "B"}

    # Keep writing while A is killed mid-stream.
    producer = s.put_in_steps(3000, 10_000)
    wait_until(lambda: s.count() >= 5000, 60, "5,000 records written")
    s.kill("A")
    producer.join()
    mark("killed, produced")
    wait_until(lambda: set(s.owners().values()) == {"B"}, 60, "B to take over A's expired lease")
    wait_until(lambda: s.count() >= 10_000, 90, "all 10,000 records written")
    assert_exactly_once(s.written(), range(10_000))
    mark("checked")
    assert s.terminate("B", timeout=GRACE_S) == 0
    mark("terminated")
    leases = s.leases()
    tips = s.shard_tips()
    assert {k: int(v["checkpoint"]["S"]) for k, v in leases.items()} == tips, "shutdown checkpoint is not the tip"
    assert all("leaseOwner" not in v for v in leases.values()), "leases were not released on shutdown"
    assert_exactly_once(s.written(), range(10_000))


def test_split_mid_stream_parent_before_children_and_order_per_sensor(
    endpoint: EndpointProcess, tmp_path: Path
) -> None:
    s = Scenario(endpoint, tmp_path, shards=1)
    try:
        s.put(range(0, 1500))
        s.start("A", "python")
        wait_until(lambda: s.count() >= 200, 60, "the first records from the single shard")
        s.kinesis.update_shard_count(StreamName=s.stream, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
        s.put(range(1500, 3000))
        wait_until(lambda: s.count() >= 3000, 90, "all 3,000 records, across the parent and both children")
        rows = s.written()
        assert_exactly_once(rows, range(3000))

        shards = {x["ShardId"]: x for x in s.kinesis.list_shards(StreamName=s.stream)["Shards"]}
        parent = next(k for k, v in shards.items() if "EndingSequenceNumber" in v["SequenceNumberRange"])
        children = {k for k, v in shards.items() if v.get("ParentShardId") == parent}
        assert len(children) == 2
        assert {r["shard"] for r in rows} == {parent, *children}, "records written after the split are in children"

        # Nothing reordered within a sensor: the write order follows each sensor's sequence `n`,
        # so every parent record was written before any child record of the same sensor.
        by_sensor: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_sensor.setdefault(str(row["sensor_id"]), []).append(row)
        for sensor, sensor_rows in by_sensor.items():
            in_write_order = [r["n"] for r in sorted(sensor_rows, key=lambda r: r["order"])]
            assert in_write_order == sorted(in_write_order), f"{sensor} was reordered"

        leases = s.leases()
        assert leases[parent]["checkpoint"]["S"] == "SHARD_END"
        assert set(leases[parent]["childShardIds"]["SS"]) == children
        for child in children:
            assert leases[child]["parentShardId"]["SS"] == [parent]
        assert s.terminate("A", timeout=GRACE_S) == 0
        tips = s.shard_tips()
        final = s.leases()
        for child in children:
            assert int(final[child]["checkpoint"]["S"]) == tips[child]
    finally:
        s.stop_all()
