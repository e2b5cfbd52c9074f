"""Export windows: half-open [start, end) intervals of UTC time, in whole seconds.

Whole seconds because the seed's export query writes its bounds as `YYYY-MM-DD HH:MM:SS`. Windows are
aligned to multiples of their length (like the DAG's `*/5 * * * *` data intervals), so a backfill by
`tslake exporter --start/--end` and the DAG's runs cut time into the same windows and the same files.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ID_FORMAT = "%Y%m%dT%H%M%SZ"
SQL_FORMAT = "%Y-%m-%d %H:%M:%S"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class InvalidWindowError(ValueError):
    """A window that cannot be exported: end not after start, naive or fractional bounds."""


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are read as UTC (the store's time zone); aware ones are converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_time(text: str) -> datetime:
    """`2025-01-01T00:05:00Z`, `2025-01-01 00:05:00`, `2025-01-01` ... as UTC."""
    try:
        return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise InvalidWindowError(f"not an ISO 8601 time: {text!r} (e.g. 2025-01-01T00:05:00Z)") from None


@dataclass(frozen=True, order=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start, end = as_utc(self.start), as_utc(self.end)
        if end <= start:
            raise InvalidWindowError(f"window end {end.isoformat()} is not after its start {start.isoformat()}")
        for name, value in (("start", start), ("end", end)):
            if value.microsecond:
                raise InvalidWindowError(f"window {name} {value.isoformat()} is not a whole second")
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @property
    def id(self) -> str:
        """Deterministic name of the window's files: a re-run writes the same keys."""
        return f"{self.start.strftime(ID_FORMAT)}-{self.end.strftime(ID_FORMAT)}"

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()

    def hours(self) -> list[datetime]:
        """Start of every UTC hour the window overlaps: the hour partitions its rows can land in."""
        hour = self.start.replace(minute=0, second=0)
        out = []
        while hour < self.end:
            out.append(hour)
            hour += timedelta(hours=1)
        return out

    def __str__(self) -> str:
        return f"[{self.start.strftime(SQL_FORMAT)}, {self.end.strftime(SQL_FORMAT)})"


def _floor(value: datetime, step: timedelta) -> datetime:
    return _EPOCH + ((value - _EPOCH) // step) * step


def last_complete_window(now: datetime, minutes: int, delay_seconds: float) -> Window:
    """The newest aligned window that ended at least `delay_seconds` ago (late data has had time to land)."""
    step = timedelta(minutes=minutes)
    end = _floor(as_utc(now) - timedelta(seconds=delay_seconds), step)
    return Window(end - step, end)


def windows_between(start: datetime, end: datetime, minutes: int) -> Iterator[Window]:
    """Aligned windows covering [start, end); the first and last are clipped to the bounds.

    Bounds with a fraction of a second are widened to whole seconds (start down, end up).
    """
    start, end = as_utc(start).replace(microsecond=0), as_utc(end)
    if end.microsecond:
        end = end.replace(microsecond=0) + timedelta(seconds=1)
    if end <= start:
        raise InvalidWindowError(f"--end {end.isoformat()} is not after --start {start.isoformat()}")
    step = timedelta(minutes=minutes)
    cursor = start
    while cursor < end:
        nxt = min(_floor(cursor, step) + step, end)
        yield Window(cursor, nxt)
        cursor = nxt


def count_windows(start: datetime, end: datetime, minutes: int) -> int:
    return sum(1 for _ in windows_between(start, end, minutes))
