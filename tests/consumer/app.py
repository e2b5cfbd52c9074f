"""A tiny consumer service for the consumer-layer tests: `python -m tests.consumer.app`.

Its handler writes every record to a DynamoDB table through the real endpoint, keyed by the record's
position (idempotent, like the real sinks), so a test can check "exactly once" by count and content.
It runs under either driver (`TSLAKE_CONSUMER_DRIVER`), exactly as a real service does.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from typing import Any

from tslake.aws import client
from tslake.consumer import RecordHandler, ShardContext, SourceRecord, run_consumer
from tslake.lifecycle import Shutdown
from tslake.logs import configure_logging
from tslake.settings.base import load_settings
from tslake.settings.consumer import ConsumerSettings


class AppSettings(ConsumerSettings):
    sink_table: str
    # Fail the first N calls to handle() per shard, to exercise retry-without-checkpoint.
    fail_first_batches: int = 0
    # print() inside handle(): under the KCL driver this must not reach the protocol stream.
    print_noise: bool = False
    # The handler factory raises (e.g. its store client cannot be built).
    fail_factory: bool = False


class DynamoHandler:
    def __init__(self, context: ShardContext, settings: AppSettings) -> None:
        self.context = context
        self.table = settings.sink_table
        self.fail_left = settings.fail_first_batches
        self.driver = settings.consumer_driver
        self.print_noise = settings.print_noise
        self.dynamodb: Any = client("dynamodb")

    def handle(self, batch: Sequence[SourceRecord]) -> None:
        if self.fail_left > 0:
            self.fail_left -= 1
            raise ConnectionError("injected store outage")
        if self.print_noise:
            print(f"noise from handle() on {self.context.shard_id}")
        start = time.time_ns()
        items = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": f"{r.shard_id}/{r.sequence_number}"},
                        "data": {"S": r.data.decode()},
                        "partition_key": {"S": r.partition_key},
                        "order": {"N": str(start + i)},
                        "pid": {"N": str(os.getpid())},
                        "driver": {"S": self.driver},
                    }
                }
            }
            for i, r in enumerate(batch)
        ]
        for offset in range(0, len(items), 25):
            pending: dict[str, Any] = {self.table: items[offset : offset + 25]}
            while pending:
                answer = self.dynamodb.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}

    def close(self, reason: str) -> None:
        print(f"handler_closed reason={reason} shard={self.context.shard_id}", file=sys.stderr, flush=True)


def main() -> int:
    settings = load_settings(AppSettings)
    configure_logging(settings.log_level, service="consumer-test-app")
    shutdown = Shutdown().install()

    def factory(context: ShardContext) -> RecordHandler:
        if settings.fail_factory:
            raise RuntimeError("injected factory failure")
        return DynamoHandler(context, settings)

    return run_consumer(settings, factory, shutdown)


if __name__ == "__main__":
    raise SystemExit(main())
