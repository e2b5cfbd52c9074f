"""`tslake generator`: synthetic sensor readings onto the input stream."""

from __future__ import annotations

import argparse
import dataclasses
import sys

from tslake.generator.replica import ReplicaIdentityError, replica_id_from, sensor_ids
from tslake.lifecycle import Shutdown
from tslake.logs import configure_logging
from tslake.metrics import generator as metrics
from tslake.metrics import start_metrics_server
from tslake.producer import KinesisProducer
from tslake.settings import load_settings
from tslake.settings.generator import GeneratorSettings, pod_environment
from tslake_generator.processor import Generator

# flag -> settings field; a flag overrides its TSLAKE_GENERATOR_* variable
FLAGS = {
    "rate": ("--rate", float, "target records/s for this replica (default: the seed's 1 s tick)"),
    "sensors": ("--sensors", int, "sensors owned by this replica (default 100)"),
    "seed": ("--seed", int, "random seed for deterministic output"),
    "replica_id": ("--replica-id", int, "replica identity (default: the pod name's ordinal, else 0)"),
    "count": ("--count", int, "stop after this many records"),
    "duration_seconds": ("--duration", float, "stop after this many seconds"),
    "stream": ("--stream", str, "the Kinesis stream"),
    "metrics_port": ("--metrics-port", int, "Prometheus port (0 picks a free one)"),
}


def configure(parser: argparse.ArgumentParser) -> None:
    for field, (flag, kind, help_text) in FLAGS.items():
        parser.add_argument(flag, dest=field, type=kind, help=help_text)


def run(args: argparse.Namespace) -> int:
    overrides = {field: getattr(args, field) for field in FLAGS if getattr(args, field) is not None}
    settings = load_settings(GeneratorSettings, **overrides)
    log = configure_logging(settings.log_level, "generator")
    try:
        replica = replica_id_from(settings.replica_id, *pod_environment())
    except ReplicaIdentityError as exc:
        print(f"tslake: invalid setting TSLAKE_GENERATOR_REPLICA_ID: {exc}", file=sys.stderr)
        return 2
    ids = sensor_ids(replica, settings.sensors)
    port = start_metrics_server(settings.metrics_host, settings.metrics_port)
    shutdown = Shutdown().install()
    producer = KinesisProducer(settings.stream, on_call=_observe_call)
    log.info(
        "generator_started",
        stream=settings.stream,
        replica_id=replica,
        sensors=f"{ids[0]}..{ids[-1]}",
        tick_seconds=settings.tick_seconds,
        metrics_port=port,
    )
    totals = Generator(settings, ids, producer, shutdown).run()
    log.info("generator_stopped", **dataclasses.asdict(totals))
    return 0


def _observe_call(seconds: float, records: int) -> None:
    metrics.BATCH_SECONDS.observe(seconds)
    metrics.BATCH_RECORDS.observe(records)
