"""SIGTERM and SIGINT set a flag; services finish in-flight work, checkpoint and exit."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import structlog


class Shutdown:
    """A process-wide stop flag set by SIGTERM/SIGINT (a second signal does not kill mid-write)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name: str | None = None

    def install(self) -> Shutdown:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name
        if not self._event.is_set():
            structlog.get_logger().info("shutdown_requested", signal=self.signal_name)
        self._event.set()

    def request(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to `timeout`; True as soon as shutdown is requested."""
        return self._event.wait(timeout)
