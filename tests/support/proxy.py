"""A loopback HTTP proxy in front of the local endpoint, the base of the fault-injecting proxies (test infrastructure).

Every POST is handed to `handle`, which by default forwards it to the upstream unchanged; a subclass
overrides `handle` to answer some requests itself or to rewrite a request or the upstream's response.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

Response = tuple[int, bytes, str]  # status, body, content type
HOP_BY_HOP = ("host", "content-length", "connection")


class LoopbackProxy:
    # Content type of an upstream answer that names none.
    default_content_type = "application/json"

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self._lock = threading.Lock()  # for the subclass's counters: requests arrive on several threads
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def handle(self, path: str, headers: Message, body: bytes) -> Response:
        return self.forward(path, headers, body)

    def forward(self, path: str, headers: Message, body: bytes) -> Response:
        """Send the request on to the upstream; an error status comes back as a response, not an exception."""
        kept = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        request = urllib.request.Request(self.upstream + path, data=body, headers=kept, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read(), response.headers.get("Content-Type", self.default_content_type)
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers.get("Content-Type", self.default_content_type)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, payload, content_type = proxy.handle(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler
