"""The cep `RecordHandler`: one per shard lease; feeds the engine, puts matches, saves state.

Order inside `handle`, and why:
1. skip records at or before the saved `last_position` (a re-delivery after a restart or lease move:
   their effect is already in the saved state, and their matches already on the CEP stream);
2. parse; a bad record or a late reading is dead-lettered, never fed (it cannot corrupt a sensor);
3. buffer in event-time order, release what the watermark passed, run the engine;
4. put the matches (PutRecords, partition key sensor_id), then save the state (conditional on the
   version we loaded), then return, so the consumer layer checkpoints only after both are durable.
If anything raises, the in-memory state is rolled back to the last saved one, so the layer's retry of
the same batch starts from exactly the state that batch started from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from tslake.cep.measures import to_cep_event
from tslake.cep.ordering import EventTimeBuffer
from tslake.cep.state import ShardState, StateConflictError, StateStore
from tslake.cep.state.reshard import ShardLineage, inherit
from tslake.consumer import ShardContext, SourceRecord
from tslake.deadletter import DeadLetter, DeadLetterWriter
from tslake.logs import get_logger
from tslake.metrics import cep as metrics
from tslake.producer import KinesisProducer
from tslake.schema import InvalidRecordError, InvalidRecordReason, parse_reading

LATE = InvalidRecordReason.LATE_EVENT


def state_key(application: str, context: ShardContext) -> str:
    return f"{application}/{context.stream}/{context.shard_id}"


def position(record: SourceRecord) -> tuple[int, int]:
    sub = record.sub_sequence_number
    return int(record.sequence_number), sub or 0  # the KCL sends 0 for a plain record, our driver None


class CepHandler:
    def __init__(
        self,
        *,
        context: ShardContext,
        application: str,
        producer: KinesisProducer,
        dead_letters: DeadLetterWriter,
        store: StateStore,
        allowed_lateness_ms: int,
        lineage: Callable[[str], ShardLineage | None] | None = None,
    ) -> None:
        self.context = context
        self.application = application
        self.lineage = lineage
        self.key = state_key(application, context)
        self.producer = producer
        self.dead_letters = dead_letters
        self.store = store
        self.lateness_ms = allowed_lateness_ms
        self._log = get_logger(component="cep", shard_id=context.shard_id)
        self._shard = context.shard_id
        # Loaded on the first batch, not here: a failure there raises from `handle`, which the consumer
        # layer retries with backoff (amazon_kclpy swallows an exception raised in `initialize`).
        self._state: ShardState | None = None
        self.version, self.saved_blob, self._baseline = 0, b"", b""

    @property
    def state(self) -> ShardState:
        if self._state is None:
            self._load()
        assert self._state is not None
        return self._state

    def _load(self) -> None:
        stored = self.store.load(self.key)
        if stored is None:
            state = self._from_parents() or ShardState(buffer=EventTimeBuffer(self.lateness_ms))
            self.version, self.saved_blob = 0, b""
            self._baseline = state.to_bytes()  # what a failed first batch rolls back to
        else:
            state = ShardState.from_bytes(stored.blob, self.lateness_ms)
            self.version, self.saved_blob = stored.version, stored.blob
        self._state = state
        self._log.info(
            "state_loaded",
            version=self.version,
            last_position=self.state.last_position,
            open_partials=self.state.engine.open_partials,
            buffered=len(self.state.buffer),
            starting_sequence_number=self.context.starting_sequence_number,
        )
        self._update_gauges(len(self.saved_blob or b""))

    def _from_parents(self) -> ShardState | None:
        """A shard seen for the first time may be a reshard's child: start from its parents' state."""
        lineage = self.lineage(self.context.shard_id) if self.lineage else None
        if lineage is None or not lineage.parents:
            return None
        parents = []
        for parent in lineage.parents:
            context = ShardContext(stream=self.context.stream, shard_id=parent, starting_sequence_number=None)
            stored = self.store.load(state_key(self.application, context))
            if stored is not None:
                parents.append(ShardState.from_bytes(stored.blob, self.lateness_ms))
        if not parents:
            return None
        state = inherit(parents, lineage.hash_range, self.lateness_ms)
        self._log.info(
            "state_inherited",
            parents=list(lineage.parents),
            open_partials=state.engine.open_partials,
            buffered=len(state.buffer),
        )
        return state

    def handle(self, batch: Sequence[SourceRecord]) -> None:
        _ = self.state  # load on the first batch; a failure here leaves nothing to roll back
        try:
            self._handle(batch)
        except StateConflictError:
            # A new lease owner saved after us: adopt its state; the layer retries this batch on it.
            self._log.warning("state_conflict_reloading", version=self.version)
            self._load()
            raise
        except BaseException:
            self._rollback()
            raise

    def _handle(self, batch: Sequence[SourceRecord]) -> None:
        metrics.EVENTS_IN.inc(len(batch))
        state, buffer = self.state, self.state.buffer
        last = state.last_position
        letters: list[DeadLetter] = []
        skipped = 0
        for record in batch:
            pos = position(record)
            if last is not None and pos <= last:
                skipped += 1
                continue
            last = pos
            try:
                r = parse_reading(record.data)
            except InvalidRecordError as exc:
                metrics.INVALID.labels(reason=str(exc.reason)).inc()
                letters.append(DeadLetter(record, exc.reason, exc.detail))
                continue
            if not buffer.add(r.sensor_id, r.event_time, r.status, r.temperature):
                metrics.LATE_EVENTS.inc()
                detail = f"event_time {r.event_time} is behind the shard's watermark {buffer.watermark}"
                letters.append(DeadLetter(record, LATE, detail))
        if skipped:
            metrics.DUPLICATES_SKIPPED.inc(skipped)
        if last == state.last_position:
            return  # nothing new: the state is unchanged and already saved

        matches = state.engine.process(buffer.release())
        if buffer.watermark is not None:
            state.engine.expire(buffer.watermark)
        state.last_position = last

        if letters:
            self.dead_letters.write_many(letters)
        if matches:
            entries = [(m.sensor_id, to_cep_event(m).to_json()) for m in matches]
            started = time.perf_counter()
            self.producer.put(entries)
            metrics.PUT_SECONDS.observe(time.perf_counter() - started)
            metrics.MATCHES_OUT.inc(len(entries))
        self._save()
        self._log.debug(
            "batch_done", records=len(batch), skipped=skipped, matches=len(matches), dead_lettered=len(letters)
        )

    def _save(self) -> None:
        blob = self.state.to_bytes()
        started = time.perf_counter()
        self.version = self.store.save(self.key, blob, self.version)
        metrics.STATE_SAVE_SECONDS.observe(time.perf_counter() - started)
        self.saved_blob = blob
        self._update_gauges(len(blob))

    def _rollback(self) -> None:
        self._state = ShardState.from_bytes(self.saved_blob or self._baseline, self.lateness_ms)

    def _update_gauges(self, state_bytes: int) -> None:
        metrics.OPEN_PARTIALS.labels(shard_id=self._shard).set(self.state.engine.open_partials)
        metrics.BUFFERED.labels(shard_id=self._shard).set(len(self.state.buffer))
        metrics.STATE_BYTES.labels(shard_id=self._shard).set(state_bytes)

    def close(self, reason: str) -> None:
        # The state was saved at the end of every batch, so there is nothing to flush; at shard end the
        # readings still waiting for the watermark are not lost but stay in the saved state.
        partials = self._state.engine.open_partials if self._state is not None else None
        self._log.info("shard_closed", reason=reason, open_partials=partials)
        metrics.shard_closed(self._shard)
