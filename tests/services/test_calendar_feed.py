"""Calendar feeds parsed back with icalendar: events and alarms at the same instants the
scheduler uses, in the patient's zone, across a daylight-saving change; recurrence right;
revoked and unknown tokens refused alike; the token itself never stored."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Alarms, Calendar

from app.domain.errors import NotAllowed, NotFound
from app.domain.reminder_plan import Repeat, Schedule, Template, occurrences
from app.domain.reminders import ReminderPrefs
from app.main import Services
from app.services.calendar_feed import NO_SUCH_CALENDAR, CalendarFeedService
from app.services.reminders import ReminderService
from app.store.interfaces import RecordStore
from tests.conftest import FakeClock
from tests.services.reminder_helpers import LINKS, People, make_people, reminder_services

NY = ZoneInfo("America/New_York")


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=NY)


@pytest.fixture
def people(services: Services, clock: FakeClock) -> People:
    clock.now = ny(3, 6, 12).astimezone(UTC)  # before New York's spring-forward (9 March)
    return make_people(services)


@pytest.fixture
def reminders(services: Services, clock: FakeClock) -> ReminderService:
    return reminder_services(services, clock)[0]


@pytest.fixture
def feeds(services: Services, reminders: ReminderService,
          clock: FakeClock) -> CalendarFeedService:
    return CalendarFeedService(services.store, reminders, LINKS, clock)


def token_of(url: str) -> str:
    assert url.startswith("https://clinic.example/calendar/") and url.endswith(".ics")
    return url.removeprefix("https://clinic.example/calendar/").removesuffix(".ics")


def events(feed: bytes) -> list[Any]:
    return list(Calendar.from_ical(feed).walk("VEVENT"))


def expand(event: Any, until: datetime) -> list[datetime]:
    start = event.decoded("DTSTART")
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=start)
    return [d.astimezone(UTC) for d in rule.between(start - timedelta(seconds=1), until,
                                                    inc=True)]


def set_quiet(services: Services, people: People, start: str, end: str) -> ReminderPrefs:
    prefs = ReminderPrefs(people.patient.id, daily_check_in=False, session_follow_ups=False,
                          quiet_from=start, quiet_until=end)
    services.logbook.set_reminders(people.patient, prefs)
    return prefs


def scheduler_times(reminders: ReminderService, people: People, plan_id: str,
                    prefs: ReminderPrefs, until: datetime) -> list[datetime]:
    plan = reminders.plans.get(plan_id)
    assert plan is not None
    found = occurrences(plan.value, "America/New_York", prefs,
                        plan.value.created_at, until)
    return [o.due for o in found]


def test_daily_reminder_is_one_recurring_event_across_dst_with_alarms(
        services: Services, people: People, reminders: ReminderService,
        feeds: CalendarFeedService) -> None:
    prefs = set_quiet(services, people, "22:00", "07:00")
    plan = reminders.schedule(people.care_team, people.patient.id,
                              template=Template.DAILY_CHECK_IN,
                              schedule=Schedule(Repeat.DAILY, date(2025, 3, 7), "19:00",
                                                until=date(2025, 3, 12)))
    token = token_of(feeds.turn_on(people.patient, people.patient.id))
    [event] = events(feeds.feed(token))
    start = event.decoded("DTSTART")
    assert start == ny(3, 7, 19) and str(start.tzinfo) == "America/New_York"
    assert event["RRULE"].to_ical() == b"FREQ=DAILY;UNTIL=20250312T230000Z"
    times = expand(event, ny(4, 1, 0))
    assert [t.astimezone(NY).strftime("%d %H:%M") for t in times] == [
        "07 19:00", "08 19:00", "09 19:00", "10 19:00", "11 19:00", "12 19:00"]
    assert [t.hour for t in times[:3]] == [0, 0, 23]  # UTC moves by an hour on the 9th
    assert times == scheduler_times(reminders, people, plan.id, prefs, ny(4, 1, 0))
    [alarm] = Alarms(event).times
    assert alarm.trigger == start
    assert str(event["SUMMARY"]) == "Time for your daily check-in"


def test_weekday_reminder_moved_by_quiet_hours_to_the_next_morning(
        services: Services, people: People, reminders: ReminderService,
        feeds: CalendarFeedService) -> None:
    prefs = set_quiet(services, people, "22:00", "07:00")
    # Mondays and Thursdays at 23:30: quiet hours move them to Tuesday and Friday 07:00.
    plan = reminders.schedule(people.care_team, people.patient.id,
                              template=Template.HOME_EXERCISE,
                              schedule=Schedule(Repeat.WEEKDAYS, date(2025, 3, 6), "23:30",
                                                weekdays=(0, 3), until=date(2025, 3, 20)))
    [event] = events(feeds.feed(token_of(feeds.turn_on(people.patient, people.patient.id))))
    assert event["RRULE"]["BYDAY"] == ["TU", "FR"]
    times = expand(event, ny(4, 30, 0))
    assert [t.astimezone(NY).strftime("%a %d %H:%M") for t in times] == [
        "Fri 07 07:00", "Tue 11 07:00", "Fri 14 07:00", "Tue 18 07:00", "Fri 21 07:00"]
    assert times == scheduler_times(reminders, people, plan.id, prefs, ny(4, 30, 0))


def test_appointment_event_with_alarms_the_day_before_and_two_hours_before(
        services: Services, people: People, reminders: ReminderService,
        feeds: CalendarFeedService) -> None:
    prefs = set_quiet(services, people, "00:00", "00:00")
    plan = reminders.schedule(people.care_team, people.patient.id,
                              template=Template.APPOINTMENT, schedule=Schedule(Repeat.ONCE),
                              place="Harbour Physio, 2 Quay St",
                              appointment_at=ny(3, 9, 10))  # the morning after the change
    token = token_of(feeds.turn_on(people.patient, people.patient.id))
    for feed in (feeds.feed(token), feeds.appointment_ics(people.patient, plan.id)):
        [event] = events(feed)
        assert event.decoded("DTSTART") == ny(3, 9, 10)
        assert str(event["LOCATION"]) == "Harbour Physio, 2 Quay St"
        alarms: list[datetime] = sorted(a.trigger for a in Alarms(event).times)  # type: ignore[misc]
        # 10:00 EST the day before (23 h earlier, not 24), and 08:00 EDT.
        assert [a.astimezone(NY).strftime("%d %H:%M %Z") for a in alarms] == [
            "08 10:00 EST", "09 08:00 EDT"]
        assert [a.astimezone(UTC) for a in alarms] == scheduler_times(
            reminders, people, plan.id, prefs, ny(4, 1, 0))


def test_one_off_reminders_are_events_and_a_message_text_stays_out(
        services: Services, people: People, reminders: ReminderService,
        feeds: CalendarFeedService) -> None:
    set_quiet(services, people, "00:00", "00:00")
    reminders.schedule(people.care_team, people.patient.id, template=Template.MESSAGE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 9), "02:30"),
                       message="Your pain scores look worse, please call us")
    feed = feeds.feed(token_of(feeds.turn_on(people.patient, people.patient.id)))
    [event] = events(feed)
    # 02:30 does not exist on 9 March in New York: 03:30 EDT, as the scheduler sends it.
    assert event.decoded("DTSTART").astimezone(NY).strftime("%H:%M %Z") == "03:30 EDT"
    assert b"pain" not in feed.lower() and b"call us" not in feed


def test_revoked_and_unknown_tokens_are_refused_alike(
        services: Services, people: People, feeds: CalendarFeedService) -> None:
    first = token_of(feeds.turn_on(people.patient, people.patient.id))
    second = token_of(feeds.turn_on(people.patient, people.patient.id))  # a new address
    assert len(second) >= 43 and feeds.is_on(people.patient, people.patient.id)
    feeds.feed(second)
    refusals = []
    for token in (first, "not-a-token", "x" * 43):
        with pytest.raises(NotFound) as refused:
            feeds.feed(token)
        refusals.append(str(refused.value))
    feeds.revoke(people.patient, people.patient.id)
    with pytest.raises(NotFound) as refused:
        feeds.feed(second)
    refusals.append(str(refused.value))
    assert refusals == [NO_SUCH_CALENDAR] * 4
    assert not feeds.is_on(people.patient, people.patient.id)


def test_only_the_patient_turns_the_feed_on_and_the_token_is_never_stored(
        services: Services, people: People, feeds: CalendarFeedService) -> None:
    with pytest.raises(NotAllowed):
        feeds.turn_on(people.care_team, people.patient.id)
    with pytest.raises(NotAllowed):
        feeds.revoke(people.care_team, people.patient.id)
    token = token_of(feeds.turn_on(people.patient, people.patient.id))
    store: RecordStore = services.store
    everything = json.dumps([r.to_json() for r in store.owner_history(people.patient.id)])
    assert token not in everything
