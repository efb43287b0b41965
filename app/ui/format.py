"""Plain-words formatting of times and durations in the patient's own time zone."""

from __future__ import annotations

from datetime import datetime

from app.domain.progress import ResponseSummary
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


def clinician_numbers(summary: ResponseSummary) -> str:
    """The clinician's line: the numbers behind the verdict, not the patient's wording."""
    parts: list[str] = []
    if summary.pain_baseline is not None and summary.pain_current is not None:
        # The change the verdict was judged on (the domain's), not one worked out again
        # from the rounded means (7.3 to 5.3 is −1.9 when the means were 7.26 and 5.34).
        change = summary.pain_change_points
        parts.append(f"Pain {summary.pain_baseline:.1f} to {summary.pain_current:.1f}"
                     + ("" if change is None else f" ({change:+.1f})"))
    if summary.psfs_baseline is not None and summary.psfs_current is not None:
        parts.append(f"PSFS {summary.psfs_baseline:.1f} to {summary.psfs_current:.1f}")
    days = summary.days_since_first_entry
    parts.append(f"{summary.sessions} sessions" + (f" over {days} days" if days else ""))
    return " · ".join(parts)
