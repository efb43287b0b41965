"""How regularly a patient logs: check-ins per day, "stopped logging", a rolling daily
mean for the pain chart, and the short day label charts use. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from app.domain.entries import CheckIn
from app.domain.progress.thresholds import ProgressThresholds


def adherence(check_ins: Iterable[CheckIn], start: date, end: date) -> dict[date, int]:
    """Check-ins per calendar day from `start` to `end` inclusive (0 for days not logged)."""
    counts = {start + timedelta(days=i): 0 for i in range((end - start).days + 1)}
    for c in check_ins:
        day = c.recorded_at.date()
        if day in counts:
            counts[day] += 1
    return counts


def stopped_logging(
    check_ins: Sequence[CheckIn], today: date, thresholds: ProgressThresholds
) -> bool:
    """True when the last check-in is `stopped_logging_days` days ago or more.

    A patient who never logged has not *stopped*: False (the dashboard shows "not started"
    from the empty record instead).
    """
    if not check_ins:
        return False
    last = max(c.recorded_at for c in check_ins).date()
    return (today - last).days >= thresholds.stopped_logging_days


def rolling_daily_mean(
    values: Sequence[tuple[datetime, float]], days: int
) -> list[tuple[date, float]]:
    """For each day with values, the mean of all values in the `days` days ending that day.

    `values` must be in time order. Linear time: one pass with a sliding window.
    """
    result: list[tuple[date, float]] = []
    total = 0.0
    start = 0
    dates = [v[0].date() for v in values]
    for i, (_when, value) in enumerate(values):
        total += value
        day = dates[i]
        while (day - dates[start]).days >= days:
            total -= values[start][1]
            start += 1
        if i + 1 < len(values) and dates[i + 1] == day:
            continue  # emit once per day, after its last value
        result.append((day, total / (i + 1 - start)))
    return result


def day_label(day: date | datetime) -> str:
    """A short day for people, e.g. "Mon 3 Nov" (portable: no %-d)."""
    return f"{day:%a} {day.day} {day:%b}"
