"""The scheduler run with a controlled clock: exactly once (also across a restart in the
middle of a run), downtime (once, late, stale ones skipped), quiet hours, time zones,
daylight-saving gaps and overlaps, email retries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.domain.reminder_delivery import (
    RETRY_BACKOFF,
    SKIPPED_DONE,
    SKIPPED_TURNED_OFF,
    Channel,
    Status,
)
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.domain.reminders import ReminderPrefs
from app.main import Services, build_services
from app.services.delivery import RECORD_BATCH, DeliveryService
from app.services.notifier import MemoryNotifier, ReminderEmail
from app.services.reminder_overview import ReminderOverview
from app.services.reminders import DELIVERY
from app.store.interfaces import Change, Query, Record, RecordStore
from app.store.journal import JournalStore
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.services.reminder_helpers import LINKS, People, make_people, reminder_services

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def ny(month: int, day: int, hour: int, minute: int = 0, fold: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=NY, fold=fold).astimezone(UTC)


@pytest.fixture
def people(services: Services) -> People:
    return make_people(services)


def no_quiet_hours(services: Services, who: People) -> None:
    for patient in (who.patient, who.other_patient):
        services.logbook.set_reminders(patient, ReminderPrefs(
            patient.id, daily_check_in=False, session_follow_ups=True,
            quiet_from="00:00", quiet_until="00:00"))


def deliveries(store: RecordStore) -> list[Record]:
    return store.find(Query(DELIVERY))


def test_running_again_at_once_delivers_nothing_new(services: Services, people: People,
                                                    clock: FakeClock) -> None:
    notifier = MemoryNotifier()
    reminders, delivery = reminder_services(services, clock, notifier=notifier)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "08:00"))
    first = delivery.run_due()
    assert first.line() == "delivered 2 (in_app 1, email 1), late 0, skipped 0, failed 0"
    assert delivery.run_due().line() == \
        "delivered 0 (in_app 0, email 0), late 0, skipped 0, failed 0"
    assert len(notifier.sent) == 1


class Crash(BaseException):
    """The process dying (not an error anything catches)."""


class CrashingNotifier(MemoryNotifier):
    def __init__(self, crash_on: int) -> None:
        super().__init__()
        self.calls = 0
        self.crash_on = crash_on

    def send(self, email: ReminderEmail) -> None:
        self.calls += 1
        if self.calls == self.crash_on:
            raise Crash()
        super().send(email)


class CrashingStore:
    """A store whose process dies at the n-th save_all, before writing it."""

    def __init__(self, inner: RecordStore, crash_on: int) -> None:
        self.inner = inner
        self.calls = 0
        self.crash_on = crash_on

    def save_all(self, changes: Sequence[Change]) -> list[Record]:
        self.calls += 1
        if self.calls == self.crash_on:
            raise Crash()
        return self.inner.save_all(changes)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_restart_in_the_middle_of_a_run_delivers_each_exactly_once(
        tmp_path: Path, clock: FakeClock) -> None:
    store_dir = tmp_path / "store"
    services = build_services(FAST_SETTINGS, JournalStore.open(store_dir), clock=clock)
    people = make_people(services)
    services.access.grant(people.other_patient, people.care_team)
    for patient in (people.patient, people.other_patient):
        for hour in ("06:00", "07:00", "08:00"):
            reminder_services(services, clock)[0].schedule(
                people.care_team, patient.id, template=Template.HOME_EXERCISE,
                schedule=Schedule(Repeat.ONCE, date(2025, 3, 11), hour))
    clock.now = datetime(2025, 3, 11, 13, 30, tzinfo=UTC)  # all six are due
    wire: list[ReminderEmail] = []

    # First run: dies while writing the first batch (all six): nothing is recorded.
    crashing_store = CrashingStore(services.store, crash_on=1)
    _, delivery = reminder_services(services, clock, store=crashing_store,  # type: ignore[arg-type]
                                    notifier=MemoryNotifier(wire))
    with pytest.raises(Crash):
        delivery.run_due()
    assert deliveries(services.store) == []
    # Next run, recording two occurrences per write: dies at the third write.
    crashing_store = CrashingStore(services.store, crash_on=3)
    _, delivery = reminder_services(services, clock, store=crashing_store,  # type: ignore[arg-type]
                                    notifier=MemoryNotifier(wire), record_batch=2)
    with pytest.raises(Crash):
        delivery.run_due()
    assert len(deliveries(services.store)) == 4 * 2  # four occurrences, two channels each
    assert wire == []
    services.close()

    # Restart; this run dies handing the 2nd email to the mail server.
    services = build_services(FAST_SETTINGS, JournalStore.open(store_dir), clock=clock)
    notifier = CrashingNotifier(crash_on=2)
    notifier.sent = wire
    _, delivery = reminder_services(services, clock, notifier=notifier)
    with pytest.raises(Crash):
        delivery.run_due()
    services.close()

    # Restart again: everything left goes, once.
    services = build_services(FAST_SETTINGS, JournalStore.open(store_dir), clock=clock)
    _, delivery = reminder_services(services, clock, notifier=MemoryNotifier(wire))
    last = delivery.run_due()
    assert last.in_app == 0 and last.email == 6 - 1
    records = deliveries(services.store)
    assert Counter(r.data["channel"] for r in records) == {"in_app": 6, "email": 6}
    assert all(r.data["status"] == "delivered" for r in records)
    assert all(r.version == (1 if r.data["channel"] == "in_app" else 2) for r in records)
    assert sorted(Counter(m.message_id for m in wire).values()) == [1] * 6
    assert delivery.run_due().delivered == 0
    services.close()


def test_downtime_delivers_once_late_and_skips_stale(services: Services, people: People,
                                                     clock: FakeClock) -> None:
    no_quiet_hours(services, people)
    reminders, delivery = reminder_services(services, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.DAILY_CHECK_IN,
                       schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "19:00"))
    reminders.schedule(people.care_team, people.patient.id, template=Template.MESSAGE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "20:00"),
                       message="See you on Friday.")
    # Down from 2025-03-10 12:00 UTC until 2025-03-13 10:00 in New York.
    clock.now = ny(3, 13, 10)
    summary = delivery.run_due()
    # The check-ins of the 10th and 11th were replaced by later ones: skipped. The 12th's
    # is still today's business until 13:00: sent, late. The message is sent, late.
    assert summary.line() == "delivered 2 (in_app 2, email 0), late 2, skipped 2, failed 0"
    inbox = reminders.inbox(people.patient, people.patient.id)
    assert sorted(i.delivery.occurrence_key for i in inbox) == ["2025-03-10", "2025-03-12"]
    assert all(i.delivery.late for i in inbox)
    assert delivery.run_due().line() == \
        "delivered 0 (in_app 0, email 0), late 0, skipped 0, failed 0"
    clock.now = ny(3, 13, 19)
    on_time = delivery.run_due()
    assert (on_time.in_app, on_time.late) == (1, 0)


def test_quiet_hours_move_the_delivery_to_their_end(services: Services, people: People,
                                                    clock: FakeClock) -> None:
    services.logbook.set_reminders(people.patient, ReminderPrefs(
        people.patient.id, daily_check_in=False, quiet_from="22:00", quiet_until="07:00"))
    reminders, delivery = reminder_services(services, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "23:00"))
    clock.now = ny(3, 10, 23, 30)
    assert delivery.run_due().delivered == 0
    clock.now = ny(3, 11, 6, 59)
    assert delivery.run_due().delivered == 0
    clock.now = ny(3, 11, 7, 0)
    summary = delivery.run_due()
    assert (summary.in_app, summary.late, summary.skipped) == (1, 0, 0)


def run_every(delivery_run: object, clock: FakeClock, until: datetime,
              step: timedelta) -> list[datetime]:
    """Run the scheduler at each step; the moments it delivered something."""
    delivered_at = []
    while clock.now <= until:
        if delivery_run().delivered:  # type: ignore[operator]
            delivered_at.append(clock.now)
        clock.now += step
    return delivered_at


def test_each_patient_at_their_own_wall_clock(services: Services, people: People,
                                              clock: FakeClock) -> None:
    no_quiet_hours(services, people)
    services.access.grant(people.other_patient, people.care_team)
    reminders, delivery = reminder_services(services, clock)
    reminders.schedule_for_group(people.care_team, [people.patient.id, people.other_patient.id],
                                 template=Template.HOME_EXERCISE,
                                 schedule=Schedule(Repeat.ONCE, date(2025, 3, 11), "09:00"))
    moments = run_every(delivery.run_due, clock, datetime(2025, 3, 11, 16, tzinfo=UTC),
                        timedelta(minutes=30))
    assert moments == [datetime(2025, 3, 11, 9, 0, tzinfo=LONDON).astimezone(UTC),
                       ny(3, 11, 9)]


def test_dst_gap_delivers_once_an_hour_later(services: Services, people: People,
                                             clock: FakeClock) -> None:
    no_quiet_hours(services, people)
    clock.now = ny(3, 7, 12)
    reminders, delivery = reminder_services(services, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.DAILY, date(2025, 3, 8), "02:30"))
    # 2025-03-09: New York clocks jump from 02:00 to 03:00.
    moments = run_every(delivery.run_due, clock, ny(3, 10, 12), timedelta(minutes=15))
    assert [m.astimezone(NY).strftime("%d %H:%M %Z") for m in moments] == [
        "08 02:30 EST", "09 03:30 EDT", "10 02:30 EDT"]


def test_dst_overlap_delivers_once_the_first_time(services: Services, people: People,
                                                  clock: FakeClock) -> None:
    no_quiet_hours(services, people)
    clock.now = ny(10, 31, 12)
    reminders, delivery = reminder_services(services, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.DAILY, date(2025, 11, 1), "01:30"))
    # 2025-11-02: 01:00-02:00 happens twice in New York.
    moments = run_every(delivery.run_due, clock, ny(11, 3, 12), timedelta(minutes=10))
    assert moments == [ny(11, 1, 1, 30), ny(11, 2, 1, 30, fold=0), ny(11, 3, 1, 30)]
    assert ny(11, 2, 1, 30, fold=0) != ny(11, 2, 1, 30, fold=1)


def test_soreness_check_ins_after_a_session_and_the_daily_check_in(
        services: Services, people: People, clock: FakeClock) -> None:
    services.logbook.set_reminders(people.patient, ReminderPrefs(
        people.patient.id, daily_check_in=True, check_in_time="19:00",
        quiet_from="00:00", quiet_until="00:00"))
    services.logbook.log_session(people.patient, people.patient.id, regions=["lumbar"],
                                 performed_at=ny(3, 10, 8))
    reminders, delivery = reminder_services(services, clock)
    run_every(delivery.run_due, clock, ny(3, 12, 20), timedelta(hours=1))
    got = sorted((i.delivery.template.value, i.delivery.due_at)
                 for i in reminders.inbox(people.patient, people.patient.id))
    soreness = [i for i in reminders.inbox(people.patient, people.patient.id)
                if i.action == "/soreness"]
    assert {i.session_id for i in soreness} == {
        services.logbook.load(people.patient, people.patient.id).sessions[0].value.id}
    assert got == [
        ("daily_check_in", ny(3, 10, 19)), ("daily_check_in", ny(3, 11, 19)),
        ("daily_check_in", ny(3, 12, 19)),
        ("soreness_check", ny(3, 11, 8)), ("soreness_check", ny(3, 12, 8)),
    ]


def test_email_failures_are_recorded_retried_with_backoff_then_given_up(
        services: Services, people: People, clock: FakeClock) -> None:
    notifier = MemoryNotifier(failures=["cannot reach the mail server (refused)"] * 2)
    reminders, delivery = reminder_services(services, clock, notifier=notifier)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "08:00"))
    assert delivery.run_due().line() == \
        "delivered 1 (in_app 1, email 0), late 0, skipped 0, failed 1"
    email = reminders.deliveries.get(next(
        r.id for r in deliveries(services.store) if r.data["channel"] == "email"))
    assert email is not None
    assert (email.value.status, email.value.attempts) == (Status.PENDING, 1)
    assert email.value.last_error == "cannot reach the mail server (refused)"
    assert delivery.run_due().failed == 0  # not before the backoff
    clock.advance(seconds=RETRY_BACKOFF[0].total_seconds())
    assert delivery.run_due().failed == 1
    clock.advance(seconds=RETRY_BACKOFF[1].total_seconds())
    assert delivery.run_due().email == 1
    assert len(notifier.sent) == 1
    clock.advance(days=1)
    assert delivery.run_due().delivered == 0

    # A server that never comes back: given up after the last retry, shown as failed.
    notifier.failures = ["the mail server answered 554"] * 10
    reminders.schedule(people.care_team, people.patient.id, template=Template.MESSAGE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 11), "09:00"),
                       message="Hello")
    for _ in range(len(RETRY_BACKOFF) + 2):
        delivery.run_due()
        clock.advance(hours=3)
    failed = ReminderOverview(reminders, clock).failed_deliveries(people.care_team)
    assert [(d.channel, d.attempts, d.last_error) for d in failed] == [
        (Channel.EMAIL, len(RETRY_BACKOFF) + 1, "the mail server answered 554")]


def test_unsubscribed_patient_gets_no_email(services: Services, people: People,
                                            clock: FakeClock) -> None:
    notifier = MemoryNotifier()
    reminders, delivery = reminder_services(services, clock, notifier=notifier)
    reminders.set_email(people.patient, people.patient.id, False)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "08:00"))
    assert delivery.run_due().line() == \
        "delivered 1 (in_app 1, email 0), late 0, skipped 0, failed 0"
    assert notifier.sent == []


def test_a_deactivated_patient_gets_nothing_until_reactivated(
        services: Services, people: People, clock: FakeClock) -> None:
    notifier = MemoryNotifier()
    reminders, delivery = reminder_services(services, clock, notifier=notifier)
    for day in (10, 11):
        reminders.schedule(people.care_team, people.patient.id,
                           template=Template.HOME_EXERCISE,
                           schedule=Schedule(Repeat.ONCE, date(2025, 3, day), "08:00"))
    services.account_admin.deactivate(people.admin, people.patient.id)
    assert delivery.run_due().line() == \
        "delivered 0 (in_app 0, email 0), late 0, skipped 1, failed 0"
    assert notifier.sent == []
    services.account_admin.reactivate(people.admin, people.patient.id)
    clock.advance(days=1)
    assert delivery.run_due().line() == \
        "delivered 2 (in_app 1, email 1), late 0, skipped 0, failed 0"


def test_an_email_waiting_for_a_retry_is_not_sent_once_deactivated(
        services: Services, people: People, clock: FakeClock) -> None:
    notifier = MemoryNotifier(failures=["the mail server answered 451"])
    reminders, delivery = reminder_services(services, clock, notifier=notifier)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.ONCE, date(2025, 3, 10), "08:00"))
    delivery.run_due()  # recorded; the first try failed: it waits for a retry
    services.account_admin.deactivate(people.admin, people.patient.id)
    clock.advance(hours=2)
    delivery.run_due()
    assert notifier.sent == []
    [email] = [r for r in deliveries(services.store) if r.data["channel"] == "email"]
    assert (email.data["status"], email.data["last_error"]) == ("skipped", SKIPPED_TURNED_OFF)


def test_a_nudge_after_three_days_without_a_check_in_and_none_after_logging(
        services: Services, people: People, clock: FakeClock) -> None:
    services.logbook.set_reminders(people.patient, ReminderPrefs(
        people.patient.id, daily_check_in=True, check_in_time="19:00",
        quiet_from="00:00", quiet_until="00:00"))
    services.logbook.check_in(people.patient, people.patient.id, pain_now=3)  # 10 March
    reminders, delivery = reminder_services(services, clock)
    run_every(delivery.run_due, clock, ny(3, 13, 20), timedelta(hours=1))
    nudges = [i for i in reminders.inbox(people.patient, people.patient.id)
              if i.delivery.template is Template.LOGGING_NUDGE]
    assert [i.delivery.due_at for i in nudges] == [ny(3, 13, 19)]
    assert nudges[0].action == "/checkin"
    # Logging again moves the next nudge to three days after that check-in.
    services.logbook.check_in(people.patient, people.patient.id, pain_now=3)  # 13 March
    run_every(delivery.run_due, clock, ny(3, 16, 20), timedelta(hours=1))
    nudges = [i for i in reminders.inbox(people.patient, people.patient.id)
              if i.delivery.template is Template.LOGGING_NUDGE]
    assert sorted(i.delivery.due_at for i in nudges) == [ny(3, 13, 19), ny(3, 16, 19)]


def test_a_moved_appointment_is_reminded_again_a_changed_time_not_twice_a_day(
        services: Services, people: People, clock: FakeClock) -> None:
    no_quiet_hours(services, people)
    reminders, delivery = reminder_services(services, clock)
    appointment = reminders.schedule(
        people.care_team, people.patient.id, template=Template.APPOINTMENT,
        schedule=Schedule(Repeat.ONCE), place="Main St", appointment_at=ny(3, 12, 10))
    daily = reminders.schedule(people.care_team, people.patient.id,
                               template=Template.HOME_EXERCISE,
                               schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "09:00"))
    run_every(delivery.run_due, clock, ny(3, 11, 10, 30), timedelta(minutes=30))
    reminders.edit(people.care_team, appointment.id, expected_version=1,
                   schedule=Schedule(Repeat.ONCE), place="Main St",
                   appointment_at=ny(3, 14, 10))
    reminders.edit(people.care_team, daily.id, expected_version=1,
                   schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "11:00"))
    run_every(delivery.run_due, clock, ny(3, 14, 12), timedelta(minutes=30))
    got = sorted((i.delivery.template.value, i.delivery.due_at.astimezone(NY).strftime(
        "%d %H:%M")) for i in reminders.inbox(people.patient, people.patient.id))
    assert got == [
        ("appointment", "11 10:00"),  # the day before the first date
        ("appointment", "13 10:00"), ("appointment", "14 08:00"),  # and before the new one
        ("home_exercise", "10 09:00"), ("home_exercise", "11 09:00"),
        ("home_exercise", "12 11:00"), ("home_exercise", "13 11:00"),
        ("home_exercise", "14 11:00"),
    ]


def test_no_check_in_reminder_on_a_day_the_patient_already_checked_in(
        services: Services, people: People, clock: FakeClock) -> None:
    services.logbook.set_reminders(people.patient, ReminderPrefs(
        people.patient.id, daily_check_in=True, check_in_time="19:00",
        quiet_from="00:00", quiet_until="00:00"))
    reminders, delivery = reminder_services(services, clock)
    clock.now = ny(3, 10, 9)
    services.logbook.check_in(people.patient, people.patient.id, pain_now=3)
    clock.now = ny(3, 10, 19, 1)
    assert delivery.run_due().line() == \
        "delivered 0 (in_app 0, email 0), late 0, skipped 1, failed 0"
    [skipped] = [r for r in deliveries(services.store) if r.data["status"] == "skipped"]
    assert skipped.data["skipped_because"] == SKIPPED_DONE
    clock.now = ny(3, 11, 19, 1)  # no check-in on the 11th: reminded
    assert delivery.run_due().in_app == 1
    assert [i.delivery.occurrence_key for i in reminders.inbox(
        people.patient, people.patient.id)] == ["2025-03-11"]


def test_stop_sharing_also_stops_what_that_clinician_scheduled(
        services: Services, people: People, clock: FakeClock) -> None:
    no_quiet_hours(services, people)
    reminders, delivery = reminder_services(services, clock)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "09:00"))
    reminders.schedule(people.patient, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.DAILY, date(2025, 3, 10), "09:30"))
    clock.now = ny(3, 10, 10)
    assert delivery.run_due().in_app == 2
    services.access.revoke(people.patient, people.care_team.id)
    clock.now = ny(3, 11, 10)
    assert delivery.run_due().in_app == 1  # the patient's own goes on
    services.access.grant(people.patient, people.care_team)
    clock.now = ny(3, 12, 10)
    assert delivery.run_due().in_app == 2


class WriteSizes:
    """A store that notes how many records each save_all writes."""

    def __init__(self, inner: RecordStore) -> None:
        self.inner = inner
        self.sizes: list[int] = []

    def save_all(self, changes: Sequence[Change]) -> list[Record]:
        self.sizes.append(len(changes))
        return self.inner.save_all(changes)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_a_burst_is_recorded_in_small_writes_with_a_rest_between(
        services: Services, people: People, clock: FakeClock) -> None:
    """The scheduler shares the server process with the screens: a patient's save waits
    while a batch is encoded and written under the store's lock. So a burst goes in small
    writes, the run resting between them (bench/reminders_ui.py measured the save during
    10,000 due reminders)."""
    no_quiet_hours(services, people)
    reminders, _ = reminder_services(services, clock)
    due = (clock.now + timedelta(minutes=1),)
    for _ in range(60):  # 60 reminders due at the same moment, like a group message
        reminders.schedule(people.patient, people.patient.id, template=Template.HOME_EXERCISE,
                           schedule=Schedule(Repeat.AT_MOMENTS, moments=due))
    clock.now += timedelta(minutes=2)
    store = WriteSizes(services.store)
    rests: list[int] = []  # how many writes were done at each rest
    delivery = DeliveryService(store, reminders, clinic_name=lambda: "Harbour Physio",  # type: ignore[arg-type]
                               links=LINKS, notifier=MemoryNotifier(), clock=clock,
                               rest=lambda: rests.append(len(store.sizes)))
    summary = delivery.run_due()
    assert summary.in_app == 60 and summary.email == 60
    recording = store.sizes[:len(rests) + 1]  # the emails are then marked one by one
    assert sum(recording) == 120  # 60 occurrences, in-app + email each
    assert max(recording) <= 2 * RECORD_BATCH <= 50  # never a whole burst in one write
    assert rests == list(range(1, len(recording))) != []  # a rest between two writes


def test_two_moments_in_one_minute_are_one_reminder_and_stop_nobody_else(
        services: Services, people: People, clock: FakeClock) -> None:
    """Occurrences of fixed moments are keyed by the minute: two moments 20 s apart made
    the run record the same delivery twice in one batch, which the store refuses, so the
    whole run (every patient's reminders) failed, again on every run."""
    reminders, delivery = reminder_services(services, clock, notifier=MemoryNotifier())
    at = clock.now + timedelta(minutes=5)
    reminders.schedule(people.care_team, people.patient.id, template=Template.HOME_EXERCISE,
                       schedule=Schedule(Repeat.AT_MOMENTS,
                                         moments=(at, at + timedelta(seconds=20))))
    reminders.schedule(people.other_patient, people.other_patient.id,
                       template=Template.MESSAGE, message="stretch",
                       schedule=Schedule(Repeat.AT_MOMENTS, moments=(at,)))
    clock.advance(minutes=6)
    summary = delivery.run_due()
    assert summary.in_app == 2 and summary.failed == 0
    assert delivery.run_due().delivered == 0
