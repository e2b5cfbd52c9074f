"""The running endpoint: hypercorn serving `EndpointApp`, state restored at start and saved on stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from pathlib import Path

import structlog

from tslake.local.persistence import MotoState, StateRestoreError
from tslake.local.server import EndpointApp

log = structlog.get_logger()


class Endpoint:
    def __init__(
        self,
        *,
        sock: socket.socket,
        host: str,
        data_dir: Path | None,
        snapshot_interval: float = 30.0,
        kinesis_fix: bool = True,
        parent_pid: int | None = None,
    ) -> None:
        self.sock = sock
        self.host = host
        self.port = int(sock.getsockname()[1])
        self.data_dir = data_dir
        self.snapshot_interval = snapshot_interval
        self.kinesis_fix = kinesis_fix
        self.parent_pid = parent_pid

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def run(self) -> int:
        if self.kinesis_fix:
            from tslake.local import kinesis_patch

            try:
                kinesis_patch.install()
            except kinesis_patch.KinesisPatchError as error:
                log.error("kinesis_fix_incompatible", detail=str(error), hint="run with --no-kinesis-fix meanwhile")
                return 2
        state: MotoState | None = None
        if self.data_dir is not None:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            state = MotoState(self.data_dir)
            try:
                restored = state.restore()
            except StateRestoreError as error:
                log.error("moto_state_unreadable", path=str(state.path), detail=str(error))
                return 2
            log.info("moto_state_restored" if restored else "moto_state_fresh", path=str(state.path))
        from tslake.timestream.service import TimestreamService

        timestream = TimestreamService(self.data_dir)
        timestream.endpoint_url = self.url  # what its DescribeEndpoints answers
        app = EndpointApp(timestream)
        try:
            asyncio.run(self._serve(app, state))
        finally:
            if state is not None:
                try:
                    app.run_in_moto_thread(state.save)
                    log.info("moto_state_saved", path=str(state.path))
                except Exception:  # keep the previous snapshot; it is replaced atomically or not at all
                    log.exception("moto_state_save_failed", path=str(state.path))
            app.shutdown()
            timestream.close()
            with contextlib.suppress(OSError):  # hypercorn may already have closed the listening fd
                self.sock.close()
        log.info("endpoint_stopped", url=self.url)
        return 0

    async def _serve(self, app: EndpointApp, state: MotoState | None) -> None:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        stop = asyncio.Event()
        loop = asyncio.get_running_loop()

        def request_stop(sig: signal.Signals) -> None:
            if not stop.is_set():
                log.info("shutdown_requested", signal=sig.name)
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, request_stop, sig)
        config = Config()
        config.bind = [f"fd://{self.sock.fileno()}"]
        config.accesslog = None
        config.include_server_header = False  # moto already answers `server: amazon.com`
        config.errorlog = logging.getLogger("hypercorn.error")
        config.graceful_timeout = 3.0
        config.keep_alive_timeout = 75.0
        tasks = []
        if state is not None:
            tasks.append(asyncio.create_task(self._snapshot_loop(app, state)))
        if self.parent_pid is not None:
            tasks.append(asyncio.create_task(self._watch_parent(self.parent_pid, stop)))
        log.info(
            "endpoint_listening",
            url=self.url,
            data_dir=str(self.data_dir) if self.data_dir else None,
            kinesis_fix=self.kinesis_fix,
        )
        try:
            await serve(app, config, shutdown_trigger=stop.wait)  # type: ignore[arg-type]
        finally:
            for task in tasks:
                task.cancel()

    async def _watch_parent(self, parent_pid: int, stop: asyncio.Event) -> None:
        """A test run or `tslake run` killed with SIGKILL must not leave an orphaned endpoint behind."""
        while not stop.is_set():
            await asyncio.sleep(1.0)
            if os.getppid() != parent_pid:
                log.warning("parent_exited", parent_pid=parent_pid)
                stop.set()

    async def _snapshot_loop(self, app: EndpointApp, state: MotoState) -> None:
        """Save after changes; a snapshot stalls moto, so keep that under ~10% of the time."""
        interval = self.snapshot_interval
        saved_at_request = app.moto_requests
        while True:
            await asyncio.sleep(interval)
            if app.moto_requests == saved_at_request:
                continue
            saved_at_request = app.moto_requests
            started = time.monotonic()
            try:
                await asyncio.wrap_future(app.moto_thread.submit(state.save))
            except Exception:  # a failed snapshot must not stop the endpoint; the next one retries
                log.exception("moto_state_save_failed")
                continue
            seconds = time.monotonic() - started
            interval = max(self.snapshot_interval, 10 * seconds)
            log.debug("moto_state_saved", seconds=round(seconds, 3), next_in=round(interval, 1))
