"""Start each service as its own `tslake <service>` process and stop it the way Kubernetes would (SIGTERM)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from tslake.local.process import free_port, terminate
from tslake.run.scrape import scrape
from tslake.run.services import ServiceSpec


class ServiceProcess:
    def __init__(self, spec: ServiceSpec, base_env: dict[str, str], log_dir: Path) -> None:
        self.spec = spec
        self.metrics_port = free_port()
        self.log_path = log_dir / f"{spec.name}.log"
        env = {**os.environ, **base_env, **spec.env, "TSLAKE_METRICS_PORT": str(self.metrics_port)}
        self._log: IO[bytes] = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "tslake.cli", *spec.command],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # Ctrl-C reaches `tslake run` only; it stops the children in order
        )

    @property
    def name(self) -> str:
        return self.spec.name

    def alive(self) -> bool:
        return self.popen.poll() is None

    def metrics(self) -> dict[str, float] | None:
        return scrape(self.metrics_port) if self.alive() else None

    def progress(self) -> float | None:
        sample = self.metrics()
        return None if sample is None else sample.get(self.spec.progress_metric, 0.0)

    def stop(self, timeout: float = 30.0) -> int:
        code = terminate(self.popen, timeout)
        self._log.close()
        return code

    def log_events(self, event: str) -> list[dict[str, Any]]:
        """The structured log lines of one event name, oldest first."""
        found = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{") and f'"{event}"' in line:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if record.get("event") == event:
                    found.append(record)
        return found

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
