"""Wiring from settings: one sink and one dead-letter writer per process, one handler per shard."""

from __future__ import annotations

from tslake import aws
from tslake.consumer import HandlerFactory, RecordHandler, ShardContext
from tslake.deadletter import DeadLetterWriter
from tslake.ingest.handler import RawIngestHandler
from tslake.ingest.layouts import layout as get_layout
from tslake.settings.raw_ingest import RawIngestSettings
from tslake.sinks.base import TimeSeriesSink
from tslake.sinks.null import NullSink
from tslake.sinks.timestream import TimestreamSink, write_client

SERVICE = "raw-ingest"


def build_sink(settings: RawIngestSettings) -> TimeSeriesSink:
    if settings.sink == "null":
        return NullSink()
    return TimestreamSink(
        settings.timestream_database,
        settings.timestream_table,
        client=write_client(settings.write_concurrency, settings.region),
        concurrency=settings.write_concurrency,
        batch_size=settings.write_batch_size,
        max_attempts=settings.write_max_attempts,
        backoff_base_seconds=settings.write_backoff_base_millis / 1000,
        backoff_max_seconds=settings.write_backoff_max_millis / 1000,
    )


def handler_factory(
    settings: RawIngestSettings, sink: TimeSeriesSink | None = None, dead_letters: DeadLetterWriter | None = None
) -> HandlerFactory:
    """The sink's thread pool bounds WriteRecords calls in flight for the whole process, across shards."""
    the_sink = sink or build_sink(settings)
    writer = dead_letters or DeadLetterWriter(
        settings.lake_bucket,
        SERVICE,
        aws.client("s3", max_pool_connections=max(settings.dead_letter_concurrency, 10), region_name=settings.region),
        concurrency=settings.dead_letter_concurrency,
    )
    layout = get_layout(settings.table_layout)

    def make(context: ShardContext) -> RecordHandler:
        return RawIngestHandler(
            layout=layout,
            sink=the_sink,
            dead_letters=writer,
            stream=context.stream,
            table=settings.timestream_table,
            shard_id=context.shard_id,
            max_age_ms=settings.memory_retention_hours * 3600 * 1000,
            max_future_ms=settings.max_future_minutes * 60 * 1000,
        )

    return make
