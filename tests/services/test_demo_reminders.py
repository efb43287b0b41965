"""The demo clinic's reminders: scheduled by the care team, some delivered, one answered."""

from __future__ import annotations

from app.domain.reminder_delivery import Answer
from app.domain.reminder_plan import Template
from app.main import Services
from app.services.demo import seed_demo
from app.services.demo_reminders import DEMO_MESSAGE, seed_demo_reminders
from app.services.reminder_overview import ReminderOverview
from tests.conftest import FakeClock
from tests.services.reminder_helpers import reminder_services


def test_demo_reminders(services: Services, clock: FakeClock) -> None:
    made = seed_demo(services.accounts, services.access, services.logbook, services.clinic,
                     services.guidance, clock())
    reminders, delivery = reminder_services(services, clock)
    seed_demo_reminders(reminders, delivery, made, clock())
    alex, blair = made["alex@example.com"], made["blair@example.com"]
    jordan = made["jordan@example.com"]
    inbox = reminders.inbox(alex, alex.id)
    message = [i for i in inbox if i.delivery.template is Template.MESSAGE]
    assert [(i.message, i.outcome) for i in message] == [(DEMO_MESSAGE, Answer.DONE)]
    assert any(i.delivery.template is Template.HOME_EXERCISE for i in inbox)
    assert reminders.unread_count(alex, alex.id) >= 1
    plans = {p.value.template for p in reminders.planned(jordan, blair.id)}
    assert plans == {Template.MESSAGE, Template.APPOINTMENT}
    rows = ReminderOverview(reminders, clock).activity(jordan)
    assert {r.patient.email for r in rows} == {"alex@example.com", "blair@example.com",
                                               "casey@example.com"}
    assert all(r.sent >= 1 for r in rows)
    assert next(r for r in rows if r.patient.id == alex.id).done == 1
