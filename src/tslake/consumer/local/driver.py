"""The Python driver: runs `BatchProcessor`s over every shard of a stream without Java (`make run`).

It keeps KCL's lease protocol in KCL's lease-table layout (see `leases.py`), so a Python worker and a
Java MultiLangDaemon with the same application name share, steal and resume each other's leases:
- shard sync: a lease per shard, children pointing at their parents (`parentShardId`);
- a shard starts only when its parents' leases are finished (SHARD_END) or gone;
- renewal every failover/3; a lease whose counter has not moved for `failover_time_millis` is expired and
  taken; fair share = ceil(ready leases / live workers), stealing one lease per pass from the busiest;
- shutdown: every processor gets shutdown_requested (it checkpoints), then the leases are released.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import Counter
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from prometheus_client import REGISTRY

from tslake.aws import client
from tslake.consumer.local.leases import LATEST, TRIM_HORIZON, Lease, LeaseLostError, LeaseTable
from tslake.consumer.local.shard import HeldLease, ShardConsumer
from tslake.consumer.processor import BatchProcessor
from tslake.consumer.records import HandlerFactory
from tslake.lifecycle import Shutdown
from tslake.logs import configure_logging, get_logger
from tslake.metrics import consumer as consumer_metrics
from tslake.metrics import start_metrics_server
from tslake.metrics.consumer import SecondsSinceLastBatch
from tslake.settings.consumer import ConsumerSettings

EXIT_NO_STREAM = 2


class LeaseObserver:
    """KCL's expiry rule: a lease is expired when its counter has not changed for the failover time."""

    def __init__(self, failover_s: float) -> None:
        self.failover_s = failover_s
        self._seen: dict[str, tuple[int, float]] = {}

    def update(self, leases: list[Lease], now: float) -> None:
        for lease in leases:
            previous = self._seen.get(lease.lease_key)
            if previous is None or previous[0] != lease.counter:
                self._seen[lease.lease_key] = (lease.counter, now)

    def expired(self, lease: Lease, now: float) -> bool:
        if lease.owner is None:
            return True
        seen = self._seen.get(lease.lease_key)
        return seen is not None and now - seen[1] > self.failover_s


class PythonDriver:
    def __init__(
        self,
        settings: ConsumerSettings,
        handler_factory: HandlerFactory,
        shutdown: Shutdown,
        *,
        kinesis: Any = None,
        dynamodb: Any = None,
    ) -> None:
        self.settings = settings
        self.factory = handler_factory
        self.shutdown = shutdown
        self.kinesis = kinesis or client("kinesis", region_name=settings.region)
        self.table = LeaseTable(dynamodb or client("dynamodb", region_name=settings.region), settings.application_name)
        self.owner = settings.worker_id
        self.failover_s = settings.failover_time_millis / 1000
        self.observer = LeaseObserver(self.failover_s)
        self.consumers: dict[str, ShardConsumer] = {}
        self._sync_requested = threading.Event()
        # shard -> (monotonic time before which we do not restart it, current backoff) after a crash
        self._crashed: dict[str, tuple[float, float]] = {}
        self._log = get_logger(component="python_driver", worker_id=self.owner)

    # -- processors -----------------------------------------------------------------------------------

    def _make_processor(self, stop: threading.Event) -> BatchProcessor:
        s = self.settings
        return BatchProcessor(
            self.factory,
            stream=s.stream,
            application=s.application_name,
            retry_initial_backoff_s=s.retry_initial_backoff_millis / 1000,
            retry_max_backoff_s=s.retry_max_backoff_millis / 1000,
            stop=stop,
        )

    # -- shard sync -----------------------------------------------------------------------------------

    def _list_shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"StreamName": self.settings.stream}
        while True:
            page = self.kinesis.list_shards(**kwargs)
            shards += page["Shards"]
            token = page.get("NextToken")
            if not token:
                return shards
            kwargs = {"NextToken": token}

    def sync_shards(self) -> None:
        """Create a lease for every shard that has none, unless a descendant already has one."""
        shards = self._list_shards()
        known = {lease.lease_key: lease for lease in self.table.list()}
        parents_of = {
            s["ShardId"]: frozenset(p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId")) if p)
            for s in shards
        }
        children_of: dict[str, set[str]] = {}
        for shard_id, parents in parents_of.items():
            for parent in parents:
                children_of.setdefault(parent, set()).add(shard_id)

        def has_leased_descendant(shard_id: str) -> bool:
            stack = list(children_of.get(shard_id, ()))
            while stack:
                child = stack.pop()
                if child in known:
                    return True
                stack += children_of.get(child, ())
            return False

        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in known or has_leased_descendant(shard_id):
                continue
            parents = parents_of[shard_id]
            closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
            if any(p in known for p in parents):
                checkpoint = TRIM_HORIZON  # a child of a shard we read: start at its beginning
            elif self.settings.initial_position == LATEST:
                if closed:
                    continue
                checkpoint, parents = LATEST, frozenset()
            else:
                checkpoint = TRIM_HORIZON
            lease = Lease(
                lease_key=shard_id,
                checkpoint=checkpoint,
                parent_shard_ids=parents,
                starting_hash_key=shard["HashKeyRange"]["StartingHashKey"],
                ending_hash_key=shard["HashKeyRange"]["EndingHashKey"],
            )
            if self.table.create_if_absent(lease):
                known[shard_id] = lease
                self._log.info("lease_created", shard_id=shard_id, checkpoint=checkpoint, parents=sorted(parents))

    def on_shard_end(self, held: HeldLease, page: Any) -> frozenset[str]:
        """Record the children on the parent's lease and create their leases before SHARD_END is written."""
        children = frozenset(c["ShardId"] for c in page.get("ChildShards") or [])
        if not children:
            children = frozenset(
                s["ShardId"]
                for s in self._list_shards()
                if held.shard_id in (s.get("ParentShardId"), s.get("AdjacentParentShardId"))
            )
        if children:
            with held.lock:
                try:
                    self.table.set_children(held.lease, self.owner, children)
                except LeaseLostError:
                    held.lost.set()
        self.sync_shards()
        return children

    # -- leases ---------------------------------------------------------------------------------------

    def _renew(self, now: float) -> None:
        for shard_id, consumer in list(self.consumers.items()):
            held = consumer.held
            if not consumer.is_alive():
                continue
            try:
                held.renew()
            except LeaseLostError:
                self._log.warning("lease_lost", shard_id=shard_id)
                consumer.lease_lost()
            except (ClientError, BotoCoreError) as exc:
                if now - held.last_renewed > self.failover_s:
                    self._log.warning("lease_renewal_timed_out", shard_id=shard_id, error=str(exc))
                    consumer.lease_lost()

    def _reap(self) -> None:
        for shard_id, consumer in list(self.consumers.items()):
            if consumer.is_alive():
                continue
            del self.consumers[shard_id]
            if consumer.outcome == "error":
                backoff = min(
                    self._crashed.get(shard_id, (0.0, self.settings.retry_initial_backoff_millis / 1000))[1] * 2,
                    self.settings.retry_max_backoff_millis / 1000,
                )
                self._crashed[shard_id] = (time.monotonic() + backoff, backoff)
            else:
                self._crashed.pop(shard_id, None)
            if consumer.outcome == "shard_end":
                self._sync_requested.set()
                with contextlib.suppress(LeaseLostError, ClientError, BotoCoreError):
                    consumer.held.release()
            self._log.info("shard_consumer_finished", shard_id=shard_id, outcome=consumer.outcome)

    def _start(self, lease: Lease) -> None:
        try:
            self.table.take(lease, self.owner)
        except LeaseLostError:
            return  # someone else moved first
        held = HeldLease(lease, self.table, self.owner)
        s = self.settings
        consumer = ShardConsumer(
            held,
            self.kinesis,
            s.stream,
            self._make_processor,
            max_records=s.max_records,
            idle_time_s=s.idle_time_between_reads_millis / 1000,
            backoff_initial_s=s.retry_initial_backoff_millis / 1000,
            backoff_max_s=s.retry_max_backoff_millis / 1000,
            on_shard_end=self.on_shard_end,
        )
        self.consumers[lease.lease_key] = consumer
        consumer.start()
        self._log.info("lease_taken", shard_id=lease.lease_key, checkpoint=lease.checkpoint, previous_owner=None)

    def balance(self, leases: list[Lease], now: float) -> None:
        by_key = {lease.lease_key: lease for lease in leases}

        def ready(lease: Lease) -> bool:
            return not lease.finished and all(p not in by_key or by_key[p].finished for p in lease.parent_shard_ids)

        candidates = [lease for lease in leases if ready(lease)]
        if not candidates:
            return
        live = Counter(
            lease.owner
            for lease in candidates
            if lease.owner is not None and (lease.owner == self.owner or not self.observer.expired(lease, now))
        )
        workers = set(live) | {self.owner}
        target = min(math.ceil(len(candidates) / len(workers)), self.settings.max_leases_for_worker)
        mine = len(self.consumers)
        available = [
            lease
            for lease in candidates
            if lease.lease_key not in self.consumers and lease.owner != self.owner and self.observer.expired(lease, now)
        ]
        # Our own leases that we are not running (e.g. after a restart with the same worker id).
        available += [x for x in candidates if x.owner == self.owner and x.lease_key not in self.consumers]
        for lease in sorted(available, key=lambda x: x.lease_key):
            if mine >= target:
                return
            if self._crashed.get(lease.lease_key, (0.0, 0.0))[0] > now:
                continue  # its processor crashed (e.g. the handler factory failed): back off
            self._start(lease)
            mine += 1
        if mine < target and live:
            busiest, count = max(
                ((owner, n) for owner, n in live.items() if owner != self.owner), key=lambda x: x[1], default=(None, 0)
            )
            if busiest is not None and count > target:
                victim = sorted((x for x in candidates if x.owner == busiest), key=lambda x: x.lease_key)[-1]
                self._log.info("lease_stealing", shard_id=victim.lease_key, from_worker=busiest)
                self._start(victim)

    # -- main loop ------------------------------------------------------------------------------------

    def run(self) -> int:
        try:
            self.kinesis.describe_stream_summary(StreamName=self.settings.stream)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise
            self._log.error("stream_not_found", stream=self.settings.stream, variable="TSLAKE_STREAM")
            return EXIT_NO_STREAM
        self.table.ensure()
        tick = max(0.1, min(1.0, self.failover_s / 3))
        next_sync = 0.0
        self._log.info("python_driver_started", stream=self.settings.stream, table=self.table.table)
        while not self.shutdown.requested:
            now = time.monotonic()
            try:
                self._renew(now)
                self._reap()
                if now >= next_sync or self._sync_requested.is_set():
                    self._sync_requested.clear()
                    self.sync_shards()
                    next_sync = now + self.settings.shard_sync_interval_millis / 1000
                leases = self.table.list()
                self.observer.update(leases, now)
                self.balance(leases, now)
                if not self.consumers:
                    consumer_metrics.idle(self.settings.application_name)
            except (ClientError, BotoCoreError) as exc:
                self._log.warning("coordinator_error", error=str(exc))
            self.shutdown.wait(tick)
        return self.stop()

    def stop(self) -> int:
        """shutdown_requested for every processor (they checkpoint), then release the leases."""
        grace = self.settings.shutdown_grace_millis / 1000
        deadline = time.monotonic() + grace
        for consumer in self.consumers.values():
            consumer.request_shutdown()
        clean = True
        for shard_id, consumer in self.consumers.items():
            # Keep renewing while processors finish their last batch.
            while consumer.is_alive() and time.monotonic() < deadline:
                consumer.join(min(0.5, max(0.0, deadline - time.monotonic())))
                if consumer.is_alive():
                    self._renew(time.monotonic())
            if consumer.is_alive():
                clean = False
                self._log.error("shard_consumer_did_not_stop", shard_id=shard_id, grace_s=grace)
                continue
            if consumer.outcome == "shutdown":
                try:
                    consumer.held.release()
                except (LeaseLostError, ClientError, BotoCoreError) as exc:
                    self._log.warning("lease_release_failed", shard_id=shard_id, error=repr(exc))
        self._log.info("python_driver_stopped", clean=clean)
        return 0 if clean else 1


def run_python_driver(settings: ConsumerSettings, handler_factory: HandlerFactory, shutdown: Shutdown) -> int:
    configure_logging(settings.log_level, service=settings.application_name)
    with contextlib.suppress(ValueError):  # already registered by an earlier run in this process
        REGISTRY.register(SecondsSinceLastBatch(settings.application_name))
    start_metrics_server(settings.metrics_host, settings.metrics_port)
    return PythonDriver(settings, handler_factory, shutdown).run()
