"""Export windows: alignment, clipping, the CronJob's last complete window, and bad bounds."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tslake.export import InvalidWindowError, Window, last_complete_window, parse_time, windows_between
from tslake.export.queries import cep_query, interpolation_query


def t(text: str) -> datetime:
    return parse_time(text)


def test_backfill_windows_are_aligned_and_clipped() -> None:
    windows = list(windows_between(t("2025-01-01T00:03:00Z"), t("2025-01-01T00:17:30Z"), 5))
    assert [(w.start.strftime("%H:%M:%S"), w.end.strftime("%H:%M:%S")) for w in windows] == [
        ("00:03:00", "00:05:00"),
        ("00:05:00", "00:10:00"),
        ("00:10:00", "00:15:00"),
        ("00:15:00", "00:17:30"),
    ]
    assert all(a.end == b.start for a, b in itertools.pairwise(windows))


def test_backfill_bounds_widen_to_whole_seconds() -> None:
    windows = list(windows_between(t("2025-01-01T00:03:00.250Z"), t("2025-01-01T00:04:59.5Z"), 5))
    assert windows == [Window(t("2025-01-01T00:03:00Z"), t("2025-01-01T00:05:00Z"))]


def test_last_complete_window_waits_for_late_data() -> None:
    now = t("2025-01-01T10:07:30Z")
    assert last_complete_window(now, 5, 0) == Window(t("2025-01-01T10:00:00Z"), t("2025-01-01T10:05:00Z"))
    # 3 minutes of delay: 10:05 - 10:10 has not had time to settle, nor has 10:00 - 10:05 ended 3 min ago
    assert last_complete_window(now, 5, 180) == Window(t("2025-01-01T09:55:00Z"), t("2025-01-01T10:00:00Z"))


def test_window_identity_hours_and_time_zones() -> None:
    w = Window(datetime(2025, 1, 1, 1, 58, tzinfo=timezone(timedelta(hours=1))), t("2025-01-01T01:02:00Z"))
    assert w.start == datetime(2025, 1, 1, 0, 58, tzinfo=UTC)  # converted to UTC
    assert w.id == "20250101T005800Z-20250101T010200Z"
    assert w.hours() == [t("2025-01-01T00:00:00Z"), t("2025-01-01T01:00:00Z")]
    assert str(w) == "[2025-01-01 00:58:00, 2025-01-01 01:02:00)"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-01-01T00:05:00Z", "2025-01-01T00:00:00Z", "is not after its start"),
        ("2025-01-01T00:05:00Z", "2025-01-01T00:05:00Z", "is not after its start"),
        ("2025-01-01T00:00:00.5Z", "2025-01-01T00:05:00Z", "not a whole second"),
    ],
)
def test_bad_windows_are_refused(start: str, end: str, message: str) -> None:
    with pytest.raises(InvalidWindowError, match=message):
        Window(t(start), t(end))


def test_bad_times_and_backfill_bounds() -> None:
    with pytest.raises(InvalidWindowError, match="not an ISO 8601 time"):
        parse_time("yesterday")
    with pytest.raises(InvalidWindowError, match="is not after --start"):
        list(windows_between(t("2025-01-02"), t("2025-01-01"), 5))


def test_queries_filter_the_half_open_window() -> None:
    w = Window(t("2025-01-01T00:05:00Z"), t("2025-01-01T00:10:00Z"))
    for sql in (interpolation_query("db", "raw", w), cep_query("db", "cep", w)):
        assert "time >= '2025-01-01 00:05:00' AND time < '2025-01-01 00:10:00'" in sql
        assert "BETWEEN" not in sql
    assert 'FROM "db"."raw"' in interpolation_query("db", "raw", w)
    with pytest.raises(ValueError, match="invalid Timestream table"):
        interpolation_query("db", 'raw" --', w)
