"""Guidance use cases: load the rulebook, triage a report, keep every assessment.

Each assessment is saved as its own "guidance_assessment" record owned by the patient,
holding the exact input and the exact answer given, so a clinician can later see what the
patient was told and why. Reads the store only through app.store.interfaces.RecordStore.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from app.domain import kinds
from app.domain.accounts import Account, check_risk_factors
from app.domain.errors import NotFound
from app.domain.guidance import (
    Assessment,
    Rulebook,
    RulebookError,
    SymptomReport,
    assess,
    parse_report,
    parse_rulebook,
)
from app.domain.guidance.education import fill_education
from app.domain.policy import Operation
from app.services.access import AccessService
from app.services.accounts import ACCOUNT
from app.services.base import Collection
from app.store.interfaces import Query, Record, RecordStore

ASSESSMENT_KIND = kinds.ASSESSMENT


def load_education(path: Path, rulebook: Rulebook) -> str:
    """The patient education page (Markdown) with the rulebook's numbers filled in."""
    return fill_education(path.read_text(encoding="utf-8"), rulebook)


def load_rulebook(path: Path) -> Rulebook:
    """Read and validate the rulebook file. Raises RulebookError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulebookError(f"Cannot read the guidance rulebook {path}: {exc.strerror}.") from exc
    try:
        raw = json.loads(text, parse_constant=_reject_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        raise RulebookError(f"The guidance rulebook {path} is not valid JSON: {exc}.") from exc
    try:
        return parse_rulebook(raw)
    except RulebookError as exc:
        raise RulebookError(f"The guidance rulebook {path} is not usable: {exc}") from exc


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed")


@dataclass(frozen=True)
class PastAssessment:
    """One saved assessment, as history shows it."""

    record_id: str
    assessed_at: datetime
    report: SymptomReport
    assessment: Assessment
    # The rulebook that answered: "reviewed_on fingerprint" (None: saved before this was kept)
    rulebook: str | None = None


class GuidanceService:
    def __init__(
        self,
        store: RecordStore,
        rulebook: Rulebook,
        access: AccessService,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._store = store
        self._rulebook = rulebook
        self._access = access
        self._clock = clock or (lambda: datetime.now(UTC))
        self._accounts = Collection(store, ACCOUNT, Account)

    @property
    def rulebook(self) -> Rulebook:
        return self._rulebook

    def assess(
        self, actor: Account, patient_id: str, report: SymptomReport, *,
        assessed_at: datetime | None = None
    ) -> tuple[Assessment, Record]:
        """Triage the report and save input + result before returning them. The actor is
        the patient or a clinician they granted (NotAllowed otherwise)."""
        if not patient_id:
            raise ValueError("patient_id is required")
        self._access.check_write(actor, patient_id, Operation.ASSESS)
        when = assessed_at or self._clock()
        if when.tzinfo is None:
            raise ValueError("assessed_at must carry a time zone")
        assessment = assess(report, self._rulebook)
        record = self._store.save(
            ASSESSMENT_KIND,
            uuid.uuid4().hex,
            {
                "input": report.to_json(),
                "result": assessment.to_json(),
                "assessed_at": when.astimezone(UTC).isoformat(),
                "rulebook": {"reviewed_on": self._rulebook.reviewed_on.isoformat(),
                             "fingerprint": self._rulebook.fingerprint},
            },
            owner=patient_id,
            expected_version=0,
        )
        return assessment, record

    def remembered_risk_factors(self, actor: Account, patient_id: str) -> tuple[str, ...]:
        """The risk factors remembered on the patient's profile (for pre-filling): part of
        the guidance record, so checked (and a clinician's read audited) like its history."""
        self._access.authorize(actor, patient_id, Operation.READ_GUIDANCE)
        return self.risk_factors(patient_id)

    def risk_factors(self, patient_id: str) -> tuple[str, ...]:
        """`remembered_risk_factors` without the check. No screen calls it (they pass the
        actor); tests use it to look at what the profile holds."""
        current = self._accounts.get(patient_id)
        return current.value.risk_factors if current is not None else ()

    def remember_risk_factors(self, actor: Account, factors: tuple[str, ...]) -> Account:
        """Keep the patient's own answers on their profile. Only the patient changes them
        (a clinician's check on their behalf does not rewrite the patient's profile)."""
        self._access.check_write(actor, actor.id, Operation.REMEMBER_RISK_FACTORS)
        clean = check_risk_factors(factors)
        current = self._accounts.get(actor.id)
        if current is None:
            raise NotFound("No such account.")
        if current.value.risk_factors == clean:
            return current.value
        changed = replace(current.value, risk_factors=clean)
        return self._accounts.correct(changed, actor.id, current.version).value

    def history(self, actor: Account, patient_id: str) -> list[PastAssessment]:
        """Every saved assessment of one patient, newest first (ties: last saved first).
        Access-checked; a clinician's read is audited."""
        self._access.authorize(actor, patient_id, Operation.READ_GUIDANCE)
        records = self._store.find(Query(kind=ASSESSMENT_KIND, owner=patient_id))
        past = [_past(record) for record in records]
        return [
            item
            for _, item in sorted(
                enumerate(past), key=lambda pair: (pair[1].assessed_at, pair[0]), reverse=True
            )
        ]


def _past(record: Record) -> PastAssessment:
    data = record.data
    return PastAssessment(
        record_id=record.id,
        assessed_at=datetime.fromisoformat(data["assessed_at"]),
        report=parse_report(data["input"]),
        assessment=Assessment.from_json(data["result"]),
        rulebook=_rulebook_label(data.get("rulebook")),
    )


def _rulebook_label(value: object) -> str | None:
    if not isinstance(value, dict):
        return None
    return f"{value.get('reviewed_on', '?')} {value.get('fingerprint', '?')}"
