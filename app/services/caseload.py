"""A clinician's caseload: every patient who shared with them, flagged by what needs
attention and sorted by need (red-flag report first, then soreness not settling, getting
worse, no meaningful response after a reasonable trial, stopped logging).

Each patient's record is read once through the progress service and their "Is this
normal?" answers through the guidance service, so both reads are access-checked and
audited ("read:progress", "read:guidance").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.domain.accounts import Account
from app.domain.followup import URGENT_TIERS
from app.domain.progress import (
    ProgressRecord,
    ResponseSummary,
    soreness_curves,
    stopped_logging,
)
from app.services.access import AccessService
from app.services.followup import AnswerRecord, FollowUpService
from app.services.guidance import GuidanceService
from app.services.progress import ProgressService

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


@dataclass(frozen=True)
class PatientStatus:
    patient: Account
    summary: ResponseSummary
    flags: tuple[str, ...]  # most urgent first (the order of FLAGS)
    # The newest emergency / call-the-clinic answer behind a flag, with the patient's
    # follow-ups and a clinician's acknowledgement (None: no such answer in 7 days).
    urgent_answer: AnswerRecord | None = None

    @property
    def priority(self) -> int:
        return min((FLAGS[f][0] for f in self.flags), default=len(FLAGS))


class Caseload:
    def __init__(self, access: AccessService, progress: ProgressService,
                 guidance: GuidanceService, followups: FollowUpService) -> None:
        self.access = access
        self.progress = progress
        self.guidance = guidance
        self.followups = followups

    def for_clinician(self, clinician: Account) -> list[PatientStatus]:
        statuses = [self._status(clinician, p) for p in self.access.shared_patients(clinician)]
        return sorted(statuses, key=lambda s: (s.priority, s.patient.name))

    def _status(self, clinician: Account, patient: Account) -> PatientStatus:
        record = self.progress.record(clinician, patient.id)  # access check + audit
        return self.status_of(clinician, patient, record, self.progress.summary_for(record))

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
