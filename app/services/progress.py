"""Progress for one patient: the response-to-treatment summary and the four charts.

`load_thresholds` reads assets/progress/thresholds.json (the only file this module
touches). `ProgressService` reads the patient's record through the logbook (which checks
access and audits clinician reads as "read:progress"), turns it into plain domain data in
the patient's own time zone, assesses the response and builds the figures, reusing cached
figures while nothing drawn has changed.

Errors: ThresholdsError when the asset is missing or unusable (raised at start-up, so a
bad edit is caught before any patient sees a chart); NotAllowed/NotFound from the logbook.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, TypeVar

from app import paths
from app.charts.cache import FigureCache, data_fingerprint
from app.charts.figures import Figures, build_all
from app.charts.wording import Audience, chart_wording_problems
from app.domain.accounts import Account
from app.domain.progress import (
    ProgressRecord,
    ProgressThresholds,
    ResponseSummary,
    ThresholdsError,
    assess_response,
    parse_thresholds,
    stopped_logging,
)
from app.domain.zones import patient_today, zone_of
from app.services.base import Clock, Versioned, system_clock
from app.services.logbook import PatientData

PURPOSE = "read:progress"
T = TypeVar("T")


def load_thresholds(path: Path = paths.PROGRESS_THRESHOLDS) -> ProgressThresholds:
    """Read and validate the thresholds asset; ThresholdsError says what is wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ThresholdsError([f"{path} does not exist"]) from exc
    except json.JSONDecodeError as exc:
        raise ThresholdsError(
            [f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"]
        ) from exc
    return parse_thresholds(raw, check_charts=chart_wording_problems)


class PatientRecords(Protocol):
    """The part of app.services.logbook.Logbook this service uses."""

    def load(self, actor: Account, patient_id: str, purpose: str = ...) -> PatientData: ...


class ProgressService:
    def __init__(
        self,
        logbook: PatientRecords,
        thresholds: ProgressThresholds,
        clock: Clock = system_clock,
        cache: FigureCache | None = None,
    ) -> None:
        self.logbook = logbook
        self.thresholds = thresholds
        self.clock = clock
        self.cache = cache if cache is not None else FigureCache()

    def record(self, actor: Account, patient_id: str) -> ProgressRecord:
        """The patient's entries as plain domain objects in their local time."""
        return to_record(self.logbook.load(actor, patient_id, PURPOSE), self.clock())

    def summary(self, actor: Account, patient_id: str) -> ResponseSummary:
        """The response summary alone (e.g. for the therapist's dashboard)."""
        return self._assess(self.record(actor, patient_id))

    def summary_of(self, data: PatientData) -> ResponseSummary:
        """The summary for a record already read (and access-checked) by the caller."""
        return self._assess(to_record(data, self.clock()))

    def progress(
        self, actor: Account, patient_id: str, *, dark: bool = False
    ) -> tuple[ResponseSummary, Figures]:
        """Summary and the four charts. Figures are shared between calls: read-only."""
        return self.progress_of(patient_id, self.record(actor, patient_id), dark=dark)

    def progress_of(self, patient_id: str, record: ProgressRecord, *, dark: bool = False,
                    audience: Audience = Audience.PATIENT,
                    ) -> tuple[ResponseSummary, Figures]:
        """Summary and charts for a record already read by the caller; the charts in the
        words for `audience` (a clinician's say "Starting level", not "Your …")."""
        summary = self._assess(record)
        fingerprint = data_fingerprint(record, self.thresholds)
        figures = self.cache.get(
            patient_id, fingerprint, dark,
            lambda: build_all(record, summary, self.thresholds, dark, audience),
            audience,
        )
        assert figures is not None
        return summary, figures

    def stopped_logging(self, actor: Account, patient_id: str) -> bool:
        record = self.record(actor, patient_id)
        return stopped_logging(record.check_ins, record.today, self.thresholds)

    def summary_for(self, record: ProgressRecord) -> ResponseSummary:
        """The summary for a record the caller already read through `record()`."""
        return self._assess(record)

    def _assess(self, record: ProgressRecord) -> ResponseSummary:
        return assess_response(record.check_ins, record.sessions, self.thresholds,
                               record.today, record.pgic, record.odi)


def to_record(data: PatientData, now: datetime) -> ProgressRecord:
    """Unwrap versions and move every moment to the patient's wall-clock time (naive), so
    a day in the charts and rules is the patient's calendar day."""
    zone = zone_of(data.patient.timezone) or UTC

    def local(moment: datetime) -> datetime:
        if moment.tzinfo is None:  # naive means UTC: the system clock is UTC
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(zone).replace(tzinfo=None)

    def values(items: Iterable[Versioned[T]]) -> list[T]:
        return [v.value for v in items]

    return ProgressRecord(
        today=patient_today(now, data.patient.timezone),
        check_ins=[replace(c, recorded_at=local(c.recorded_at)) for c in values(data.check_ins)],
        sessions=[replace(s, performed_at=local(s.performed_at)) for s in values(data.sessions)],
        soreness=[replace(s, recorded_at=local(s.recorded_at)) for s in values(data.soreness)],
        activities=list(data.activities),
        milestones=values(data.milestones),
        pgic=[replace(p, recorded_at=local(p.recorded_at)) for p in data.pgic],
        odi=[replace(a, recorded_at=local(a.recorded_at)) for a in data.odi],
    )

