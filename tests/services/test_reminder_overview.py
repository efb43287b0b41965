"""The care team's overview: groups to remind, who responded, most in need first; only
patients who shared with them, each read audited, and no scores in any of it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import pytest

from app.domain.reminder_delivery import Answer
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services
from app.services.reminder_overview import Group, ReminderOverview
from tests.conftest import FakeClock
from tests.services.reminder_helpers import People, make_people, reminder_services


@pytest.fixture
def people(services: Services) -> People:
    people = make_people(services)
    services.access.grant(people.other_patient, people.care_team)
    return people


def test_groups_activity_and_audit(services: Services, people: People,
                                   clock: FakeClock) -> None:
    reminders, delivery = reminder_services(services, clock)
    overview = ReminderOverview(reminders, clock)
    services.logbook.check_in(people.patient, people.patient.id, pain_now=7)
    services.logbook.log_session(people.other_patient, people.other_patient.id,
                                 regions=["lumbar"])
    reminders.schedule_for_group(people.care_team, [people.patient.id, people.other_patient.id],
                                 template=Template.HOME_EXERCISE,
                                 schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "19:30"))
    clock.advance(days=4)
    for _ in range(4):
        delivery.run_due()
        clock.advance(hours=6)
    [first, *_] = reminders.inbox(people.patient, people.patient.id)
    reminders.respond(people.patient, first.delivery.id, Answer.DONE)

    names = {p.name for p in overview.group(people.care_team, Group.NOT_LOGGING, days=3)}
    assert names == {"Alex", "Blair"}  # Alex logged 5 days ago, Blair never
    assert [p.name for p in overview.group(people.care_team, Group.NOT_LOGGING, days=6)] \
        == ["Blair"]
    clock.advance(days=-4)
    assert [p.name for p in overview.group(people.care_team, Group.RECENT_SESSION)] == \
        ["Blair"]
    clock.advance(days=4)

    rows = overview.activity(people.care_team)
    assert [(r.patient.name, r.days_since_check_in, r.done) for r in rows] == [
        ("Blair", None, 0), ("Alex", 5, 1)]
    # The first run came four days late: only the latest of the missed ones was sent
    # (the others were replaced by it), then the next day's on time.
    assert [(r.sent, r.opened) for r in rows] == [(2, 0), (2, 1)]
    # Whether they logged and responded, nothing of what they logged (pain was 7).
    assert set(asdict(rows[0])) == {"patient", "days_since_check_in", "sent", "opened",
                                    "done", "failed_emails"}
    audit = [e.action for e in services.access.audit_trail(people.patient, people.patient.id)]
    assert audit.count("read:reminders:read_activity") == 4


def test_only_patients_who_shared_are_listed(services: Services, people: People,
                                             clock: FakeClock) -> None:
    reminders, _ = reminder_services(services, clock)
    overview = ReminderOverview(reminders, clock)
    assert overview.activity(people.therapist) == []
    assert overview.group(people.therapist, Group.ALL_SHARED) == []
    assert {p.name for p in overview.group(people.care_team, Group.ALL_SHARED)} == \
        {"Alex", "Blair"}
