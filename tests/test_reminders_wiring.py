"""The reminders' composition: the scheduler as a background job delivers what fell due
while the server was down as soon as the jobs start, and again when woken."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from app.domain.accounts import Role
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.jobs import Jobs
from app.main import Services
from app.reminders_wiring import DELIVERY_JOB, build_reminder_services, schedule_delivery
from app.services.delivery import RunSummary
from tests.conftest import FakeClock

WAIT = 10.0  # a bound for a broken runner, not a timing assertion


def test_the_scheduler_job_delivers_at_start_and_when_woken(
        tmp_path: Path, services: Services, clock: FakeClock) -> None:
    patient = services.accounts.create("alex@example.com", "Alex", "backtrack-wire", Role.PATIENT)
    built = build_reminder_services(services.store, services.access, services.clinic,
                                     data_dir=tmp_path, base_url="https://clinic.example",
                                     clock=clock)
    for hour in ("12:30", "14:00"):
        built.reminders.schedule(patient, patient.id, template=Template.HOME_EXERCISE,
                                 schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), hour))
    runs: list[RunSummary] = []
    ran = [threading.Event(), threading.Event()]
    run_due = built.delivery.run_due

    def run_and_note() -> None:
        runs.append(run_due())
        ran[len(runs) - 1].set()

    built.delivery.run_due = run_and_note  # type: ignore[method-assign,assignment]
    clock.advance(hours=1)  # the server was down from 12:00 to 13:00 UTC
    jobs = Jobs()
    schedule_delivery(jobs, built.delivery, every_seconds=3600)
    jobs.start()
    try:
        assert ran[0].wait(WAIT)
        clock.advance(hours=2)  # 15:00 UTC: the 14:00 one is due
        jobs.run_now(DELIVERY_JOB)
        assert ran[1].wait(WAIT)
    finally:
        jobs.stop()
    assert [(r.in_app, r.late) for r in runs] == [(1, 1), (1, 1)]
    assert len(built.reminders.inbox(patient, patient.id)) == 2


def test_links_in_feeds_use_the_public_address(clock: FakeClock) -> None:
    from app.main import build_services
    from app.store.memory import MemoryStore
    from tests.conftest import FAST_SETTINGS

    settings = FAST_SETTINGS.with_overrides(public_address="https://clinic.example/bt")
    built = build_services(settings, MemoryStore(), clock=clock)
    patient = built.accounts.create("alex@example.com", "Alex", "backtrack-wire", Role.PATIENT)
    address = built.reminders.calendar.turn_on(patient, patient.id)
    assert address.startswith("https://clinic.example/bt/calendar/")
    assert address.endswith(".ics")


def test_the_servers_scheduler_runs_at_the_interval_of_the_settings(clock: FakeClock) -> None:
    """With a one-second interval a reminder scheduled after the start is delivered
    without anyone waking the scheduler (the default minute would not be up yet)."""
    from app.main import background_jobs, build_services
    from app.store.memory import MemoryStore
    from tests.conftest import FAST_SETTINGS

    built = build_services(FAST_SETTINGS.with_overrides(reminder_interval_seconds=1),
                           MemoryStore(), clock=clock)
    patient = built.accounts.create("alex@example.com", "Alex", "backtrack-wire", Role.PATIENT)
    jobs = background_jobs(built)
    jobs.start()
    pause = threading.Event()
    try:
        for _ in range(int(WAIT * 10)):  # the run at start is over: the next is the interval's
            if jobs.stats(DELIVERY_JOB)[0] >= 1:
                break
            pause.wait(0.1)
        built.reminders.reminders.schedule(
            patient, patient.id, template=Template.HOME_EXERCISE,
            schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "12:00"))
        clock.advance(minutes=1)
        for _ in range(int(WAIT * 10)):
            if built.reminders.reminders.inbox(patient, patient.id):
                break
            pause.wait(0.1)
    finally:
        jobs.stop()
    assert len(built.reminders.reminders.inbox(patient, patient.id)) == 1
