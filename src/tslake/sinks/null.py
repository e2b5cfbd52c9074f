"""A sink that stores nothing: measures the CPU of decode, validate and layout without a store."""

from __future__ import annotations

from collections.abc import Sequence

from tslake.sinks.base import Point, TimeSeriesSink, WriteOutcome


class NullSink(TimeSeriesSink):
    def __init__(self) -> None:
        self.points = 0

    def write(self, points: Sequence[Point]) -> WriteOutcome:
        self.points += len(points)
        return WriteOutcome(written=len(points))
