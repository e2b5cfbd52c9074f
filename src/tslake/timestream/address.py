"""The address DescribeEndpoints answers with.

boto3 clients pointed at the endpoint only through AWS_ENDPOINT_URL still run Timestream's endpoint
discovery (botocore skips it only for an explicit `endpoint_url=`), then send every call to the address
DescribeEndpoints returned. So the engine must answer with the URL it is served on: set by the endpoint
(`TimestreamService.endpoint_url`), else TSLAKE_LOCAL_TIMESTREAM_ADDRESS, else the one TCP socket this
process listens on, read from /proc (Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

ADDRESS_ENV = "TSLAKE_LOCAL_TIMESTREAM_ADDRESS"


def _listening_ports() -> list[tuple[str, int]]:
    inodes = set()
    fd_dir = Path("/proc/self/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return []
    found: list[tuple[str, int]] = []
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            if len(parts) < 10 or parts[3] != "0A" or parts[9] not in inodes:  # 0A: LISTEN
                continue
            port_hex = parts[1].rsplit(":", 1)[1]
            found.append(("127.0.0.1", int(port_hex, 16)))  # the endpoint binds loopback only
    return found


def advertised_url() -> str | None:
    configured = os.environ.get(ADDRESS_ENV)
    if configured:
        return configured
    ports = _listening_ports()
    if len(ports) == 1:
        host, port = ports[0]
        return f"http://{host}:{port}"
    return None
