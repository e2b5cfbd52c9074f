"""Start the endpoint, provision, start every service, show progress, drain, export, summarise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.live import Live

from tslake import names
from tslake.lifecycle import Shutdown
from tslake.local.process import EndpointProcess, start_endpoint
from tslake.run import counts
from tslake.run.progress import ProgressBoard, make_console
from tslake.run.services import module_available, pipeline
from tslake.run.supervisor import ServiceProcess

EXPORT_MODULE = "tslake_exporter.main"
CEP_ROWS_PER_EVENT = 4  # the seed layout writes min/avg/max temperature and elapsed as four records


class RunError(RuntimeError):
    """The local pipeline could not start; the message says what to do."""


@dataclass
class RunOptions:
    duration: float
    work_dir: Path
    port: int
    generator_args: tuple[str, ...]
    drain_timeout: float
    export_interval: float


@dataclass
class Summary:
    duration_seconds: float
    generated: int | None = None
    raw_rows: int | None = None
    cep_events: int | None = None
    cep_rows: int | None = None
    exported_rows: int | None = None
    exported_files: int | None = None
    dead_lettered: int | None = None
    exit_codes: dict[str, int] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    lake_join: list[dict[str, Any]] | None = None


class LocalRun:
    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.console = make_console()
        self.log_dir = options.work_dir / "logs"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.services: dict[str, ServiceProcess] = {}
        self.endpoint: EndpointProcess | None = None
        self.shutdown = Shutdown()
        self.exporter_available = module_available(EXPORT_MODULE)

    # -- lifecycle ---------------------------------------------------------------------------------------
    def execute(self) -> Summary:
        self.shutdown.install()
        started = time.monotonic()
        run_start = datetime.now(UTC).replace(microsecond=0)
        try:
            self._start_endpoint()
            all_specs = pipeline(self.options.generator_args)
            specs = [s for s in all_specs if s.available()]
            skipped = [s.name for s in all_specs if not s.available()]
            if skipped:
                self.console.print(f"not yet part of the pipeline: {', '.join(skipped)}")
            # Consumers first, so the generator's first readings are picked up at once.
            for spec in sorted(specs, key=lambda s: s.name == "generator"):
                self.services[spec.name] = ServiceProcess(spec, self._env(), self.log_dir)
            board = ProgressBoard(list(self.services.values()), self.options.duration)
            self._watch(board, run_start)
            board.phase = "draining"
            self._drain(board)
            summary = self._summarise(time.monotonic() - started, run_start)
        finally:
            for service in self.services.values():
                service.stop()
            if self.endpoint:
                self.endpoint.stop()
        return summary

    def _env(self) -> dict[str, str]:
        assert self.endpoint
        return {**self.endpoint.env(), "TSLAKE_LOG_LEVEL": "INFO"}

    def _start_endpoint(self) -> None:
        self.console.print(f"starting the local AWS endpoint on 127.0.0.1:{self.options.port} ...")
        self.endpoint = start_endpoint(port=self.options.port, log_path=self.log_dir / "endpoint.log", timeout=60)
        # The same commands an operator runs by hand against a fresh endpoint.
        for setup in (("local", "provision"), ("lake", "load-master")):
            done = subprocess.run(
                [sys.executable, "-m", "tslake.cli", *setup],
                env={**os.environ, **self.endpoint.env()},
                capture_output=True,
                text=True,
                timeout=180,
            )
            if done.returncode != 0:
                raise RunError(f"`tslake {' '.join(setup)}` failed:\n{done.stdout}{done.stderr}")
        os.environ.update(self.endpoint.env())  # the counts below read the stores with plain boto3

    def _live(self, board: ProgressBoard) -> Any:
        if self.console.is_terminal:
            return Live(board.render(), console=self.console, refresh_per_second=2, transient=False)
        return nullcontext()

    def _tick(self, board: ProgressBoard, live: Any, last_line: list[float]) -> None:
        board.sample()
        if live is not None:
            live.update(board.render())
        elif time.monotonic() - last_line[0] >= 10:
            self.console.print(board.line(), soft_wrap=True)
            last_line[0] = time.monotonic()

    def _watch(self, board: ProgressBoard, run_start: datetime) -> None:
        last_export = time.monotonic()
        last_line = [0.0]
        with self._live(board) as live:
            while not self.shutdown.requested:
                if self.options.duration and time.monotonic() - board.started >= self.options.duration:
                    break
                if not self.services["generator"].alive():
                    break
                self._tick(board, live, last_line)
                if time.monotonic() - last_export >= self.options.export_interval:
                    self._export(run_start, datetime.now(UTC))
                    last_export = time.monotonic()
                self.shutdown.wait(0.5)

    def _wait_until(self, board: ProgressBoard, done: Callable[[], bool], what: str) -> bool:
        deadline = time.monotonic() + self.options.drain_timeout
        last_line = [0.0]
        with self._live(board) as live:
            while time.monotonic() < deadline:
                self._tick(board, live, last_line)
                if done():
                    return True
                time.sleep(0.5)
        self.console.print(f"[yellow]drain: gave up waiting for {what} after {self.options.drain_timeout:.0f}s")
        return False

    def _drain(self, board: ProgressBoard) -> None:
        """Stop the generator, then let every consumer catch up before anything else stops."""
        self.services["generator"].stop()
        generated = self._generated()
        readers = [s for name, s in self.services.items() if name in ("raw-ingest", "cep")]
        self._wait_until(
            board, lambda: all((s.progress() or 0) >= (generated or 0) for s in readers), "the input stream"
        )
        if "cep-ingest" in self.services:
            cep_events = counts.stream_records(names.CEP_STREAM)
            self._wait_until(board, lambda: (self.services["cep-ingest"].progress() or 0) >= cep_events, "CEP stream")

    # -- export and counts -------------------------------------------------------------------------------
    def _export(self, start: datetime, end: datetime) -> None:
        if not self.exporter_available:
            return
        floor = start.replace(second=0)
        ceil = (end + timedelta(minutes=1)).replace(second=0, microsecond=0)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "tslake.cli",
                "exporter",
                "--start",
                floor.isoformat(),
                "--end",
                ceil.isoformat(),
                "--window-minutes",
                "1",
            ],
            env={**os.environ, **self._env(), "TSLAKE_METRICS_PORT": "0"},
            stdout=subprocess.DEVNULL,
            stderr=(self.log_dir / "exporter.log").open("ab"),
            timeout=300,
        )
        if proc.returncode != 0:
            self.console.print(f"[red]exporter exited {proc.returncode}; see {self.log_dir / 'exporter.log'}")

    def _generated(self) -> int | None:
        stopped = self.services["generator"].log_events("generator_stopped")
        return int(stopped[-1]["sent"]) if stopped else None

    def _summarise(self, seconds: float, run_start: datetime) -> Summary:
        summary = Summary(duration_seconds=round(seconds, 1), generated=self._generated())
        has = self.services.__contains__
        if has("raw-ingest"):
            summary.raw_rows = counts.table_rows(names.RAW_TABLE)
            summary.dead_lettered = counts.objects_under(names.DEAD_LETTER_PREFIX)
        if has("cep"):
            summary.cep_events = counts.stream_records(names.CEP_STREAM)
        if has("cep-ingest"):
            summary.cep_rows = counts.table_rows(names.CEP_TABLE)
        if self.exporter_available:
            self._export(run_start, datetime.now(UTC))
            summary.exported_files = counts.objects_under(names.INTERPOLATED_PREFIX) + counts.objects_under(
                names.CEP_EXPORT_PREFIX
            )
            summary.exported_rows = counts.lake_rows("interpolated")
            summary.lake_join = counts.lake_join()
        summary.exit_codes = {name: service.stop() for name, service in self.services.items()}
        summary.checks = self._checks(summary)
        return summary

    @staticmethod
    def _checks(summary: Summary) -> dict[str, bool]:
        checks: dict[str, bool] = {"every service exited cleanly": all(c == 0 for c in summary.exit_codes.values())}
        if summary.raw_rows is not None:
            checks["raw_rows == generated"] = summary.raw_rows == summary.generated
        if summary.dead_lettered is not None:
            checks["dead_lettered == 0"] = summary.dead_lettered == 0
        if summary.cep_events is not None:
            checks["cep_events > 0"] = summary.cep_events > 0
        if summary.cep_rows is not None and summary.cep_events is not None:
            checks[f"cep_rows == {CEP_ROWS_PER_EVENT} x cep_events"] = (
                summary.cep_rows == CEP_ROWS_PER_EVENT * summary.cep_events
            )
        if summary.exported_rows is not None:
            checks["exported_rows > 0"] = summary.exported_rows > 0
        return checks


def write_summary(summary: Summary, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(summary), indent=2, default=str) + "\n")
