"""A fault-injecting HTTP proxy in front of the local endpoint (test infrastructure, not a mock).

Kinesis PutRecords requests pass through to the real endpoint, except that chosen entries are held
back and answered with ProvisionedThroughputExceededException, as a hot shard does in AWS. Every
entry the proxy sees is recorded, so a test can tell exactly what a client resent.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from email.message import Message

from tests.support.proxy import LoopbackProxy, Response

PUT_RECORDS = "Kinesis_20131202.PutRecords"
THROTTLED = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded (injected)"}


class KinesisFaultProxy(LoopbackProxy):
    default_content_type = "application/x-amz-json-1.1"

    def __init__(self, upstream: str, should_fail: Callable[[bytes, int], bool]) -> None:
        """`should_fail(data, times_seen_before)` decides per PutRecords entry."""
        super().__init__(upstream)
        self.should_fail = should_fail
        self.seen: dict[bytes, int] = {}  # every entry received, with how often
        self.refused = 0

    def handle(self, path: str, headers: Message, body: bytes) -> Response:
        if headers.get("X-Amz-Target", "") != PUT_RECORDS:
            return self.forward(path, headers, body)
        body, failed = self._split(body)
        if failed and not json.loads(body)["Records"]:
            status, payload, content_type = 200, b'{"FailedRecordCount":0,"Records":[]}', self.default_content_type
        else:
            status, payload, content_type = self.forward(path, headers, body)
            if status >= 300:
                return status, payload, content_type
        if not failed:
            return status, payload, content_type
        # Re-insert the refused entries at their original positions, as Kinesis reports them.
        result = json.loads(payload)
        accepted = iter(result["Records"])
        total = len(result["Records"]) + len(failed)
        refused = set(failed)
        result["Records"] = [dict(THROTTLED) if i in refused else next(accepted) for i in range(total)]
        result["FailedRecordCount"] = result.get("FailedRecordCount", 0) + len(failed)
        return status, json.dumps(result).encode(), content_type

    def _split(self, body: bytes) -> tuple[bytes, list[int]]:
        request = json.loads(body)
        keep, failed = [], []
        with self._lock:
            for index, entry in enumerate(request["Records"]):
                data = base64.b64decode(entry["Data"])
                before = self.seen.get(data, 0)
                self.seen[data] = before + 1
                if self.should_fail(data, before):
                    failed.append(index)
                    self.refused += 1
                else:
                    keep.append(entry)
        request["Records"] = keep
        return json.dumps(request).encode(), failed
