"""One ASGI app on one loopback port: Timestream calls go to our DuckDB engine, everything else to moto.

Served by hypercorn, which speaks HTTP/1.1 and cleartext HTTP/2 (prior knowledge and Upgrade) on the
same port; the KCL's Kinesis client only speaks HTTP/2, boto3 only HTTP/1.1.

moto's models are not thread-safe (e.g. `Shard.put_record` reads the last key, then writes), so every
moto request runs on ONE worker thread; the Timestream engine (thread-safe, DuckDB releases the GIL)
gets its own small pool, so a long query never stalls Kinesis or DynamoDB lease renewals.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import structlog

from tslake.timestream.service import TARGET_PREFIX

log = structlog.get_logger()

HEALTH_PATH = "/_tslake/health"
# Calls wait in these threads during the simulated network latency (TSLAKE_LOCAL_TIMESTREAM_WRITE_LATENCY_MS),
# as they would on the wire: 4 threads would cap 25 ms calls at 16k records/s. The engine itself is locked.
TIMESTREAM_THREADS = 16
# Names the backend that answered: lets tests (and people reading a trace) see the routing.
BACKEND_HEADER = b"x-tslake-backend"
TIMESTREAM_CONTENT_TYPE = b"application/x-amz-json-1.0"
# Connection-specific headers are illegal in HTTP/2 responses and meaningless after we buffer the body.
_HOP_BY_HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"upgrade", b"proxy-connection"}

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class TimestreamHandler(Protocol):
    def handle(self, target: str, body: bytes) -> tuple[int, bytes]: ...


def moto_wsgi_app() -> WsgiApp:
    """moto's own server dispatcher: picks the backend from the SigV4 credential scope."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DomainDispatcherApplication(create_backend_app)


def build_environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """WSGI environ from an ASGI HTTP scope, the way moto's own request handler builds it.

    Headers with underscores are dropped (WSGI can't tell `X_Foo` from `X-Foo`) except S3 user
    metadata, whose original spelling moto reads from a side table.
    """
    from moto.core.request import (
        PRESERVED_HEADER_NAMES_ENVIRON_KEY,
        environ_key_for_header,
        should_preserve_original_header_name,
    )

    server = scope.get("server") or ("127.0.0.1", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": scope["path"].encode("utf8").decode("latin1"),
        "QUERY_STRING": scope["query_string"].decode("latin1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        environ["REMOTE_ADDR"] = scope["client"][0]
    preserved: dict[str, str] = {}
    authority = None
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin1")
        value = raw_value.decode("latin1")
        if name.startswith(":"):
            if name == ":authority":
                authority = value
            continue
        if "_" in name:
            if not should_preserve_original_header_name(name):
                continue
            key = environ_key_for_header(name)
            if key in environ:  # an underscored header never stands in for a dashed one
                continue
            preserved.setdefault(key, name)
        else:
            key = environ_key_for_header(name)
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    if "HTTP_HOST" not in environ:
        environ["HTTP_HOST"] = authority or f"{server[0]}:{server[1]}"
    # The body is complete and de-chunked: say so, or werkzeug reads a chunked (HTTP/1.1) or
    # length-less (HTTP/2) request body as empty.
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["CONTENT_LENGTH"] = str(len(body))
    environ["wsgi.input_terminated"] = True
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
    return environ


def call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run a WSGI app to completion; an empty body is still a complete response (HEAD, 204).

    A moto bug answers 500 InternalFailure (logged once, with the request's target) instead of
    tearing down the connection.
    """
    try:
        return _call_wsgi(app, environ)
    except Exception:
        log.exception(
            "moto_request_failed",
            method=environ.get("REQUEST_METHOD"),
            path=environ.get("PATH_INFO"),
            target=environ.get("HTTP_X_AMZ_TARGET"),
        )
        body = json.dumps({"__type": "InternalFailure", "message": "the local endpoint's moto backend failed"})
        return 500, [(b"content-type", b"application/x-amz-json-1.1")], body.encode()


def _call_wsgi(app: WsgiApp, environ: dict[str, Any]) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        started["status"] = int(status.split(" ", 1)[0])
        started["headers"] = headers
        return lambda _data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    headers = [
        (name.lower().encode("latin1"), value.encode("latin1"))
        for name, value in started.get("headers", [])
        if name.lower().encode("latin1") not in _HOP_BY_HOP
    ]
    return started.get("status", 500), headers, body


class EndpointApp:
    """The ASGI application behind `tslake local up`."""

    def __init__(self, timestream: TimestreamHandler, moto: WsgiApp | None = None) -> None:
        self.timestream = timestream
        self.moto = moto if moto is not None else moto_wsgi_app()
        self.moto_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moto")
        self.moto_requests = 0  # lets the snapshot loop skip idle periods
        self.timestream_thread = ThreadPoolExecutor(max_workers=TIMESTREAM_THREADS, thread_name_prefix="timestream")

    def shutdown(self) -> None:
        self.moto_thread.shutdown(wait=True)
        self.timestream_thread.shutdown(wait=True)

    def run_in_moto_thread(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` between moto requests (snapshots need a quiescent backend)."""
        return self.moto_thread.submit(fn).result()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        loop = asyncio.get_running_loop()
        target = _header(scope, b"x-amz-target")
        if target is not None and target.startswith(TARGET_PREFIX):
            status, headers, out = await loop.run_in_executor(
                self.timestream_thread, self._timestream, target, bytes(body)
            )
            headers.append((BACKEND_HEADER, b"timestream"))
        elif scope["path"] == HEALTH_PATH:
            status, headers, out = 200, [(b"content-type", b"application/json")], b'{"status":"ok"}'
        else:
            environ = build_environ(scope, bytes(body))
            self.moto_requests += 1
            status, headers, out = await loop.run_in_executor(self.moto_thread, call_wsgi, self.moto, environ)
            headers.append((BACKEND_HEADER, b"moto"))
        if not any(name == b"content-length" for name, _ in headers) and scope["method"] != "HEAD":
            headers.append((b"content-length", str(len(out)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else out})

    def _timestream(self, target: str, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        try:
            status, out = self.timestream.handle(target, body)
        except Exception as error:  # the engine's bug must not kill the endpoint; answer like AWS would
            log.exception("timestream_request_failed", target=target)
            status = 500
            out = json.dumps({"__type": "InternalServerException", "message": repr(error)}).encode()
        headers = [
            (b"content-type", TIMESTREAM_CONTENT_TYPE),
            (b"x-amzn-requestid", str(uuid.uuid4()).encode()),
        ]
        return status, headers, out

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def _header(scope: Scope, name: bytes) -> str | None:
    for raw_name, raw_value in scope.get("headers", []):
        if raw_name.lower() == name:
            return str(raw_value.decode("latin1"))
    return None
