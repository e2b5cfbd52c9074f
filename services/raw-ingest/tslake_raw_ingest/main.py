"""`tslake raw-ingest`: a KCL consumer writing one Kinesis stream into one time-series table.

Thin wiring; the logic is in `tslake.ingest`. Settings are `TSLAKE_*` variables (see
`tslake.settings.raw_ingest`); the consumer layer serves /metrics and runs the chosen driver.
"""

from __future__ import annotations

import argparse

from tslake.consumer import run_consumer
from tslake.ingest.factory import SERVICE, handler_factory
from tslake.lifecycle import Shutdown
from tslake.logs import configure_logging
from tslake.settings import load_settings
from tslake.settings.raw_ingest import RawIngestSettings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "Configured by TSLAKE_* environment variables; see services/raw-ingest/README.md."


def run(args: argparse.Namespace) -> int:
    settings = load_settings(RawIngestSettings)
    log = configure_logging(settings.log_level, SERVICE)
    shutdown = Shutdown().install()
    log.info(
        "starting",
        stream=settings.stream,
        table=f"{settings.timestream_database}.{settings.timestream_table}",
        layout=str(settings.table_layout),
        driver=settings.consumer_driver,
        sink=settings.sink,
        write_concurrency=settings.write_concurrency,
    )
    return run_consumer(settings, handler_factory(settings), shutdown)
