"""`tslake local up` (the endpoint) and `tslake local provision` (the resources the pipeline needs)."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

from tslake import names


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    up = sub.add_parser("up", help="serve moto + the Timestream engine on one loopback port (HTTP/1.1 and h2c)")
    up.add_argument("--host", default=names.LOCAL_HOST, help="address to bind (default %(default)s)")
    up.add_argument("--port", type=int, default=names.LOCAL_PORT, help="port to bind (default %(default)s)")
    up.add_argument("--data-dir", type=Path, help="persist state here across restarts (default: in memory)")
    up.add_argument(
        "--snapshot-interval", type=float, default=30.0, help="seconds between moto state snapshots (with --data-dir)"
    )
    up.add_argument(
        "--no-kinesis-fix", action="store_true", help="serve stock moto Kinesis (O(n) per record; for benchmarks)"
    )
    up.add_argument("--exit-with-parent", action="store_true", help="stop when the process that started this one exits")
    up.add_argument("--log-level", default="INFO")
    prov = sub.add_parser("provision", help="create the streams, bucket and tables (idempotent)")
    prov.add_argument("--log-level", default="INFO")


def run(args: argparse.Namespace) -> int:
    if args.action == "up":
        return run_up(args)
    from tslake.local.provision import provision

    return provision(args.log_level)


class PortInUseError(OSError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(errno.EADDRINUSE, f"{host}:{port} is already in use; choose another port with --port")
        self.host = host
        self.port = port


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind ourselves (not hypercorn) so a taken port gives one clear error naming --port."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUseError(host, port) from error
        raise
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class JsonLogFormatter(logging.Formatter):
    """Library (stdlib logging) lines as JSON, like our structlog lines, so stderr stays one format."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "event": "library_log",
            "logger": record.name,
            "level": record.levelname.lower(),
            "message": record.getMessage(),
            "service": "local-endpoint",
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line)


def quiet_library_logs() -> None:
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonLogFormatter())
    for name in ("werkzeug", "moto", "hypercorn.access", "botocore", "urllib3", "flask_cors"):
        logging.getLogger(name).setLevel(logging.ERROR)
    logging.getLogger("hypercorn.error").setLevel(logging.WARNING)


def run_up(args: argparse.Namespace) -> int:
    from tslake.logs import configure_logging

    log = configure_logging(args.log_level, "local-endpoint")
    quiet_library_logs()
    try:
        sock = bind_socket(args.host, args.port)
    except PortInUseError as error:
        log.error("port_in_use", host=error.host, port=error.port, hint="choose another port with --port")
        return 1
    port = sock.getsockname()[1]
    os.environ["MOTO_PORT"] = str(port)  # moto puts its own URL into some responses
    from tslake.local.endpoint import Endpoint

    endpoint = Endpoint(
        sock=sock,
        host=args.host,
        data_dir=args.data_dir,
        snapshot_interval=args.snapshot_interval,
        kinesis_fix=not args.no_kinesis_fix,
        parent_pid=os.getppid() if args.exit_with_parent else None,
    )
    return endpoint.run()
