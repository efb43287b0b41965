"""The scheduler's run: deliver every reminder occurrence that is due, exactly once per
(reminder, occurrence, channel), and (re)try the emails waiting to go.

How exactly-once holds across crashes and restarts:

1. For each due occurrence, all its deliveries (in-app, and email if the patient has it on)
   are written in one `save_all`, each as the record's first version (expected_version=0).
   The in-app one is delivered by being written (it *is* the inbox item); the email one is
   written "pending". A crash before that write leaves nothing (the next run writes it);
   after it, everything (the next run finds the ids and leaves them). Two runners at once:
   the store refuses the second first-version, so one of them records it. Several app
   servers run one delivery at a time all the same (DeliveryLease, below).
2. A pending email is then sent and marked delivered. A failure is recorded with its
   reason and retried later with backoff (app.domain.reminder_delivery). A crash before
   the mail server accepted it leaves it pending: sent on the next run, once.

The one gap SMTP leaves open: a crash after the server accepted a message but before it
was marked delivered sends it again on the next run. Both copies carry the same
Message-ID, so mail clients can fold them; no reminder is ever dropped.

What fell due while nothing ran is delivered once, marked late, or skipped when it no
longer makes sense (`app.domain.reminder_plan.fate`).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Final

from app.domain.codec import to_json
from app.domain.reminder_delivery import (
    SKIPPED_DONE,
    SKIPPED_STALE,
    SKIPPED_TURNED_OFF,
    Channel,
    Delivery,
    Status,
    after_failure,
    delivery_id,
    ready_to_send,
)
from app.domain.reminder_plan import (
    LONGEST_USEFUL,
    Fate,
    Occurrence,
    Reminder,
    Template,
    already_done,
    fate,
    occurrences,
)
from app.domain.reminders import ReminderPrefs
from app.domain.tokens import token_digest
from app.domain.zones import patient_today
from app.services.base import Clock, system_clock
from app.services.notifier import DeliveryFailed, Notifier, ReminderEmail, reminder_email
from app.services.one_at_a_time import OneAtATime
from app.services.reminders import DELIVERY, ReminderLinks, ReminderService
from app.store.interfaces import Change, Query, RecordStore, VersionConflict
from app.store.shared_state import SharedState

_JUST_AFTER = timedelta(microseconds=1)
# A burst of due reminders is recorded RECORD_BATCH occurrences per write, with a short
# rest between writes. The run shares the server process with the screens: while a batch
# is encoded and written it holds the store's lock (and mostly Python's GIL), so a
# patient's check-in save waited for whole batches. bench/reminders_ui.py, 10,000 due at
# once, saves tapped while the inbox records were written: 200 per write, p50 105-266 ms,
# max 172-292 ms (4 runs, 2-5 saves each; 41-47 ms before the burst); 25 and a 1 ms rest,
# p50 55-92 ms, max 63-98 ms (2 runs), the recording as long as before (~4 s). In-process,
# Logbook.check_in meanwhile: p50 5-7 ms, p95 12-30 ms -> p50 0.7 ms, p95 6-7 ms.
RECORD_BATCH = 25
REST_SECONDS = 0.001


def _nothing() -> None:
    pass


def _rest() -> None:
    time.sleep(REST_SECONDS)  # lets the screens' thread take the store and the GIL

CHECK_IN_TEMPLATES = (Template.DAILY_CHECK_IN, Template.LOGGING_NUDGE)
log = logging.getLogger("backtrack.reminders")


@dataclass
class RunSummary:
    in_app: int = 0
    email: int = 0
    late: int = 0  # occurrences delivered late (in-app, at recording)
    skipped: int = 0  # occurrences that no longer made sense
    failed: int = 0  # email attempts that failed in this run (retried later or given up)

    @property
    def delivered(self) -> int:
        return self.in_app + self.email

    def line(self) -> str:
        """The one line `python -m app reminders run-due` prints."""
        return (f"delivered {self.delivered} (in_app {self.in_app}, email {self.email}), "
                f"late {self.late}, skipped {self.skipped}, failed {self.failed}")


class DeliveryService:
    def __init__(self, store: RecordStore, reminders: ReminderService, *,
                 clinic_name: Callable[[], str], links: ReminderLinks,
                 notifier: Notifier | None = None,
                 notifier_source: Callable[[], Notifier | None] | None = None,
                 clock: Clock = system_clock, record_batch: int = RECORD_BATCH,
                 rest: Callable[[], None] = _rest) -> None:
        """`notifier` None: email is not configured, reminders go to the inbox only.
        `notifier_source`, if given, is asked at each run instead (the admin may have
        saved or changed the mail server since). `record_batch`: how many occurrences
        are recorded per atomic write (one fsync each); `rest` is called between two
        such writes (see RECORD_BATCH)."""
        self.record_batch = record_batch
        self.rest = rest
        self.store = store
        self.notifier_source = notifier_source
        self.reminders = reminders
        self.clinic_name = clinic_name
        self.links = links
        self.notifier = notifier
        self.clock = clock
        self._lock = threading.Lock()  # one run at a time in this process
        self._heartbeat: Callable[[], None] = _nothing

    def run_due(self, heartbeat: Callable[[], None] | None = None) -> RunSummary:
        """Deliver what is due. `heartbeat` is called between batches and emails (the
        lease renews itself there while a long run lasts)."""
        with self._lock:
            self._heartbeat = heartbeat or _nothing
            if self.notifier_source is not None:
                try:
                    self.notifier = self.notifier_source()
                except ValueError:  # an unusable settings file: the inbox still works
                    log.warning("Mail server settings unusable: reminder emails wait.")
                    self.notifier = None
            now = self.clock()
            summary = RunSummary()
            # One pass over the delivery records: which occurrences are recorded, and
            # which emails wait (the scheduler runs every minute; this is most of an idle
            # run's cost).
            held: set[str] = set()
            waiting: list[str] = []
            for record in self.store.find(Query(DELIVERY)):
                held.add(record.id)
                if record.data.get("channel") == Channel.EMAIL.value and \
                        record.data.get("status") == Status.PENDING.value:
                    waiting.append(record.id)
            self._record_due(now, summary, held, waiting)
            if self.notifier is not None:
                self._send_emails(now, summary, waiting)
            return summary

    # -- 1. record what is due --------------------------------------------------------

    def _record_due(self, now: datetime, summary: RunSummary, held: set[str],
                    waiting: list[str]) -> None:
        """Record every due occurrence not in `held`; add the emails it makes pending to
        `waiting`."""
        since = now - LONGEST_USEFUL
        quiet: dict[str, ReminderPrefs] = {}
        check_in_days: dict[str, set[date]] = {}  # read only when a check-in reminder is due
        active: dict[str, bool] = {}  # whose account is on (read once per patient a run)
        batch: list[list[Delivery]] = []
        for plan, zone in self.reminders.plans_for_delivery(since):
            pid = plan.patient_id
            if pid not in quiet:
                quiet[pid] = self.reminders.quiet_hours(pid)
            for occurrence in occurrences(plan, zone, quiet[pid], since, now + _JUST_AFTER):
                if delivery_id(plan.id, occurrence.key, Channel.IN_APP) not in held:
                    if pid not in active:
                        active[pid] = self._is_active(pid)
                    batch.append(self._deliveries(plan, zone, occurrence, now,
                                                  check_in_days, active[pid]))
                    if len(batch) >= self.record_batch:
                        waiting += self._record(batch, summary)
                        batch = []
                        self.rest()
                        self._heartbeat()
        if batch:
            waiting += self._record(batch, summary)

    def _is_active(self, patient_id: str) -> bool:
        found = self.reminders.access.accounts.accounts.get(patient_id)
        return found is not None and found.value.active

    def _deliveries(self, plan: Reminder, zone: str, occurrence: Occurrence,
                    now: datetime, check_in_days: dict[str, set[date]],
                    active: bool = True) -> list[Delivery]:
        """Every delivery of one occurrence: in-app, and email if the patient has it on
        (all skipped while the clinic has their account turned off)."""
        verdict = fate(occurrence, now)
        skipped_because = SKIPPED_STALE if verdict is Fate.STALE else \
            "" if active else SKIPPED_TURNED_OFF
        pid = plan.patient_id
        if not skipped_because and plan.template in CHECK_IN_TEMPLATES:
            if pid not in check_in_days:
                check_in_days[pid] = self.reminders.check_in_days(pid)
            if already_done(plan.template, patient_today(occurrence.due, zone),
                            check_in_days[pid]):
                skipped_because = SKIPPED_DONE
        channels = [Channel.IN_APP]
        if self.notifier is not None and self.reminders.channels_of(pid).email:
            channels.append(Channel.EMAIL)
        return [self._delivery(plan, occurrence, channel, verdict, skipped_because, now)
                for channel in channels]

    def _record(self, batch: list[list[Delivery]], summary: RunSummary) -> list[str]:
        """Write the deliveries of several occurrences in one atomic step (one fsync);
        if another run got to one of them first, write them one occurrence at a time.
        Returns the ids of the emails now pending."""
        written = batch
        try:
            self._save_first_versions([d for occurrence in batch for d in occurrence])
        except VersionConflict:
            written = []
            for occurrence in batch:
                try:
                    self._save_first_versions(occurrence)
                except VersionConflict:
                    continue  # another run recorded this occurrence a moment ago
                written.append(occurrence)
        for occurrence in written:
            self._count(occurrence[0], summary)
        return [d.id for occurrence in written for d in occurrence
                if d.status is Status.PENDING]

    def _save_first_versions(self, deliveries: list[Delivery]) -> None:
        self.store.save_all([Change(DELIVERY, d.id, to_json(d), owner=d.patient_id,
                                    expected_version=0) for d in deliveries])

    @staticmethod
    def _count(in_app: Delivery, summary: RunSummary) -> None:
        if in_app.status is Status.SKIPPED:
            summary.skipped += 1
            return
        summary.in_app += 1
        summary.late += in_app.late

    @staticmethod
    def _delivery(plan: Reminder, occurrence: Occurrence, channel: Channel, verdict: Fate,
                  skipped_because: str, now: datetime) -> Delivery:
        if skipped_because:
            status = Status.SKIPPED
        else:
            status = Status.DELIVERED if channel is Channel.IN_APP else Status.PENDING
        return Delivery(
            id=delivery_id(plan.id, occurrence.key, channel), reminder_id=plan.id,
            patient_id=plan.patient_id, occurrence_key=occurrence.key, channel=channel,
            template=plan.template, due_at=occurrence.due, recorded_at=now, status=status,
            late=verdict is Fate.LATE and not skipped_because,
            delivered_at=now if status is Status.DELIVERED else None,
            skipped_because=skipped_because)

    # -- 2. send the emails waiting to go ------------------------------------------------

    def _send_emails(self, now: datetime, summary: RunSummary, waiting: list[str]) -> None:
        assert self.notifier is not None
        with self.notifier.batch():
            self._send_each(waiting, now, summary)

    def _send_each(self, waiting: list[str], now: datetime, summary: RunSummary) -> None:
        assert self.notifier is not None
        for delivery_key in waiting:
            self._heartbeat()
            held = self.reminders.deliveries.get(delivery_key)
            if held is None:
                continue
            delivery = held.value
            if not ready_to_send(delivery, now):
                continue
            if not self.reminders.channels_of(delivery.patient_id).email:
                self._save(replace(delivery, status=Status.SKIPPED,
                                   last_error="email reminders were turned off"), held.version)
                continue
            if not self._is_active(delivery.patient_id):  # turned off since it was recorded
                self._save(replace(delivery, status=Status.SKIPPED,
                                   last_error=SKIPPED_TURNED_OFF), held.version)
                continue
            token = secrets.token_urlsafe(24)
            try:
                self.notifier.send(self._email(delivery, token))
            except DeliveryFailed as failure:
                summary.failed += 1
                self._save(after_failure(delivery, failure.reason, now), held.version)
                continue
            self._save(replace(delivery, status=Status.DELIVERED, delivered_at=now,
                               attempts=delivery.attempts + 1, next_attempt_at=None,
                               unsubscribe_sha256=token_digest(token)),
                       held.version)
            summary.email += 1

    def _email(self, delivery: Delivery, unsubscribe_token: str) -> ReminderEmail:
        patient = self.reminders.access.accounts.get(delivery.patient_id)
        token = unsubscribe_token
        return reminder_email(to=patient.email, clinic_name=self.clinic_name(),
                              link=self.links.inbox(),
                              unsubscribe_link=self.links.unsubscribe(token),
                              delivery_id=delivery.id)

    def _save(self, delivery: Delivery, expected_version: int) -> None:
        self.reminders.deliveries.correct(delivery, delivery.patient_id, expected_version)


# -- one app server delivers (issue 17) -----------------------------------------------

LEASE_NAME: Final = "reminders-delivery"
# How long a run's lease lasts without renewal: when its holder dies mid-run, another app
# server takes over at its first tick after this (the scheduler ticks every minute).
LEASE_TTL: Final = timedelta(seconds=60)


class DeliveryLease(OneAtATime):
    """Only the app server holding the shared lease runs the delivery. The records alone
    would keep in-app reminders exactly-once (each is a first version), but two servers
    could both send a pending email before either marks it delivered: with the lease,
    one run at a time happens across all servers. The run renews it between batches and
    emails (app.services.one_at_a_time)."""

    def __init__(self, shared: SharedState, clock: Clock = system_clock, *,
                 holder: str | None = None, ttl: timedelta = LEASE_TTL,
                 ticks: Callable[[], float] = time.monotonic) -> None:
        super().__init__(shared, LEASE_NAME, clock, ttl=ttl, holder=holder, ticks=ticks)

    def run_delivery(self, delivery: DeliveryService) -> RunSummary | None:
        """The delivery's run if this server got the lease; None while another runs."""
        return self.run(lambda heartbeat: delivery.run_due(heartbeat=heartbeat))
