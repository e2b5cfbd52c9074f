"""A fault-injecting HTTP proxy in front of the local endpoint, for Timestream WriteRecords (test infrastructure).

`plan(call_number, request)` decides per WriteRecords call: None passes it through to the real engine; a
(status, error type) pair answers it with that error instead, as a throttled or failing service does.
Every other request passes through untouched.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WRITE_RECORDS = "Timestream_20181101.WriteRecords"
Fault = tuple[int, str] | None


class TimestreamFaultProxy:
    def __init__(self, upstream: str, plan: Callable[[int, dict[str, Any]], Fault]) -> None:
        self.upstream = upstream.rstrip("/")
        self.plan = plan
        self.calls = 0
        self.injected = 0
        self.records_per_call: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> TimestreamFaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

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

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                fault = proxy._decide(body) if self.headers.get("X-Amz-Target") == WRITE_RECORDS else None
                if fault is not None:
                    status, kind = fault
                    payload = json.dumps({"__type": kind, "message": "injected by TimestreamFaultProxy"}).encode()
                    content_type = "application/x-amz-json-1.0"
                else:
                    status, payload, content_type = proxy._forward(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def _forward(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        headers = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "connection")}
        request = urllib.request.Request(self.upstream + path, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), response.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers.get("Content-Type", "application/json")
