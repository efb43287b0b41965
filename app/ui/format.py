"""Plain-words formatting of times and durations in the patient's own time zone."""

from __future__ import annotations

from datetime import datetime

from app.domain.zones import to_local as local


def when(moment: datetime, timezone: str) -> str:
    """'Tue 24 Nov, 09:30'."""
    return local(moment, timezone).strftime("%a %-d %b, %H:%M")


def day(moment: datetime, timezone: str) -> str:
    return local(moment, timezone).strftime("%a %-d %b")


def hours_ago(hours: float) -> str:
    if hours < 1:
        return "less than an hour ago"
    if hours < 48:
        whole = int(hours)
        return f"{whole} hour{'s' if whole != 1 else ''} ago"
    return f"{int(hours // 24)} days ago"
