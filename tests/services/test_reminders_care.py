"""What the care team's Reminders screen needs of the services: "Send now" (due at once on
each patient's own clock, delivered by the next scheduler run), a plan that would never
send anything refused, and each plan with what became of every occurrence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.errors import InvalidInput
from app.domain.reminder_delivery import Answer
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.main import Services
from app.services.notifier import DeliveryFailed, MemoryNotifier, ReminderEmail
from app.services.reminder_overview import Reached, ReminderOverview
from app.services.reminders import SEND_NOW
from tests.conftest import FakeClock
from tests.services.reminder_helpers import People, make_people, reminder_services


class RefusingFirst(MemoryNotifier):
    """A mail server refusing one address until it has given up (1 try + 4 retries)."""

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address, self.refused = address, 0

    def send(self, email: ReminderEmail) -> None:
        if email.to == self.address and self.refused < 5:
            self.refused += 1
            raise DeliveryFailed("550 mailbox unavailable")
        super().send(email)


# 12:00:40 UTC: 07:00 in New York, 12:00 in London, 40 s into the minute.
NOON = datetime(2025, 3, 10, 12, 0, 40, tzinfo=UTC)


@pytest.fixture
def people(services: Services, clock: FakeClock) -> People:
    clock.now = NOON
    people = make_people(services)  # Alex in New York, Blair in London
    services.access.grant(people.other_patient, people.care_team)
    return people


def test_send_now_is_once_at_this_minute_on_each_patients_clock_and_arrives_next_run(
        services: Services, people: People, clock: FakeClock) -> None:
    reminders, delivery = reminder_services(services, clock)
    ids = [people.patient.id, people.other_patient.id]
    preview = reminders.preview(people.care_team, ids, template=Template.MESSAGE,
                                schedule=SEND_NOW, message="Bring your sheet")
    assert [(line.patient.name, [f"{t:%Y-%m-%d %H:%M %Z}" for t in line.local_times])
            for line in preview] == [("Alex", ["2025-03-10 08:00 EDT"]),
                                     ("Blair", ["2025-03-10 12:00 GMT"])]
    made = reminders.schedule_for_group(people.care_team, ids, template=Template.MESSAGE,
                                        schedule=SEND_NOW, message="Bring your sheet")
    assert [m.schedule for m in made] == [
        Schedule(Repeat.ONCE, date(2025, 3, 10), "08:00"),
        Schedule(Repeat.ONCE, date(2025, 3, 10), "12:00")]
    clock.advance(seconds=2)  # the server's next run
    assert delivery.run_due().in_app == 2
    for patient in (people.patient, people.other_patient):
        [item] = reminders.inbox(patient, patient.id)
        assert (item.message, item.unread) == ("Bring your sheet", True)
    assert delivery.run_due().in_app == 0  # once


def test_a_time_that_has_passed_is_refused_and_nothing_is_saved(
        services: Services, people: People, clock: FakeClock) -> None:
    reminders, _ = reminder_services(services, clock)
    ids = [people.patient.id, people.other_patient.id]
    # 09:00 today is still to come in New York (08:00 now), past in London (12:00).
    with pytest.raises(InvalidInput) as refused:
        reminders.schedule_for_group(
            people.care_team, ids, template=Template.HOME_EXERCISE,
            schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "09:00"))
    assert refused.value.problems == {
        "first_day": "That time has passed on Blair's clock (Europe/London): nothing "
                     "would be sent."}
    assert reminders.planned(people.care_team, people.patient.id) == []
    # Daily from today goes on tomorrow: accepted.
    reminders.schedule_for_group(people.care_team, ids, template=Template.HOME_EXERCISE,
                                 schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "09:00"))


def test_each_plan_with_its_next_time_and_what_became_of_each_occurrence(
        services: Services, people: People, clock: FakeClock) -> None:
    notifier = RefusingFirst(people.patient.email)
    reminders, delivery = reminder_services(services, clock, notifier=notifier)
    overview = ReminderOverview(reminders, clock)
    alex = people.patient
    daily = reminders.schedule(people.care_team, alex.id, template=Template.HOME_EXERCISE,
                               schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "09:00"))
    once = reminders.schedule(people.care_team, people.other_patient.id,
                              template=Template.MESSAGE, schedule=SEND_NOW, message="Hi")
    [first, second] = overview.plans(people.care_team)
    # Send now is still to come until the scheduler has recorded it.
    assert (first.plan.value.id, first.pending, first.sent) == (once.id, True, [])
    assert (second.plan.value.id, second.next_due) == (
        daily.id, datetime(2025, 3, 10, 13, 0, tzinfo=UTC))
    # Four mornings in New York, an email each; the mail server refuses every try.
    for _ in range(4 * 24 * 4):
        delivery.run_due()
        clock.advance(minutes=15)
    inbox = {i.delivery.due_at.day: i for i in reminders.inbox(alex, alex.id)}
    assert sorted(inbox) == [10, 11, 12, 13]
    reminders.respond(alex, inbox[13].delivery.id, Answer.DONE)
    reminders.respond(alex, inbox[12].delivery.id, Answer.NOT_NOW)
    reminders.open_item(alex, inbox[11].delivery.id)
    status = {p.plan.value.id: p for p in overview.plans(people.care_team)}
    sent = status[daily.id].sent
    assert [(s.due_at.day, s.reached) for s in sent] == [
        (13, Reached.DONE), (12, Reached.NOT_NOW), (11, Reached.OPENED),
        (10, Reached.NOT_OPENED)]
    # Given up after every retry: the first morning's email (the others were sent).
    assert [s.email_failed for s in sent] == ["", "", "", "550 mailbox unavailable"]
    assert status[daily.id].next_due == datetime(2025, 3, 14, 13, 0, tzinfo=UTC)
    assert [(s.reached, status[once.id].pending) for s in status[once.id].sent] == [
        (Reached.NOT_OPENED, False)]
    # Cancelled: nothing more to come, what was sent stays.
    reminders.cancel(people.care_team, daily.id,
                     expected_version=status[daily.id].plan.version)
    cancelled = {p.plan.value.id: p for p in overview.plans(people.care_team)}[daily.id]
    assert (cancelled.pending, len(cancelled.sent)) == (False, 4)


def test_plans_list_only_patients_who_shared_and_audits_the_read(
        services: Services, people: People, clock: FakeClock) -> None:
    reminders, _ = reminder_services(services, clock)
    overview = ReminderOverview(reminders, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.MESSAGE,
                       schedule=SEND_NOW, message="Hi")
    assert overview.plans(people.therapist) == []
    assert [p.patient.name for p in overview.plans(people.care_team)] == ["Alex"]
    audit = [e.action for e in services.access.audit_trail(people.patient,
                                                           people.patient.id)]
    assert "read:reminders:read_plans" in audit
