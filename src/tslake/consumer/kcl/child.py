"""The record-processor child the MultiLangDaemon starts per shard lease: the KCL protocol on stdin/stdout.

Stdout belongs to the protocol, so before anything else the real stdout is moved to a private file
descriptor and fd 1 (and `sys.stdout`) point at stderr: a stray `print`, or a C library writing to fd 1,
lands in the daemon's log instead of corrupting the protocol.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import IO

from amazon_kclpy.kcl import KCLProcess

from tslake.consumer.processor import BatchProcessor
from tslake.consumer.records import HandlerFactory
from tslake.logs import configure_logging
from tslake.settings.consumer import ConsumerSettings

_protocol: IO[str] | None = None


def claim_stdout() -> IO[str]:
    """Return a private handle on the protocol stream and send everything else written to stdout to stderr.

    Idempotent: `import tslake.consumer` calls it first thing in a KCL child, `run_child` again.
    """
    global _protocol
    if _protocol is None:
        sys.stdout.flush()
        protocol_fd = os.dup(1)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        _protocol = os.fdopen(protocol_fd, "w", buffering=1, encoding="utf-8")
    return _protocol


def run_child(settings: ConsumerSettings, handler_factory: HandlerFactory) -> int:
    protocol_out = claim_stdout()
    log = configure_logging(settings.log_level, service=settings.application_name)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        # The daemon drives the shutdown (shutdownRequested, then EOF); a signal only ends a retry loop.
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _on_signal)
    processor = BatchProcessor(
        handler_factory,
        stream=settings.stream,
        application=settings.application_name,
        retry_initial_backoff_s=settings.retry_initial_backoff_millis / 1000,
        retry_max_backoff_s=settings.retry_max_backoff_millis / 1000,
        stop=stop,
    )
    log.info("kcl_child_started", pid=os.getpid())
    KCLProcess(processor, input_file=sys.stdin, output_file=protocol_out, error_file=sys.stderr).run()
    log.info("kcl_child_finished", shard_id=processor.shard_id, checkpoint=processor.checkpointed)
    return 0
