"""structlog JSON to stderr. Stdout is reserved: the KCL MultiLangDaemon protocol owns it."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog


class _CurrentStderr:
    """Looks up sys.stderr at every write, so a stream replaced later (the KCL child's redirect, pytest's
    capture) is honoured instead of writing to a stream that was closed."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


STDERR: Any = _CurrentStderr()


def configure_logging(level: str = "INFO", service: str = "tslake") -> structlog.stdlib.BoundLogger:
    numeric = logging.getLevelName(level.upper())
    logging.basicConfig(stream=STDERR, level=logging.WARNING, format="%(name)s %(levelname)s %(message)s")
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=STDERR),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    return structlog.get_logger()


def get_logger(**bindings: object) -> structlog.stdlib.BoundLogger:
    """Lazy: safe at import time, it takes the configuration in force when it first logs."""
    return structlog.get_logger(**bindings)


# Before configure_logging runs, structlog's own default would print to stdout, which the KCL
# protocol owns; send anything logged that early to stderr too.
if not structlog.is_configured():
    structlog.configure(logger_factory=structlog.WriteLoggerFactory(file=STDERR))
