"""The cep handler against the local endpoint (real Kinesis, S3 and DynamoDB over HTTP).

Records are put on a real stream and read back as the consumer layer delivers them; the handler puts
its matches with PutRecords on a real CEP stream and saves its state in a real DynamoDB table. The
service-level restart and lease-move tests (real subprocesses, the Python driver) are in test_service.py.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from tslake_cep.handler import CepHandler

from tests.cep.helpers import matches, put, reading, source_records
from tests.support.kinesis import create_stream
from tslake import names
from tslake.cep.state import StateConflictError
from tslake.cep.state.dynamodb import DynamoStateStore
from tslake.consumer import ShardContext, SourceRecord
from tslake.deadletter import DeadLetterWriter
from tslake.producer import KinesisProducer

APP = "cep-test"


class Env:
    def __init__(self, endpoint: Any) -> None:
        self.kinesis = endpoint.client("kinesis")
        self.s3 = endpoint.client("s3")
        self.input = create_stream(self.kinesis, "cep-in", shards=1)
        self.output = create_stream(self.kinesis, "cep-out", shards=1)
        self.store = DynamoStateStore(f"cep-state-{uuid.uuid4().hex[:8]}", endpoint.client("dynamodb"))
        self.store.ensure_table()
        self.dead_letters = DeadLetterWriter(names.LAKE_BUCKET, "cep", self.s3)

    def handler(self, shard_id: str = "shardId-000000000000", lateness_ms: int = 1000) -> CepHandler:
        return CepHandler(
            context=ShardContext(stream=self.input, shard_id=shard_id, starting_sequence_number=None),
            application=APP,
            producer=KinesisProducer(self.output, self.kinesis),
            dead_letters=self.dead_letters,
            store=self.store,
            allowed_lateness_ms=lateness_ms,
        )

    def put_and_read(self, payloads: list[bytes], sensor: str = "sensor-01") -> list[SourceRecord]:
        before = len(source_records(self.kinesis, self.input))
        put(self.kinesis, self.input, [(sensor, p) for p in payloads])
        return source_records(self.kinesis, self.input)[before:]

    def dead_letter_keys(self, reason: str) -> list[str]:
        prefix = f"{names.DEAD_LETTER_PREFIX}cep/{reason}/{self.input}/"
        listing = self.s3.list_objects_v2(Bucket=names.LAKE_BUCKET, Prefix=prefix)
        return [o["Key"] for o in listing.get("Contents", [])]


@pytest.fixture
def env(endpoint: Any) -> Env:
    return Env(endpoint)


def test_match_is_put_with_sensor_partition_key_in_cep_data_layout(env: Env) -> None:
    handler = env.handler()
    handler.handle(env.put_and_read([
        reading("sensor-01", 1000, "ERROR", 10), reading("sensor-01", 2000, "OK", 20),
        reading("sensor-01", 3000, "WARNING", 30), reading("sensor-01", 4000, "ERROR", 40),
        reading("sensor-01", 9000, "OK", 50),  # moves the watermark past the C
    ]))  # fmt: skip
    (match,) = matches(env.kinesis, env.output)
    assert match == {
        "sensor_id": "sensor-01", "event_time": 1_764_000_001_000, "non_errors": 2, "history": "OK-WARNING",
        "min_temperature": 10.0, "avg_temperature": 25.0, "max_temperature": 40.0, "elapsed": 3,
        "_partition_key": "sensor-01",
    }  # fmt: skip


def test_garbage_does_not_corrupt_state_and_is_dead_lettered(env: Env) -> None:
    handler = env.handler()
    batch = env.put_and_read([
        reading("sensor-01", 1000, "ERROR"),
        b"{not json",
        b'{"sensor_id": "sensor-01", "temperature": 1, "status": "BROKEN", "event_time": 1764000001500}',
        b'{"sensor_id": "sensor-01", "status": "OK", "event_time": 1764000001600}',
        reading("sensor-01", 2000, "OK"),
        reading("sensor-01", 3000, "ERROR"),
        reading("sensor-01", 9000, "OK"),
    ])  # fmt: skip
    handler.handle(batch)
    (match,) = matches(env.kinesis, env.output)
    # The bad records were neither B's nor breaks in contiguity: exactly one OK between the ERRORs.
    assert (match["non_errors"], match["history"]) == (1, "OK")
    assert len(env.dead_letter_keys("malformed_json")) == 1
    assert len(env.dead_letter_keys("schema_violation")) == 2
    key = env.dead_letter_keys("malformed_json")[0]
    assert key.endswith(f"/{batch[1].sequence_number}.json")  # keyed by source position, like raw-ingest


def test_late_reading_is_dead_lettered_not_fed(env: Env) -> None:
    handler = env.handler(lateness_ms=1000)
    handler.handle(env.put_and_read([reading("sensor-01", 10_000, "ERROR"), reading("sensor-01", 20_000, "OK")]))
    handler.handle(env.put_and_read([reading("sensor-01", 5_000, "OK")]))  # 15 s behind: late
    assert len(env.dead_letter_keys("late_event")) == 1
    handler.handle(env.put_and_read([reading("sensor-01", 21_000, "ERROR"), reading("sensor-01", 30_000, "OK")]))
    (match,) = matches(env.kinesis, env.output)
    assert (match["event_time"], match["history"]) == (1_764_000_010_000, "OK")


def test_restart_mid_match_resumes_from_saved_state_and_skips_redelivery(env: Env) -> None:
    first = env.put_and_read(
        [reading("sensor-01", 1000, "ERROR"), reading("sensor-01", 2000, "OK"), reading("sensor-01", 4000, "OK")]
    )
    env.handler().handle(first)
    assert matches(env.kinesis, env.output) == []
    # A new process (or new lease owner) resumes; the layer re-delivers the uncheckpointed batch too.
    second = env.handler()
    assert second.state.engine.open_partials == 1  # A and one B, in the engine
    assert len(second.state.buffer) == 1  # the second B, waiting for the watermark
    rest = env.put_and_read([reading("sensor-01", 5000, "ERROR"), reading("sensor-01", 9000, "OK")])
    second.handle(first + rest)
    second.handle(first + rest)  # and once more, as after a failed checkpoint
    (match,) = matches(env.kinesis, env.output)
    assert (match["event_time"], match["history"], match["elapsed"]) == (1_764_000_001_000, "OK-OK", 4)


def test_stale_owner_cannot_overwrite_new_owners_state(env: Env) -> None:
    old, new = env.handler(), env.handler()
    old.handle(env.put_and_read([reading("sensor-02", 500, "OK")]))  # old owns the shard and saved
    # The lease moves: new loads old's state and saves after its first batch...
    new.handle(env.put_and_read([reading("sensor-01", 1000, "ERROR"), reading("sensor-01", 2000, "OK")]))
    # ... and old, not yet aware it lost the lease, must not save over it.
    batch = env.put_and_read([reading("sensor-01", 3000, "ERROR"), reading("sensor-01", 9000, "OK")])
    with pytest.raises(StateConflictError):
        old.handle(batch)
    assert matches(env.kinesis, env.output) == []  # old's stale state has no A: nothing was put
    old.handle(batch)  # the layer retries; old has adopted the saved state
    (match,) = matches(env.kinesis, env.output)
    assert match["event_time"] == 1_764_000_001_000
