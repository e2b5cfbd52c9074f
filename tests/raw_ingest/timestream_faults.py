"""A fault-injecting HTTP proxy in front of the local endpoint, for Timestream WriteRecords (test infrastructure).

`plan(call_number, request)` decides per WriteRecords call: None passes it through to the real engine; a
(status, error type) pair answers it with that error instead, as a throttled or failing service does.
Every other request passes through untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from email.message import Message
from typing import Any

from tests.support.proxy import LoopbackProxy, Response

WRITE_RECORDS = "Timestream_20181101.WriteRecords"
Fault = tuple[int, str] | None


class TimestreamFaultProxy(LoopbackProxy):
    def __init__(self, upstream: str, plan: Callable[[int, dict[str, Any]], Fault]) -> None:
        super().__init__(upstream)
        self.plan = plan
        self.calls = 0
        self.injected = 0
        self.records_per_call: list[int] = []

    def handle(self, path: str, headers: Message, body: bytes) -> Response:
        fault = self._decide(body) if headers.get("X-Amz-Target") == WRITE_RECORDS else None
        if fault is None:
            return self.forward(path, headers, body)
        status, kind = fault
        payload = json.dumps({"__type": kind, "message": "injected by TimestreamFaultProxy"}).encode()
        return status, payload, "application/x-amz-json-1.0"

    def _decide(self, body: bytes) -> Fault:
        with self._lock:
            self.calls += 1
            request = json.loads(body)
            fault = self.plan(self.calls, request)
            if fault is None:
                self.records_per_call.append(len(request["Records"]))
            else:
                self.injected += 1
            return fault
