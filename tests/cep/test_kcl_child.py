"""`tslake cep` as the KCL MultiLangDaemon's child (`TSLAKE_KCL_CHILD=1`), over the real stdin/stdout
protocol, with the daemon's side scripted message for message (the consumer layer's own tests run the
real JVM). Checks that the cep service speaks the protocol, keeps stdout clean, checkpoints only after
the match is on the CEP stream and the state is saved, and carries a partial match across batches."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.cep.helpers import matches, reading
from tests.support.kinesis import create_stream

SHARD = "shardId-000000000003"


def records(first_sequence: int, payloads: list[bytes]) -> list[dict[str, Any]]:
    return [
        {
            "action": "record",
            "data": base64.b64encode(data).decode(),
            "partitionKey": "sensor-07",
            "sequenceNumber": str(first_sequence + i),
            "subSequenceNumber": 0,
            "approximateArrivalTimestamp": 1_764_000_000_000 + i,
        }
        for i, data in enumerate(payloads)
    ]


def test_cep_as_kcl_child(endpoint: Any, tmp_path: Path) -> None:
    kinesis = endpoint.client("kinesis")
    source = create_stream(kinesis, "cep-kcl-in", shards=1)  # looked up for reshard lineage only
    output = create_stream(kinesis, "cep-kcl-out", shards=1)
    suffix = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        **endpoint.env(),
        "TSLAKE_KCL_CHILD": "1",
        "TSLAKE_CONSUMER_DRIVER": "kcl",
        "TSLAKE_STREAM": source,
        "TSLAKE_CEP_STREAM": output,
        "TSLAKE_APPLICATION_NAME": f"cep-kcl-{suffix}",
        "TSLAKE_STATE_TABLE": f"cep-kcl-state-{suffix}",
        "TSLAKE_ALLOWED_LATENESS_MS": "1000",
    }
    stderr = tmp_path / "child.log"
    child = subprocess.Popen(
        [sys.executable, "-m", "tslake.cli", "cep"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr.open("wb"), text=True,
    )  # fmt: skip
    assert child.stdin is not None and child.stdout is not None
    lines: list[str] = []

    def send(message: dict[str, Any]) -> None:
        assert child.stdin is not None
        child.stdin.write(json.dumps(message) + "\n")
        child.stdin.flush()

    def receive() -> dict[str, Any]:
        assert child.stdout is not None
        while True:
            line = child.stdout.readline()
            assert line, f"child closed stdout; stderr:\n{stderr.read_text()[-3000:]}"
            lines.append(line)
            if line.strip():
                return dict(json.loads(line))

    try:
        send({"action": "initialize", "shardId": SHARD, "sequenceNumber": "TRIM_HORIZON", "subSequenceNumber": None})
        assert receive() == {"action": "status", "responseFor": "initialize"}

        partial = [reading("sensor-07", 1000, "ERROR", 170), reading("sensor-07", 2000, "OK", 20),
                   b"garbage", reading("sensor-07", 4000, "OK", 30)]  # fmt: skip
        send({"action": "processRecords", "records": records(1, partial), "millisBehindLatest": 0})
        assert receive() == {"action": "checkpoint", "sequenceNumber": "4", "subSequenceNumber": 0}
        send({"action": "checkpoint", "sequenceNumber": "4", "subSequenceNumber": 0, "error": None})
        assert receive() == {"action": "status", "responseFor": "processRecords"}
        assert matches(kinesis, output) == []

        closing = [reading("sensor-07", 5000, "ERROR", 180), reading("sensor-07", 9000, "OK", 40)]
        send({"action": "processRecords", "records": records(5, closing), "millisBehindLatest": 0})
        checkpoint = receive()
        # By the time the child asks to checkpoint, the match is already on the CEP stream.
        assert checkpoint == {"action": "checkpoint", "sequenceNumber": "6", "subSequenceNumber": 0}
        (match,) = matches(kinesis, output)
        assert (match["event_time"], match["history"], match["non_errors"]) == (1_764_000_001_000, "OK-OK", 2)
        send({"action": "checkpoint", "sequenceNumber": "6", "subSequenceNumber": 0, "error": None})
        assert receive() == {"action": "status", "responseFor": "processRecords"}

        send({"action": "shutdownRequested"})
        assert receive() == {"action": "status", "responseFor": "shutdownRequested"}  # nothing new to checkpoint
        child.stdin.close()
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
    assert all(not line.strip() or json.loads(line) for line in lines)  # stdout is protocol only
    assert "dead_lettered" in stderr.read_text()
