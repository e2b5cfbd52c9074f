"""Prometheus metrics: the HTTP endpoint here, the definitions in one module per service."""

from __future__ import annotations

from prometheus_client import start_http_server


def start_metrics_server(host: str, port: int) -> int:
    """Serve /metrics; returns the bound port (useful when `port` is 0)."""
    server, _thread = start_http_server(port, addr=host)
    return int(server.server_port)
