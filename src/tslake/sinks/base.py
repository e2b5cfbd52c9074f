"""The one interface a time-series store sits behind.

Timestream for LiveAnalytics is closed to new customers; another store (Timestream for InfluxDB, ...)
is one more file next to `timestream.py` implementing `TimeSeriesSink.write`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class MeasureType(StrEnum):
    DOUBLE = "DOUBLE"
    BIGINT = "BIGINT"
    VARCHAR = "VARCHAR"
    BOOLEAN = "BOOLEAN"


class Measure(NamedTuple):
    name: str
    value: str  # already rendered as the store expects it, e.g. str(float)
    type: MeasureType


class Point(NamedTuple):
    """One store record. NamedTuple, not a dataclass: tens of thousands are built per second.

    Single-measure when `multi` is False (then `measures` has one entry named `measure_name`);
    otherwise one MULTI record named `measure_name` holding every entry of `measures`.
    """

    dimensions: tuple[tuple[str, str], ...]
    measure_name: str
    measures: tuple[Measure, ...]
    time_ms: int
    version: int
    ref: int  # the caller's handle (e.g. the source record's index) to map a rejection back
    multi: bool = False


@dataclass(frozen=True, slots=True)
class Rejection:
    """The store refused this point for good (retrying the same write cannot succeed)."""

    point: Point
    reason: str


@dataclass(slots=True)
class WriteOutcome:
    written: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    calls: int = 0


class SinkError(Exception):
    """Base of the sink errors: nothing in the failed write may be checkpointed."""


class SinkUnavailableError(SinkError):
    """The store is down, throttling or erroring after every retry; the caller retries later."""


class SinkConfigurationError(SinkError):
    """The store refuses every write (no such table, access denied): fix the settings, don't dead-letter."""


class TimeSeriesSink(ABC):
    """Writes points durably or says precisely which ones it refused."""

    @abstractmethod
    def write(self, points: Sequence[Point]) -> WriteOutcome:
        """Return once every point is durably written or listed in `rejected`.

        Raises SinkUnavailableError/SinkConfigurationError when that cannot be known; then the caller
        must not checkpoint, and must replay the whole batch (writes are idempotent by Version).
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads."""
