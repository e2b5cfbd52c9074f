"""Live progress: one row per service with its counter total and rate, refreshed twice a second."""

from __future__ import annotations

import sys
import time
from collections import deque

from rich.console import Console
from rich.table import Table

from tslake.run.supervisor import ServiceProcess

RATE_WINDOW_SECONDS = 5.0


class ProgressBoard:
    def __init__(self, services: list[ServiceProcess], duration: float) -> None:
        self.services = services
        self.duration = duration
        self.started = time.monotonic()
        self.phase = "running"
        self._history: dict[str, deque[tuple[float, float]]] = {s.name: deque() for s in services}
        self._last: dict[str, float] = {s.name: 0.0 for s in services}

    def sample(self) -> None:
        now = time.monotonic()
        for service in self.services:
            value = service.progress()
            if value is None:
                continue
            self._last[service.name] = value
            history = self._history[service.name]
            history.append((now, value))
            while history and now - history[0][0] > RATE_WINDOW_SECONDS:
                history.popleft()

    def rate(self, name: str) -> float:
        history = self._history[name]
        if len(history) < 2 or history[-1][0] == history[0][0]:
            return 0.0
        return (history[-1][1] - history[0][1]) / (history[-1][0] - history[0][0])

    def render(self) -> Table:
        elapsed = time.monotonic() - self.started
        limit = f"/{self.duration:.0f}s" if self.duration else "s (Ctrl-C to stop)"
        table = Table(title=f"tslake run: {self.phase}, {elapsed:.0f}{limit}", title_justify="left")
        for column, justify in (("service", "left"), ("state", "left"), ("what", "left")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        table.add_column("total", justify="right")
        table.add_column("per second", justify="right")
        for service in self.services:
            state = "running" if service.alive() else f"exited {service.popen.returncode}"
            table.add_row(
                service.name,
                state,
                service.spec.progress_label,
                f"{self._last[service.name]:,.0f}",
                f"{self.rate(service.name):,.1f}",
            )
        return table

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        parts = [f"{s.name}={self._last[s.name]:,.0f} ({self.rate(s.name):,.1f}/s)" for s in self.services]
        return f"[{elapsed:5.0f}s {self.phase}] " + "  ".join(parts)


def make_console() -> Console:
    # A log file or CI has no width to ask; wide enough that the summary tables don't wrap.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 140)
