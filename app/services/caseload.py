"""A clinician's caseload: every patient who shared with them, flagged by what needs
attention and sorted by need (red-flag report first, then soreness not settling, getting
worse, no meaningful response after a reasonable trial, stopped logging).

Each patient's record is read through the progress service and their "Is this normal?"
answers through the guidance service, so both reads are access-checked. At clinic size
(300 patients, several views an hour) the list is built from per-patient statuses kept
until something of the patient's changes (the store's owner stamp), their day turns, or
an urgent answer leaves its 7-day window: a view re-reads only those patients. The view is
audited as a list view (AccessService.list_view: one entry per clinician, patient and day,
counted), not as two reads per patient per view; opening a patient is audited each time.

A patient who shares "reminders and logging only" with the clinician is listed too, but
only with whether they logged: days since their last check-in (its time, never its
scores) and "Stopped logging", read under READ_REMINDERS and audited as the care team's
adherence read ("read:reminders:read_activity"). No pain numbers, no flags worked out
from what they logged, no urgent answers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from app.domain import kinds
from app.domain.accounts import Account, Scope
from app.domain.entries import CheckIn
from app.domain.errors import DomainError
from app.domain.followup import URGENT_TIERS
from app.domain.policy import Operation
from app.domain.progress import (
    ProgressRecord,
    ResponseSummary,
    soreness_curves,
    stopped_logging,
)
from app.domain.zones import days_since, patient_today
from app.services.access import LIST_VIEW, AccessService
from app.services.base import Collection
from app.services.erasure import DELETED_ACTION
from app.services.followup import AnswerRecord, FollowUpService
from app.services.guidance import GuidanceService
from app.services.progress import ProgressService
from app.services.reminders import READ_ACTIVITY, audit_action

# A triage answer older than this no longer puts a patient at the top of the list.
RECENT_ASSESSMENT = timedelta(days=7)

# Flag → (priority, words on the dashboard); lower priority number = more urgent.
FLAGS: dict[str, tuple[int, str]] = {
    "emergency": (0, "Emergency answer in the last 7 days"),
    "call_clinic": (1, "Asked to contact the clinic"),
    "soreness_not_settling": (2, "Soreness not settling"),
    # Getting worse (sustained, beyond measurement error) outranks "no change": the
    # patient is moving the wrong way, not just standing still.
    "worse": (3, "Getting worse: reassess"),
    "reassess": (4, "No meaningful change: reassess"),
    "stopped_logging": (5, "Stopped logging"),
}


# The audit action of a narrow grant's caseload line: the same read as the care team's
# adherence view (whether they logged and answered reminders), in the same words.
LOGGING_READ = audit_action(READ_ACTIVITY)


@dataclass(frozen=True)
class PatientStatus:
    patient: Account
    # None under a "reminders and logging only" grant: the clinician may not see scores.
    summary: ResponseSummary | None
    flags: tuple[str, ...]  # most urgent first (the order of FLAGS)
    # The newest emergency / call-the-clinic answer behind a flag, with the patient's
    # follow-ups and a clinician's acknowledgement (None: no such answer in 7 days).
    urgent_answer: AnswerRecord | None = None
    scope: Scope = Scope.FULL  # what the patient shares with this clinician
    # Days since the last check-in in the patient's own calendar (None: never, or not
    # worked out: a FULL status says it through its summary and flags).
    days_since_check_in: int | None = None

    @property
    def priority(self) -> int:
        return min((FLAGS[f][0] for f in self.flags), default=len(FLAGS))


# The server's background job that keeps the statuses up to date (app/main.py), and how
# often it looks for patients whose records changed (a look at an unchanged clinic costs
# one pass over the grants and a stamp per patient: a few ms at 300 patients).
CASELOAD_JOB = "caseload"
REFRESH_SECONDS = 0.5

# How often an open list looks whether what it was worked out from changed (`basis`), and
# is drawn again if so: a red-flag report reaches the care team's screen within seconds,
# without a reload. A look costs about what the background job's look at an unchanged
# clinic does, for one clinician's patients.
LIVE_SECONDS = 10.0

# Saving these does not change what the list shows: the list view's own audit entries
# must not make the next view re-read the patient.
NOT_SHOWN = frozenset({kinds.AUDIT})


@dataclass(frozen=True)
class _Known:
    """A status as worked out, and what it holds for."""

    stamp: int  # the patient's owner stamp (NOT_SHOWN aside) read before working it out
    day: date  # the patient's own day then
    until: datetime | None  # an urgent answer behind a flag leaves its window
    status: PatientStatus

    def expired(self, now: datetime) -> bool:
        """Whether the urgent answer behind the status has left its window."""
        return self.until is not None and now >= self.until

    def holds(self, stamp: int, day: date, now: datetime) -> bool:
        """Whether the status still holds: nothing of the patient's saved since, their
        day the same, no urgent answer gone out of its window."""
        return self.stamp == stamp and self.day == day and not self.expired(now)


class Caseload:
    def __init__(self, access: AccessService, progress: ProgressService,
                 guidance: GuidanceService, followups: FollowUpService) -> None:
        self.access = access
        self.progress = progress
        self.guidance = guidance
        self.followups = followups
        # Only ever read for the check-ins' times (see `_logging_status`).
        self._check_ins = Collection(access.store, kinds.CHECK_IN, CheckIn)
        # (patient, scope) -> the status last worked out; shared by every clinician, whose
        # access is checked on each view all the same.
        self._known: dict[tuple[str, Scope], _Known] = {}
        self._known_lock = threading.Lock()
        self.worked_out = 0  # statuses worked out from the records (benches, tests)

    def for_clinician(self, clinician: Account) -> list[PatientStatus]:
        """Every patient who shares with the clinician, most urgent first. Blocking (reads
        and one audit write): call it off the event loop."""
        patients = [(p, self.access.scope_of(clinician, p.id))
                    for p in self.access.shared_patients(clinician)]
        # A narrow grant's line is the adherence read it always was, in the trail too.
        listed = {p.id: LIST_VIEW if scope is Scope.FULL else LOGGING_READ
                  for p, scope in patients}
        with self.access.list_view(clinician, listed):
            statuses = [self._current(clinician, p, scope) for p, scope in patients]
        return sorted(statuses, key=lambda s: (s.priority, s.patient.name))

    def basis(self, clinician: Account) -> frozenset[tuple[object, ...]]:
        """What the clinician's list is worked out from, without reading anyone's records:
        who shares with them and how (name, grant), each patient's owner stamp and day,
        and whether an urgent answer behind their status has left its window since. Equal
        while the list would show the same; not a read of health data, not audited."""
        now = self.progress.clock()
        seen: set[tuple[object, ...]] = set()
        for patient in self.access.shared_patients(clinician):
            scope = self.access.scope_of(clinician, patient.id)
            with self._known_lock:
                known = self._known.get((patient.id, scope))
            window_over = known is not None and known.expired(now)
            seen.add((patient.id, patient.name, scope,
                      self.access.store.owner_stamp(patient.id, ignoring=NOT_SHOWN),
                      patient_today(now, patient.timezone), window_over))
        return frozenset(seen)

    def refresh(self) -> int:
        """Work out every shared patient's status that is not known or no longer holds:
        the server's background job (CASELOAD_JOB, every REFRESH_SECONDS) calls it, so
        a list finds the statuses of patients who just saved (or all of them, right after
        start) ready instead of reading them while the clinician waits. Reads run as a
        clinician the patient shares with, access-checked, and are not audited: nothing
        is shown until that clinician's list is, and the list view is audited then.
        Returns how many statuses were worked out."""
        grants = self.access.grants.find(None, revoked=False)
        pairs = {(g.value.patient_id, g.value.scope): g.value.clinician_id for g in grants}
        ids = {i for (patient_id, _), clinician_id in pairs.items()
               for i in (patient_id, clinician_id)}
        found = ((i, self.access.accounts.accounts.get(i)) for i in ids)
        people = {i: v.value for i, v in found if v is not None}
        worked = 0
        for (patient_id, scope), clinician_id in pairs.items():
            patient, clinician = people.get(patient_id), people.get(clinician_id)
            if patient is None or clinician is None \
                    or self._still_holds(patient, scope) is not None:
                continue
            try:
                with self.access.list_view(clinician, {}):  # no view: nothing audited
                    self._current(clinician, patient, scope)
            except DomainError:
                continue  # the grant changed meanwhile: the next turn sees the new one
            worked += 1
        return worked

    def _still_holds(self, patient: Account, scope: Scope) -> PatientStatus | None:
        """The known status if nothing of the patient's changed since, else None."""
        now = self.progress.clock()
        with self._known_lock:
            known = self._known.get((patient.id, scope))
        if known is None or not known.holds(
                self.access.store.owner_stamp(patient.id, ignoring=NOT_SHOWN),
                patient_today(now, patient.timezone), now):
            return None
        return known.status

    def _current(self, clinician: Account, patient: Account, scope: Scope) -> PatientStatus:
        now = self.progress.clock()
        # The stamp is read before the records: a save meanwhile makes the next look redo it.
        stamp = self.access.store.owner_stamp(patient.id, ignoring=NOT_SHOWN)
        day = patient_today(now, patient.timezone)
        with self._known_lock:
            known = self._known.get((patient.id, scope))
        if known is not None and known.holds(stamp, day, now):
            # Nothing of theirs changed: the same check as a read, audited as the view.
            operation = Operation.READ_PROGRESS if scope is Scope.FULL \
                else Operation.READ_REMINDERS
            self.access.authorize(clinician, patient.id, operation)
            return replace(known.status, patient=patient)
        status, until = self._status(clinician, patient, scope)
        with self._known_lock:
            self._known[(patient.id, scope)] = _Known(stamp, day, until, status)
            self.worked_out += 1
        return status

    def deleted_at_request(self, clinician: Account) -> list[datetime]:
        """When patients who shared with this clinician deleted their account, newest
        first (app.services.erasure): the clinician's own audit lines, no name, no data."""
        events = self.access.audit.find(None, actor_id=clinician.id, action=DELETED_ACTION)
        return sorted((v.value.at for v in events), reverse=True)

    def _status(self, clinician: Account, patient: Account,
                scope: Scope) -> tuple[PatientStatus, datetime | None]:
        """The status from the records, and until when the clock alone leaves it right
        (None: until the patient's day turns)."""
        if scope is not Scope.FULL:
            return self._logging_status(clinician, patient, scope), None
        record = self.progress.record(clinician, patient.id)  # access check (+ audit)
        answers = self.followups.answers(clinician, patient.id)
        status = self.status_of(clinician, patient, record, self.progress.summary_for(record),
                                answers)
        leaving = [r.answer.assessed_at + RECENT_ASSESSMENT for r in answers
                   if r.answer.assessment.level in URGENT_TIERS
                   and r.answer.assessed_at + RECENT_ASSESSMENT > self.progress.clock()]
        return status, min(leaving, default=None)

    def _logging_status(self, clinician: Account, patient: Account,
                        scope: Scope) -> PatientStatus:
        """Whether the patient logged, for a grant that opens no more: checked and audited
        as a reminders read; the check-ins give their times only."""
        self.access.authorize(clinician, patient.id, Operation.READ_REMINDERS, LOGGING_READ)
        last = max((v.value.recorded_at for v in self._check_ins.find(patient.id)),
                   default=None)
        days = None if last is None else days_since(last, self.progress.clock(),
                                                    patient.timezone)
        stopped = days is not None and days >= self.progress.thresholds.stopped_logging_days
        return PatientStatus(patient, None, ("stopped_logging",) if stopped else (),
                             scope=scope, days_since_check_in=days)

    def status_of(self, clinician: Account, patient: Account, record: ProgressRecord,
                  summary: ResponseSummary,
                  answers: list[AnswerRecord] | None = None) -> PatientStatus:
        """One patient's flags from a record the clinician already read (through
        ProgressService.record); reads their "Is this normal?" answers (audited) unless
        the caller already did (`answers`, from FollowUpService.answers)."""
        flags: list[str] = []
        now = self.progress.clock()
        if answers is None:
            answers = self.followups.answers(clinician, patient.id)
        recent = [r for r in answers
                  if now - r.answer.assessed_at <= RECENT_ASSESSMENT]
        levels = {r.answer.assessment.level for r in recent}
        flags += [level for level in URGENT_TIERS if level in levels]
        urgent = next((r for r in recent if r.answer.assessment.level in URGENT_TIERS), None)
        thresholds = self.progress.thresholds
        curves = soreness_curves(record.sessions, record.soreness, thresholds)
        if curves and (curves[-1].not_settling or curves[-1].rising):
            flags.append("soreness_not_settling")
        if summary.worse:  # also needs reassessment: one flag, the more urgent words
            flags.append("worse")
        elif summary.needs_reassessment:
            flags.append("reassess")
        if stopped_logging(record.check_ins, record.today, thresholds):
            flags.append("stopped_logging")
        return PatientStatus(patient, summary, tuple(flags), urgent)
