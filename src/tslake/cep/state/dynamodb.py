"""State in DynamoDB: one item per `<application>/<stream>/<shard>`, versioned.

The conditional write is what makes a lease move safe: after the new owner saves, a worker that
lost the lease can no longer save (StateConflictError), so it cannot overwrite newer state.
The service creates the table on first start if it is missing (as the KCL does its lease table).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tslake import aws
from tslake.cep.state.base import StateConflictError, StateStore, StateTooLargeError, StoredState

MAX_BLOB_BYTES = 380_000  # DynamoDB items are at most 400 KB, key and attribute names included


class DynamoStateStore(StateStore):
    def __init__(self, table: str, client: Any = None) -> None:
        self.table = table
        self._ddb = client or aws.client("dynamodb")

    def ensure_table(self) -> None:
        try:
            self._ddb.create_table(
                TableName=self.table,
                AttributeDefinitions=[{"AttributeName": "shard_key", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "shard_key", "KeyType": "HASH"}],
                BillingMode="PAY_PER_REQUEST",
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException":
                raise
        self._ddb.get_waiter("table_exists").wait(TableName=self.table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})

    def load(self, key: str) -> StoredState | None:
        item = self._ddb.get_item(TableName=self.table, Key={"shard_key": {"S": key}}, ConsistentRead=True).get("Item")
        if not item:
            return None
        return StoredState(blob=bytes(item["state"]["B"]), version=int(item["version"]["N"]))

    def save(self, key: str, blob: bytes, expected_version: int) -> int:
        if len(blob) > MAX_BLOB_BYTES:
            raise StateTooLargeError(f"CEP state for {key} is {len(blob)} bytes compressed (max {MAX_BLOB_BYTES})")
        new_version = expected_version + 1
        try:
            self._ddb.put_item(
                TableName=self.table,
                Item={"shard_key": {"S": key}, "state": {"B": blob}, "version": {"N": str(new_version)}},
                ConditionExpression="attribute_not_exists(shard_key) OR version = :expected",
                ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise StateConflictError(f"{key}: saved by another worker since version {expected_version}") from None
            raise
        return new_version
