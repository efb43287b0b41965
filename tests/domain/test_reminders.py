"""When the next reminder is due: daily check-in, post-session follow-ups, quiet hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain.entries import NeedlingSession
from app.domain.errors import InvalidInput
from app.domain.reminders import ReminderPrefs, check_prefs, in_quiet_hours, next_due

ZONE = ZoneInfo("Europe/London")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


def session(when: datetime) -> NeedlingSession:
    return NeedlingSession("s1", "p1", when, ("lumbar",), "t1")


def test_daily_check_in_later_today() -> None:
    due = next_due(ReminderPrefs("p1"), at(10, 9), False, [])
    assert due is not None and due.at == at(10, 19) and due.what == "Daily check-in"


def test_daily_check_in_moves_to_tomorrow_once_done_or_past() -> None:
    assert next_due(ReminderPrefs("p1"), at(10, 9), True, []).at == at(11, 19)  # type: ignore[union-attr]
    assert next_due(ReminderPrefs("p1"), at(10, 20), False, []).at == at(11, 19)  # type: ignore[union-attr]


def test_session_follow_up_comes_first_when_sooner() -> None:
    due = next_due(ReminderPrefs("p1"), at(10, 9), False, [session(at(9, 12))])
    assert due is not None
    assert due.at == at(10, 12)
    assert "24 h" in due.what


def test_follow_up_in_quiet_hours_waits_until_morning() -> None:
    prefs = ReminderPrefs("p1", daily_check_in=False)
    due = next_due(prefs, at(10, 9), False, [session(at(9, 23, 30))])
    assert due is not None and due.at == at(11, 7)


def test_nothing_due_when_everything_is_off() -> None:
    prefs = ReminderPrefs("p1", daily_check_in=False, session_follow_ups=False)
    assert next_due(prefs, at(10, 9), False, [session(at(10, 8))]) is None


@pytest.mark.parametrize(("hour", "quiet"), [(21, False), (22, True), (3, True), (7, False)])
def test_quiet_hours_across_midnight(hour: int, quiet: bool) -> None:
    assert in_quiet_hours(at(10, hour), ReminderPrefs("p1")) is quiet


def test_old_sessions_do_not_remind() -> None:
    prefs = ReminderPrefs("p1", daily_check_in=False)
    assert next_due(prefs, at(10, 9), False, [session(at(10, 9) - timedelta(days=5))]) is None


@pytest.mark.parametrize("bad", ["7pm", "25:00", "", "19"])
def test_bad_times_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_prefs(ReminderPrefs("p1", check_in_time=bad))
    assert "check_in_time" in caught.value.problems
