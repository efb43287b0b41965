"""A clinician's caseload: every patient who shared with them, flagged by what needs
attention and sorted by need (red-flag report first, then soreness not settling, no
meaningful response after a reasonable trial, stopped logging).

Each patient's record is read once through the progress service and their "Is this
normal?" answers through the guidance service, so both reads are access-checked and
audited ("read:progress", "read:guidance").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.domain.accounts import Account
from app.domain.progress import (
    ProgressRecord,
    ResponseSummary,
    soreness_curves,
    stopped_logging,
)
from app.services.access import AccessService
from app.services.guidance import GuidanceService
from app.services.progress import ProgressService

# A triage answer older than this no longer puts a patient at the top of the list.
RECENT_ASSESSMENT = timedelta(days=7)

# Flag → (priority, words on the dashboard); lower priority number = more urgent.
FLAGS: dict[str, tuple[int, str]] = {
    "emergency": (0, "Emergency answer in the last 7 days"),
    "call_clinic": (1, "Asked to contact the clinic"),
    "soreness_not_settling": (2, "Soreness not settling"),
    "reassess": (3, "No meaningful change: reassess"),
    "stopped_logging": (4, "Stopped logging"),
}


@dataclass(frozen=True)
class PatientStatus:
    patient: Account
    summary: ResponseSummary
    flags: tuple[str, ...]  # most urgent first (the order of FLAGS)

    @property
    def priority(self) -> int:
        return min((FLAGS[f][0] for f in self.flags), default=len(FLAGS))


class Caseload:
    def __init__(self, access: AccessService, progress: ProgressService,
                 guidance: GuidanceService) -> None:
        self.access = access
        self.progress = progress
        self.guidance = guidance

    def for_clinician(self, clinician: Account) -> list[PatientStatus]:
        statuses = [self._status(clinician, p) for p in self.access.shared_patients(clinician)]
        return sorted(statuses, key=lambda s: (s.priority, s.patient.name))

    def _status(self, clinician: Account, patient: Account) -> PatientStatus:
        record = self.progress.record(clinician, patient.id)  # access check + audit
        return self.status_of(clinician, patient, record, self.progress.summary_for(record))

    def status_of(self, clinician: Account, patient: Account, record: ProgressRecord,
                  summary: ResponseSummary) -> PatientStatus:
        """One patient's flags from a record the clinician already read (through
        ProgressService.record); reads their "Is this normal?" answers (audited)."""
        flags: list[str] = []
        now = self.progress.clock()
        recent = [p for p in self.guidance.history(clinician, patient.id)
                  if now - p.assessed_at <= RECENT_ASSESSMENT]
        levels = {p.assessment.level for p in recent}
        flags += [level for level in ("emergency", "call_clinic") if level in levels]
        thresholds = self.progress.thresholds
        curves = soreness_curves(record.sessions, record.soreness, thresholds)
        if curves and (curves[-1].not_settling or curves[-1].rising):
            flags.append("soreness_not_settling")
        if summary.needs_reassessment:
            flags.append("reassess")
        if stopped_logging(record.check_ins, record.today, thresholds):
            flags.append("stopped_logging")
        return PatientStatus(patient, summary, tuple(flags))
