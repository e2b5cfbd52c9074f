"""Wiring from settings: one producer, dead-letter writer and state store per process, one handler per shard."""

from __future__ import annotations

from tslake import aws
from tslake.cep.state.dynamodb import DynamoStateStore
from tslake.cep.state.reshard import kinesis_lineage
from tslake.consumer import HandlerFactory, RecordHandler, ShardContext, run_consumer
from tslake.deadletter import DeadLetterWriter
from tslake.lifecycle import Shutdown
from tslake.logs import configure_logging
from tslake.producer import KinesisProducer
from tslake.settings import load_settings
from tslake.settings.cep import CepSettings
from tslake_cep.handler import CepHandler

SERVICE = "cep"


def handler_factory(settings: CepSettings) -> HandlerFactory:
    producer = KinesisProducer(
        settings.cep_stream,
        aws.client("kinesis", region_name=settings.region),
        max_attempts=settings.put_max_attempts,
    )
    dead_letters = DeadLetterWriter(settings.lake_bucket, SERVICE, aws.client("s3", region_name=settings.region))
    store = DynamoStateStore(settings.state_table, aws.client("dynamodb", region_name=settings.region))
    if settings.create_state_table:
        store.ensure_table()
    lineage = kinesis_lineage(aws.client("kinesis", region_name=settings.region), settings.stream)

    def make(context: ShardContext) -> RecordHandler:
        return CepHandler(
            context=context,
            application=settings.application_name,
            producer=producer,
            dead_letters=dead_letters,
            store=store,
            allowed_lateness_ms=settings.allowed_lateness_ms,
            lineage=lineage,
        )

    return make


def serve() -> int:
    settings = load_settings(CepSettings)
    log = configure_logging(settings.log_level, SERVICE)
    shutdown = Shutdown().install()
    log.info(
        "starting",
        stream=settings.stream,
        cep_stream=settings.cep_stream,
        application=settings.application_name,
        driver=settings.consumer_driver,
        allowed_lateness_ms=settings.allowed_lateness_ms,
        state_table=settings.state_table,
    )
    return run_consumer(settings, handler_factory(settings), shutdown)
