"""Reminder plans and their occurrences: schedules, the patient's zone, daylight saving
(gaps and overlaps), quiet hours, and what is late or stale after downtime."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain.errors import InvalidInput
from app.domain.reminder_plan import (
    Fate,
    Repeat,
    Schedule,
    Template,
    fate,
    new_reminder,
    next_occurrence,
    occurrences,
    soreness_reminder,
)
from app.domain.reminders import ReminderPrefs

NEW_YORK = "America/New_York"
NY = ZoneInfo(NEW_YORK)
MADE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NO_QUIET = ReminderPrefs("p1", quiet_from="00:00", quiet_until="00:00")


def plan(repeat: Repeat, at: str = "09:00", first: date = date(2026, 3, 2), *,
         weekdays: tuple[int, ...] = (), until: date | None = None,
         template: Template = Template.DAILY_CHECK_IN, zone: str = NEW_YORK):
    return new_reminder(id="r1", patient_id="p1", template=template,
                        schedule=Schedule(repeat, first, at, weekdays, until),
                        created_by="c1", now=MADE, timezone=zone)


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NY).astimezone(UTC)


def window(reminder, start: datetime, days: int, quiet: ReminderPrefs | None = NO_QUIET,
           zone: str = NEW_YORK):
    return occurrences(reminder, zone, quiet, start, start + timedelta(days=days))


def test_daily_at_local_wall_time_across_spring_forward() -> None:
    # 2026-03-08: New York jumps from 02:00 EST to 03:00 EDT.
    found = window(plan(Repeat.DAILY, "19:00"), local(6, 0), 4)
    assert [o.planned for o in found] == [local(6, 19), local(7, 19), local(8, 19),
                                          local(9, 19)]
    utc_hours = [o.planned.hour for o in found]
    assert utc_hours == [0, 0, 23, 23]  # the UTC time shifts, the wall time does not
    assert [o.key for o in found] == ["2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09"]


def test_a_time_in_the_dst_gap_happens_once_an_hour_later() -> None:
    found = window(plan(Repeat.DAILY, "02:30"), local(7, 0), 3)
    on_gap_day = [o for o in found if o.key == "2026-03-08"]
    assert len(on_gap_day) == 1
    assert on_gap_day[0].planned.astimezone(NY).strftime("%H:%M %Z") == "03:30 EDT"
    assert len(found) == 3


def test_a_time_in_the_dst_overlap_happens_once_the_first_time() -> None:
    # 2026-11-01: 01:00-02:00 happens twice (EDT, then EST).
    reminder = plan(Repeat.DAILY, "01:30", first=date(2026, 10, 30))
    found = window(reminder, datetime(2026, 10, 31, 0, 0, tzinfo=NY).astimezone(UTC), 3)
    on_overlap = [o for o in found if o.key == "2026-11-01"]
    assert len(on_overlap) == 1
    assert on_overlap[0].planned == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    assert len(found) == 3


def test_chosen_weekdays_until_a_date() -> None:
    # Monday and Thursday, until Thursday 2026-03-12 included.
    reminder = plan(Repeat.WEEKDAYS, "08:00", weekdays=(0, 3), until=date(2026, 3, 12),
                    template=Template.HOME_EXERCISE)
    found = window(reminder, local(1, 0), 30)
    assert [o.key for o in found] == ["2026-03-02", "2026-03-05", "2026-03-09", "2026-03-12"]


def test_once_happens_once() -> None:
    found = window(plan(Repeat.ONCE, "10:15", first=date(2026, 3, 4),
                        template=Template.HOME_EXERCISE), local(1, 0), 30)
    assert [o.planned for o in found] == [local(4, 10, 15)]


def test_quiet_hours_move_an_occurrence_to_their_end_never_drop_it() -> None:
    quiet = ReminderPrefs("p1", quiet_from="22:00", quiet_until="07:00")
    found = window(plan(Repeat.DAILY, "23:30"), local(2, 0), 4, quiet)
    # The 23:30 of the first day (2 March) comes at 07:00 on the 3rd, and so on.
    assert [o.due for o in found] == [local(3, 7), local(4, 7), local(5, 7)]
    assert [o.key for o in found] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert all(o.moved_by_quiet_hours for o in found)
    early = window(plan(Repeat.DAILY, "06:00"), local(2, 0), 1, quiet)
    assert [o.due for o in early] == [local(2, 7)]


def test_end_of_quiet_hours_in_the_dst_gap() -> None:
    # Quiet until 02:30, which does not exist on 2026-03-08: the reminder comes at 03:30.
    quiet = ReminderPrefs("p1", quiet_from="01:00", quiet_until="02:30")
    found = window(plan(Repeat.DAILY, "01:15"), local(8, 0), 1, quiet)
    assert [o.due.astimezone(NY).strftime("%H:%M") for o in found] == ["03:30"]


def test_the_same_plan_in_another_zone_is_that_zones_wall_time() -> None:
    reminder = plan(Repeat.DAILY, "19:00", zone="Europe/London")
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    found = occurrences(reminder, "Europe/London", NO_QUIET, start, start + timedelta(days=1))
    assert [o.planned for o in found] == [datetime(2026, 3, 2, 19, 0, tzinfo=UTC)]
    found_ny = occurrences(reminder, NEW_YORK, NO_QUIET, start, start + timedelta(days=2))
    assert [o.planned for o in found_ny][:1] == [local(2, 19)]


def test_nothing_before_the_plan_was_made_and_nothing_when_cancelled() -> None:
    reminder = plan(Repeat.DAILY, "09:00", first=date(2026, 2, 20))
    found = window(reminder, local(20, 0, month=2), 12)
    # Made on 2026-03-01 at 07:00 New York time: that day's 09:00 is the first.
    assert found[0].key == "2026-03-01"
    assert window(replace(reminder, cancelled=True), local(1, 0), 10) == []


def test_soreness_checks_at_clinic_hours_after_the_session() -> None:
    session_at = local(10, 16)
    reminder = soreness_reminder(session_id="s1", patient_id="p1", performed_at=session_at,
                                 hours=(24, 48))
    found = window(reminder, session_at, 5)
    assert [o.due for o in found] == [local(11, 16), local(12, 16)]
    # The 24 h check stops making sense once the 48 h one is due.
    assert found[0].expires == found[1].due


def test_appointment_reminded_the_day_before_and_two_hours_before() -> None:
    appointment = local(9, 10)  # the day after the spring-forward night
    reminder = new_reminder(id="a1", patient_id="p1", template=Template.APPOINTMENT,
                            schedule=Schedule(Repeat.ONCE), created_by="c1", now=MADE,
                            timezone=NEW_YORK, place="Main St clinic",
                            appointment_at=appointment)
    found = window(reminder, local(2, 0), 10)
    assert [o.due for o in found] == [local(8, 10), local(9, 8)]  # 10:00 EDT and EST
    assert found[1].expires == appointment


def test_fate_on_time_late_and_stale() -> None:
    found = window(plan(Repeat.DAILY, "19:00"), local(2, 0), 3)
    first = found[0]
    assert fate(first, first.due + timedelta(minutes=5)) is Fate.ON_TIME
    assert fate(first, first.due + timedelta(hours=3)) is Fate.LATE
    # Two days later the next check-in has replaced it.
    assert fate(first, first.due + timedelta(days=2)) is Fate.STALE
    assert fate(first, found[1].due) is Fate.STALE


def test_next_occurrence_preview() -> None:
    nxt = next_occurrence(plan(Repeat.DAILY, "19:00"), NEW_YORK, NO_QUIET, local(3, 20))
    assert nxt is not None and nxt.planned == local(4, 19)


@pytest.mark.parametrize("change, field", [
    ({"template": Template.MESSAGE}, "message"),
    ({"schedule": Schedule(Repeat.WEEKDAYS, date(2026, 3, 2))}, "weekdays"),
    ({"schedule": Schedule(Repeat.DAILY, date(2026, 3, 2), until=date(2026, 3, 1))},
     "until"),
    ({"schedule": Schedule(Repeat.DAILY, date(2026, 3, 2), at="7pm")}, "at"),
    ({"template": Template.APPOINTMENT}, "appointment_at"),
])
def test_wrong_plans_are_refused_by_field(change: dict, field: str) -> None:
    args = {"id": "r1", "patient_id": "p1", "template": Template.HOME_EXERCISE,
            "schedule": Schedule(Repeat.DAILY, date(2026, 3, 2)), "created_by": "c1",
            "now": MADE, "timezone": NEW_YORK, **change}
    with pytest.raises(InvalidInput) as refused:
        new_reminder(**args)
    assert field in refused.value.problems
