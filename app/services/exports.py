"""A patient's record as a file, in any of the clinic's formats, through one door.

Each format is an `Exporter` (JSON in app.services.portability, CSV ZIP in
app.services.spreadsheet, the HTML progress report in app.services.report; FHIR would be one
more). `ExportService.export` finds the patient, asks the policy (Operation.EXPORT), writes
the one audit event ("export:<format>") when a clinician exports, and only then calls the
exporter. An exporter therefore reads the record as the patient's own (not audited again)
and must never be called except through this service.

`actor` None is the operator's command line (`python -m app export`), which holds the
store anyway: no check, no audit.

Errors: NotFound (no such patient; for a signed-in actor the same answer as "not yours",
so an export does not reveal who has an account), NotAllowed, InvalidInput (unknown format).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput, NotFound
from app.domain.policy import Operation
from app.domain.zones import to_local
from app.services.access import AccessService
from app.services.base import Clock, system_clock


class Exporter(Protocol):
    """One file format of a patient's record."""

    @property
    def name(self) -> str: ...  # the format's key, also in the audit: "export:<name>"

    @property
    def media_type(self) -> str: ...

    @property
    def file_suffix(self) -> str: ...  # e.g. ".json"

    def export(self, actor: Account | None, patient: Account) -> bytes:
        """The file's bytes. Called only by ExportService, after its check."""
        ...


class PatientLookup(Protocol):
    """The part of app.services.accounts.AccountService this service uses."""

    def by_email(self, email: str) -> Account | None: ...

    def get(self, account_id: str) -> Account: ...


@dataclass(frozen=True)
class ExportedFile:
    content: bytes
    media_type: str
    file_name: str


class ExportService:
    def __init__(self, accounts: PatientLookup, access: AccessService,
                 exporters: Sequence[Exporter], clock: Clock = system_clock) -> None:
        self.accounts = accounts
        self.access = access
        self.exporters = {e.name: e for e in exporters}
        self.clock = clock

    @property
    def formats(self) -> list[str]:
        return list(self.exporters)

    def export(self, actor: Account | None, patient_email_or_id: str,
               fmt: str) -> ExportedFile:
        exporter = self.exporters.get(fmt)
        if exporter is None:
            raise InvalidInput.one("format", f"Choose one of: {', '.join(self.exporters)}.")
        patient = self._patient(patient_email_or_id)
        if actor is not None:
            if patient is None:
                raise NotFound("No such patient, or no access.")
            self.access.authorize(actor, patient.id, Operation.EXPORT, f"export:{fmt}")
        if patient is None or patient.role is not Role.PATIENT:  # staff have no record
            raise NotFound(f"No patient with the email {patient_email_or_id}.")
        return ExportedFile(exporter.export(actor, patient), exporter.media_type,
                            self.file_name(exporter, patient))

    def file_name(self, exporter: Exporter, patient: Account) -> str:
        """e.g. backtrack-report-alex-2025-11-26.html: no full name or email in it, the
        day on the patient's own calendar."""
        first = "".join(ch for ch in (patient.name.split() or ["patient"])[0].lower()
                        if ch.isalnum()) or "patient"
        day = to_local(self.clock(), patient.timezone)
        return f"backtrack-{exporter.name}-{first}-{day:%Y-%m-%d}{exporter.file_suffix}"

    def _patient(self, email_or_id: str) -> Account | None:
        found = self.accounts.by_email(email_or_id) if "@" in email_or_id else None
        if found is None and "@" not in email_or_id:
            try:
                found = self.accounts.get(email_or_id)
            except NotFound:
                found = None
        return found
