"""Reminders in the demo clinic (issue 13): what Jordan, the care team, scheduled and what
has already reached the patients, so the reminder screens have something to show.

- a message to all three patients three days ago (Alex answered "Done")
- Alex: home exercises on Monday, Wednesday and Friday at 18:00
- Blair: an appointment in five days at 10:00 (reminded the day before and 2 h before)
Call after app.services.demo.seed_demo, on the store it filled.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from app.domain.accounts import Account
from app.domain.reminder_delivery import Answer
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.domain.zones import to_local
from app.services.delivery import DeliveryService
from app.services.reminders import ReminderService

DEMO_MESSAGE = "Please bring your home-exercise sheet to your next visit."


class _At:
    """A clock stopped at one moment (the demo replays the last three days)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def seed_demo_reminders(reminders: ReminderService, delivery: DeliveryService,
                        made: dict[str, Account], now: datetime) -> None:
    jordan = made["jordan@example.com"]
    alex, blair, casey = (made[f"{n}@example.com"] for n in ("alex", "blair", "casey"))
    three_days_ago = now - timedelta(days=3)
    saved_clocks = reminders.clock, delivery.clock
    try:
        # Scheduled three days ago, as the care team would have.
        reminders.clock = delivery.clock = _At(three_days_ago)
        local_then = to_local(three_days_ago + timedelta(minutes=30), alex.timezone)
        reminders.schedule_for_group(
            jordan, [alex.id, blair.id, casey.id], template=Template.MESSAGE,
            schedule=Schedule(Repeat.AT_MOMENTS,
                              moments=(three_days_ago + timedelta(minutes=30),)),
            message=DEMO_MESSAGE)
        reminders.schedule(jordan, alex.id, template=Template.HOME_EXERCISE,
                           schedule=Schedule(Repeat.WEEKDAYS, local_then.date(),
                                             "18:00", weekdays=(0, 2, 4)))
        appointment_day = to_local(now, blair.timezone).date() + timedelta(days=5)
        appointment = datetime.combine(appointment_day, time(10, 0),
                                       to_local(now, blair.timezone).tzinfo)
        reminders.schedule(jordan, blair.id, template=Template.APPOINTMENT,
                           schedule=Schedule(Repeat.ONCE), place="Riverside Physio, room 2",
                           appointment_at=appointment)
        # The scheduler has run every hour since; Alex answered the message at once.
        run_at = three_days_ago + timedelta(minutes=31)
        while run_at < now:
            delivery.clock = reminders.clock = _At(run_at)
            delivery.run_due()
            message = [i for i in reminders.inbox(alex, alex.id)
                       if i.delivery.template is Template.MESSAGE and i.outcome is None]
            if message:
                reminders.respond(alex, message[0].delivery.id, Answer.DONE)
            run_at += timedelta(hours=1)
    finally:
        reminders.clock, delivery.clock = saved_clocks
