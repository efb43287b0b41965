"""Scheduling reminders and the inbox: who may, what is audited, edit and cancel, Done and
Not now, the unread count."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from app.domain import policy
from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.domain.policy import Relation, Scope
from app.domain.reminder_delivery import Answer
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services
from app.services.reminder_overview import ReminderOverview
from app.services.reminders import CHOOSE_CHANNELS, POLICY_OPERATIONS, REMINDER, RESPOND
from app.store.interfaces import Query
from tests.conftest import FakeClock
from tests.services.reminder_helpers import (
    People,
    emailed_unsubscribe_token,
    make_people,
    reminder_services,
)

# conftest's START is 2025-03-10 12:00 UTC (08:00 in New York, after the DST change).
DAILY_7PM = Schedule(Repeat.DAILY, date(2025, 3, 10), "19:00")


@pytest.fixture
def people(services: Services) -> People:
    return make_people(services)


def audit_actions(services: Services, people: People) -> list[str]:
    return [e.action for e in services.access.audit_trail(people.patient, people.patient.id)]


def test_care_team_member_shared_with_schedules_and_reads_audited(
        services: Services, people: People, clock: FakeClock) -> None:
    reminders, _ = reminder_services(services, clock)
    made = reminders.schedule(people.care_team, people.patient.id,
                              template=Template.DAILY_CHECK_IN, schedule=DAILY_7PM)
    assert made.created_by == people.care_team.id
    assert audit_actions(services, people) == []  # scheduling is not a read
    plans = reminders.planned(people.care_team, people.patient.id)
    assert [p.value.id for p in plans] == [made.id]
    reminders.inbox(people.care_team, people.patient.id)
    assert sorted(audit_actions(services, people)) == [
        "read:reminders:read_inbox", "read:reminders:read_plans"]
    # The patient's own reads are not audited.
    reminders.planned(people.patient, people.patient.id)
    assert len(audit_actions(services, people)) == 2


@pytest.mark.parametrize("who", ["therapist", "other_patient", "admin"])
def test_nobody_else_schedules_or_reads(services: Services, people: People,
                                        clock: FakeClock, who: str) -> None:
    reminders, _ = reminder_services(services, clock)
    actor = getattr(people, who)
    with pytest.raises(NotAllowed):
        reminders.schedule(actor, people.patient.id, template=Template.DAILY_CHECK_IN,
                           schedule=DAILY_7PM)
    with pytest.raises(NotAllowed):
        reminders.planned(actor, people.patient.id)
    with pytest.raises(NotAllowed):
        reminders.inbox(actor, people.patient.id)
    assert services.store.find(Query(REMINDER)) == []


def test_a_group_is_scheduled_all_or_none(services: Services, people: People,
                                          clock: FakeClock) -> None:
    reminders, _ = reminder_services(services, clock)
    with pytest.raises(NotAllowed):  # not shared with the care team
        reminders.schedule_for_group(
            people.care_team, [people.patient.id, people.other_patient.id],
            template=Template.HOME_EXERCISE, schedule=DAILY_7PM)
    assert services.store.find(Query(REMINDER)) == []
    services.access.grant(people.other_patient, people.care_team)
    made = reminders.schedule_for_group(
        people.care_team, [people.patient.id, people.other_patient.id],
        template=Template.HOME_EXERCISE, schedule=DAILY_7PM)
    assert {r.patient_id for r in made} == {people.patient.id, people.other_patient.id}


def test_preview_in_each_patients_own_zone(services: Services, people: People,
                                           clock: FakeClock) -> None:
    reminders, _ = reminder_services(services, clock)
    services.access.grant(people.other_patient, people.care_team)
    lines = reminders.preview(people.care_team, [people.patient.id, people.other_patient.id],
                              template=Template.DAILY_CHECK_IN, schedule=DAILY_7PM, count=2)
    shown = {line.patient.name: [t.strftime("%d %H:%M %Z") for t in line.local_times]
             for line in lines}
    assert shown == {"Alex": ["10 19:00 EDT", "11 19:00 EDT"],
                     "Blair": ["10 19:00 GMT", "11 19:00 GMT"]}
    assert services.store.find(Query(REMINDER)) == []


def test_edit_and_cancel_a_pending_reminder(services: Services, people: People,
                                            clock: FakeClock) -> None:
    reminders, delivery = reminder_services(services, clock)
    made = reminders.schedule(people.care_team, people.patient.id,
                              template=Template.HOME_EXERCISE, schedule=DAILY_7PM)
    reminders.edit(people.care_team, made.id, expected_version=1,
                   schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "18:00"))
    clock.now = datetime.fromisoformat("2025-03-10T22:01:00+00:00")  # 18:01 in New York
    assert delivery.run_due().in_app == 1
    reminders.cancel(people.care_team, made.id, expected_version=2)
    clock.advance(days=3)
    assert delivery.run_due().delivered == 0
    # What was sent stays, with its delivery record, after the cancel.
    assert [i.delivery.occurrence_key for i in reminders.inbox(people.patient,
                                                               people.patient.id)] == [
        "2025-03-10"]
    with pytest.raises(InvalidInput):
        reminders.edit(people.care_team, made.id, expected_version=3, schedule=DAILY_7PM)


def test_inbox_unread_done_and_not_now(services: Services, people: People,
                                       clock: FakeClock) -> None:
    reminders, delivery = reminder_services(services, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.MESSAGE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "09:00"),
                       message="Bring your exercise sheet on Friday.")
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "10:00"))
    clock.advance(hours=3)  # 11:00 in New York
    assert delivery.run_due().in_app == 2
    assert reminders.unread_count(people.patient, people.patient.id) == 2
    items = reminders.inbox(people.patient, people.patient.id)
    assert [i.action for i in items] == ["/activities", "/reminders"]
    assert items[1].message == "Bring your exercise sheet on Friday."
    reminders.respond(people.patient, items[0].delivery.id, Answer.DONE)
    reminders.respond(people.patient, items[1].delivery.id, Answer.NOT_NOW)
    assert reminders.unread_count(people.patient, people.patient.id) == 0
    # The care team sees who responded.
    seen = reminders.inbox(people.care_team, people.patient.id)
    assert [i.outcome for i in seen] == [Answer.DONE, Answer.NOT_NOW]
    with pytest.raises(NotAllowed):
        reminders.respond(people.care_team, items[0].delivery.id, Answer.DONE)
    with pytest.raises(NotAllowed):
        reminders.unread_count(people.care_team, people.patient.id)
    with pytest.raises(NotFound):
        reminders.respond(people.patient, "nope", Answer.DONE)


def test_unsubscribe_link_turns_email_off_and_unknown_tokens_do_nothing(
        services: Services, people: People, clock: FakeClock) -> None:
    reminders, token = emailed_unsubscribe_token(services, people, clock)
    assert len(token) >= 32
    assert reminders.channels_of(people.patient.id).email
    for wrong in ("x" * 32, "", token[:-1]):
        assert not reminders.unsubscribe(wrong)
    assert reminders.channels_of(people.patient.id).email
    assert reminders.unsubscribe(token)
    assert not reminders.channels_of(people.patient.id).email
    # Only its digest is kept: no backup or export holds a working link.
    everything = json.dumps([r.to_json() for r in services.store.owner_history(
        people.patient.id)])
    assert token not in everything
    with pytest.raises(NotAllowed):
        reminders.set_email(people.care_team, people.patient.id, True)
    reminders.set_email(people.patient, people.patient.id, True)
    assert reminders.channels_of(people.patient.id).email


def test_next_reminder_for_today_screen(services: Services, people: People,
                                        clock: FakeClock) -> None:
    reminders, _ = reminder_services(services, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "06:30"))
    nxt = reminders.next_reminder(people.patient, people.patient.id)
    # Default quiet hours 22:00-07:00: the 06:30 reminder comes at 07:00 tomorrow.
    assert nxt is not None and nxt.strftime("%d %H:%M") == "11 07:00"
    assert nxt - clock.now < timedelta(days=1)


def test_a_care_team_grant_scoped_to_reminders_and_logging_does_everything_here(
        services: Services, people: People, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Grants carry no scope yet (AccessService.relation says FULL); pretend the care
    team's is the narrow one: every reminder operation still works through the policy."""
    def narrow(actor: Account, patient_id: str) -> tuple[Relation, Scope]:
        if actor.id == patient_id:
            return Relation.OWN, Scope.FULL
        return Relation.SHARED, Scope.REMINDERS_AND_LOGGING
    monkeypatch.setattr(services.access, "relation", narrow)
    reminders, delivery = reminder_services(services, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "09:00"))
    clock.advance(hours=2)
    delivery.run_due()
    assert len(reminders.inbox(people.care_team, people.patient.id)) == 1
    assert reminders.planned(people.care_team, people.patient.id)
    assert ReminderOverview(reminders, clock).activity(people.care_team)
    for name, operation in POLICY_OPERATIONS.items():
        if name not in (RESPOND, CHOOSE_CHANNELS):
            assert policy.allows(Role.CARE_TEAM, operation, Relation.SHARED,
                                 Scope.REMINDERS_AND_LOGGING), name


def test_a_patient_who_never_saved_settings_gets_the_default_daily_check_in(
        services: Services, clock: FakeClock) -> None:
    """Settings shows "Remind me to check in every day" on until the patient changes it,
    so the scheduler sends it (19:00 their time) to a patient with no saved settings;
    never to a clinician or an admin."""
    kim = services.accounts.create("kim@example.com", "Kim", "backtrack-test-pw",
                                   Role.PATIENT, "Europe/London")
    services.accounts.create("sam@example.com", "Sam", "backtrack-test-pw", Role.THERAPIST)
    reminders, delivery = reminder_services(services, clock)
    nxt = reminders.next_reminder(kim, kim.id)
    assert nxt is not None and nxt.strftime("%d %H:%M") == "10 19:00"
    clock.now = datetime(2025, 3, 10, 19, 1, tzinfo=clock.now.tzinfo)
    assert delivery.run_due().in_app == 1
    [item] = reminders.inbox(kim, kim.id)
    assert item.title == Template.DAILY_CHECK_IN.label
    patients = {plan.patient_id for plan, _ in reminders.plans_for_delivery(clock.now)}
    assert patients == {kim.id}
