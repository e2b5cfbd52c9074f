"""Time-series stores behind one small interface, so the ingest logic never names a vendor."""

from tslake.sinks.base import (
    Measure,
    MeasureType,
    Point,
    Rejection,
    SinkConfigurationError,
    SinkError,
    SinkUnavailableError,
    TimeSeriesSink,
    WriteOutcome,
)

__all__ = [
    "Measure",
    "MeasureType",
    "Point",
    "Rejection",
    "SinkConfigurationError",
    "SinkError",
    "SinkUnavailableError",
    "TimeSeriesSink",
    "WriteOutcome",
]
