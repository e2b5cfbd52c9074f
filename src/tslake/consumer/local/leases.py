"""The KCL 2.x lease table, read and written in KCL's own layout so the Java daemon and the Python driver
can take over from each other.

One item per shard, hash key `leaseKey` (the shard id): `leaseOwner` (absent when free), `leaseCounter`
(bumped by every renewal, take and checkpoint; all writes are conditional on it), `checkpoint` (a sequence
number or the sentinels TRIM_HORIZON / LATEST / SHARD_END), `checkpointSubSequenceNumber`,
`ownerSwitchesSinceCheckpoint`, `parentShardId` (string set), `childShardIds` (string set),
`startingHashKey` / `endingHashKey`. Like KCL, there is no timestamp in the table: a lease is expired
when its counter has not moved for `failoverTimeMillis`, as seen by the observing worker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

TRIM_HORIZON = "TRIM_HORIZON"
LATEST = "LATEST"
SHARD_END = "SHARD_END"
SENTINELS = {TRIM_HORIZON, LATEST, SHARD_END, "AT_TIMESTAMP"}


class LeaseLostError(Exception):
    """A conditional lease write failed: another worker owns the lease now (or it moved underneath us)."""


@dataclass
class Lease:
    lease_key: str
    owner: str | None = None
    counter: int = 0
    checkpoint: str = TRIM_HORIZON
    checkpoint_sub: int = 0
    owner_switches: int = 0
    parent_shard_ids: frozenset[str] = frozenset()
    child_shard_ids: frozenset[str] = frozenset()
    starting_hash_key: str | None = None
    ending_hash_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.checkpoint == SHARD_END

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Lease:
        def s(name: str) -> str | None:
            value = item.get(name)
            return str(value["S"]) if value and "S" in value else None

        def n(name: str) -> int:
            value = item.get(name)
            return int(value["N"]) if value and "N" in value else 0

        def ss(name: str) -> frozenset[str]:
            value = item.get(name)
            if not value:
                return frozenset()
            if "SS" in value:
                return frozenset(value["SS"])
            return frozenset([value["S"]]) if "S" in value else frozenset()

        return cls(
            lease_key=str(item["leaseKey"]["S"]),
            owner=s("leaseOwner"),
            counter=n("leaseCounter"),
            checkpoint=s("checkpoint") or TRIM_HORIZON,
            checkpoint_sub=n("checkpointSubSequenceNumber"),
            owner_switches=n("ownerSwitchesSinceCheckpoint"),
            parent_shard_ids=ss("parentShardId"),
            child_shard_ids=ss("childShardIds"),
            starting_hash_key=s("startingHashKey"),
            ending_hash_key=s("endingHashKey"),
        )

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "leaseKey": {"S": self.lease_key},
            "leaseCounter": {"N": str(self.counter)},
            "checkpoint": {"S": self.checkpoint},
            "checkpointSubSequenceNumber": {"N": str(self.checkpoint_sub)},
            "ownerSwitchesSinceCheckpoint": {"N": str(self.owner_switches)},
        }
        if self.owner:
            item["leaseOwner"] = {"S": self.owner}
        if self.parent_shard_ids:
            item["parentShardId"] = {"SS": sorted(self.parent_shard_ids)}
        if self.child_shard_ids:
            item["childShardIds"] = {"SS": sorted(self.child_shard_ids)}
        if self.starting_hash_key is not None:
            item["startingHashKey"] = {"S": self.starting_hash_key}
        if self.ending_hash_key is not None:
            item["endingHashKey"] = {"S": self.ending_hash_key}
        return item


def _conditional_failed(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class LeaseTable:
    """Conditional reads and writes on the lease table; every successful write updates `lease` in place."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    def ensure(self, timeout_s: float = 60.0) -> None:
        """Create the table the way KCL does (hash key leaseKey, on-demand) unless it exists."""
        try:
            self.dynamodb.create_table(
                TableName=self.table,
                KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceInUseException":
                raise
        deadline = time.monotonic() + timeout_s
        while self.dynamodb.describe_table(TableName=self.table)["Table"]["TableStatus"] != "ACTIVE":
            if time.monotonic() > deadline:
                raise TimeoutError(f"lease table {self.table} did not become ACTIVE")
            time.sleep(0.5)

    def list(self) -> list[Lease]:
        leases: list[Lease] = []
        kwargs: dict[str, Any] = {"TableName": self.table, "ConsistentRead": True}
        while True:
            page = self.dynamodb.scan(**kwargs)
            leases += [Lease.from_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return leases
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def create_if_absent(self, lease: Lease) -> bool:
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item=lease.to_item(),
                ConditionExpression="attribute_not_exists(leaseKey)",
            )
            return True
        except ClientError as error:
            if _conditional_failed(error):
                return False
            raise

    def _update(self, lease: Lease, expression: str, values: dict[str, Any], condition: str) -> None:
        extra: dict[str, Any] = {}
        if "#cp" in expression:
            extra["ExpressionAttributeNames"] = {"#cp": "checkpoint"}
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key={"leaseKey": {"S": lease.lease_key}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues={":expected": {"N": str(lease.counter)}, **values},
                **extra,
            )
        except ClientError as error:
            if _conditional_failed(error):
                raise LeaseLostError(lease.lease_key) from None
            raise

    def renew(self, lease: Lease, owner: str) -> None:
        self._update(
            lease,
            "SET leaseCounter = :next",
            {":next": {"N": str(lease.counter + 1)}, ":owner": {"S": owner}},
            "leaseCounter = :expected AND leaseOwner = :owner",
        )
        lease.counter += 1

    def take(self, lease: Lease, owner: str) -> None:
        """Take a free, expired or stolen lease; fails if anyone touched it since we read it."""
        switches = lease.owner_switches + (1 if lease.owner != owner else 0)
        self._update(
            lease,
            "SET leaseOwner = :owner, leaseCounter = :next, ownerSwitchesSinceCheckpoint = :switches",
            {
                ":owner": {"S": owner},
                ":next": {"N": str(lease.counter + 1)},
                ":switches": {"N": str(switches)},
            },
            "leaseCounter = :expected",
        )
        lease.owner, lease.counter, lease.owner_switches = owner, lease.counter + 1, switches

    def evict(self, lease: Lease, owner: str) -> None:
        """Release our lease so another worker can take it at once (as KCL's evictLease does)."""
        self._update(
            lease,
            "REMOVE leaseOwner SET leaseCounter = :next",
            {":next": {"N": str(lease.counter + 1)}, ":owner": {"S": owner}},
            "leaseCounter = :expected AND leaseOwner = :owner",
        )
        lease.owner, lease.counter = None, lease.counter + 1

    def checkpoint(self, lease: Lease, owner: str, sequence_number: str, sub: int) -> None:
        self._update(
            lease,
            "SET #cp = :cp, checkpointSubSequenceNumber = :sub, ownerSwitchesSinceCheckpoint = :zero, "
            "leaseCounter = :next",
            {
                ":cp": {"S": sequence_number},
                ":sub": {"N": str(sub)},
                ":zero": {"N": "0"},
                ":next": {"N": str(lease.counter + 1)},
                ":owner": {"S": owner},
            },
            "leaseCounter = :expected AND leaseOwner = :owner",
        )
        lease.checkpoint, lease.checkpoint_sub, lease.owner_switches = sequence_number, sub, 0
        lease.counter += 1

    def set_children(self, lease: Lease, owner: str, children: frozenset[str]) -> None:
        self._update(
            lease,
            "SET childShardIds = :children, leaseCounter = :next",
            {
                ":children": {"SS": sorted(children)},
                ":next": {"N": str(lease.counter + 1)},
                ":owner": {"S": owner},
            },
            "leaseCounter = :expected AND leaseOwner = :owner",
        )
        lease.child_shard_ids = children
        lease.counter += 1
