"""The generator loop: paced ticks of the seed distribution, batched onto Kinesis."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import structlog

from tslake.generator.distribution import tick
from tslake.lifecycle import Shutdown
from tslake.metrics import generator as metrics
from tslake.producer import KinesisProducer, ProducerError, PutResult
from tslake.settings.generator import GeneratorSettings

LINGER_SECONDS = 0.05  # at high rates, gather this long of ticks into one PutRecords round


@dataclass
class GeneratorTotals:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    throttled: int = 0


class Generator:
    def __init__(
        self, settings: GeneratorSettings, sensor_ids: list[str], producer: KinesisProducer, shutdown: Shutdown
    ) -> None:
        self.settings = settings
        self.sensor_ids = sensor_ids
        self.producer = producer
        self.shutdown = shutdown
        self.rng = random.Random(settings.seed)
        self.totals = GeneratorTotals()
        self.log = structlog.get_logger()

    def run(self) -> GeneratorTotals:
        tick_seconds = self.settings.tick_seconds
        remaining = self.settings.count
        start_ms = time.time_ns() // 1_000_000
        started = time.monotonic()
        next_tick = 0
        while not self.shutdown.requested:
            elapsed = time.monotonic() - started
            if self.settings.duration_seconds is not None and elapsed >= self.settings.duration_seconds:
                break
            due = int(elapsed / tick_seconds) + 1
            entries: list[tuple[str, bytes]] = []
            while next_tick < due:
                event_time = start_ms + round(next_tick * tick_seconds * 1000)
                entries.extend((r.sensor_id, r.to_json()) for r in tick(self.rng, self.sensor_ids, event_time))
                next_tick += 1
            if remaining is not None:
                entries = entries[:remaining]
                remaining -= len(entries)
            if entries:
                self._put(entries)
            if remaining == 0:
                break
            wait = next_tick * tick_seconds - (time.monotonic() - started)
            self.shutdown.wait(max(wait, LINGER_SECONDS if tick_seconds < LINGER_SECONDS else 0.0))
        return self.totals

    def _put(self, entries: list[tuple[str, bytes]]) -> None:
        try:
            result = self.producer.put(entries)
        except ProducerError as exc:
            # A load generator keeps going; the loss is counted and logged, never silent.
            result = exc.result
            lost = len(entries) - result.sent
            self.totals.failed += lost
            metrics.RECORDS_FAILED.inc(lost)
            self.log.error("put_records_failed", records=lost, error_code=exc.error_code)
        self._count(result)

    def _count(self, result: PutResult) -> None:
        self.totals.sent += result.sent
        self.totals.retried += result.retried
        self.totals.throttled += result.throttled
        metrics.RECORDS_SENT.inc(result.sent)
        metrics.RECORDS_RETRIED.inc(result.retried)
        metrics.RECORDS_THROTTLED.inc(result.throttled)
