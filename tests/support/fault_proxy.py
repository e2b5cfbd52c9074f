"""A fault-injecting HTTP proxy in front of the local endpoint (test infrastructure, not a mock).

Kinesis PutRecords requests pass through to the real endpoint, except that chosen entries are held
back and answered with ProvisionedThroughputExceededException, as a hot shard does in AWS. Every
entry the proxy sees is recorded, so a test can tell exactly what a client resent.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUT_RECORDS = "Kinesis_20131202.PutRecords"
THROTTLED = {"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "Rate exceeded (injected)"}


class KinesisFaultProxy:
    def __init__(self, upstream: str, should_fail: Callable[[bytes, int], bool]) -> None:
        """`should_fail(data, times_seen_before)` decides per PutRecords entry."""
        self.upstream = upstream.rstrip("/")
        self.should_fail = should_fail
        self.seen: dict[bytes, int] = {}  # every entry received, with how often
        self.refused = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> KinesisFaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

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

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                target = self.headers.get("X-Amz-Target", "")
                failed: list[int] = []
                if target == PUT_RECORDS:
                    body, failed = proxy._split(body)
                status, payload, content_type = proxy._forward(self.path, dict(self.headers), body, failed)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def _forward(self, path: str, headers: dict[str, str], body: bytes, failed: list[int]) -> tuple[int, bytes, str]:
        headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
        if failed and not json.loads(body)["Records"]:
            payload = b'{"FailedRecordCount":0,"Records":[]}'
            status, content_type = 200, "application/x-amz-json-1.1"
        else:
            request = urllib.request.Request(self.upstream + path, data=body, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    status, payload = response.status, response.read()
                    content_type = response.headers.get("Content-Type", "application/x-amz-json-1.1")
            except urllib.error.HTTPError as error:
                return error.code, error.read(), error.headers.get("Content-Type", "application/x-amz-json-1.1")
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
