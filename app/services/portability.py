"""Moving one patient's whole record in and out: JSON export (every version, restorable)
and import. The file format is versioned so later releases can still read it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from app.domain.accounts import Account
from app.domain.errors import InvalidInput, NotFound
from app.services.access import AccessService
from app.services.accounts import AccountService
from app.store.interfaces import Record, RecordStore

EXPORT_FORMAT = "backtrack.patient-export"
EXPORT_VERSION = 1


class Portability:
    def __init__(self, store: RecordStore, accounts: AccountService,
                 access: AccessService) -> None:
        self.store = store
        self.accounts = accounts
        self.access = access

    def export_json(self, actor: Account | None, patient_email: str) -> str:
        """The patient's full record as JSON. `actor` None = the operator's command line."""
        patient = self.accounts.by_email(patient_email)
        if patient is None:
            raise NotFound(f"No patient with the email {patient_email}.")
        if actor is not None:
            self.access.check_read(actor, patient.id, "export:json")
        versions = self.store.owner_history(patient.id)
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_VERSION,
            "exported_at": datetime.now(UTC).isoformat(),
            "patient": {"id": patient.id, "email": patient.email, "name": patient.name},
            "records": [r.to_json() for r in versions],
        }
        return json.dumps(document, indent=1, ensure_ascii=False)

    def import_json(self, text: str) -> tuple[str, int]:
        """Load an export back. Returns (patient email, versions added). Idempotent."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput.one("file", f"This is not a BackTrack export ({exc}).") from exc
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise InvalidInput.one("file", "This is not a BackTrack patient export.")
        if document.get("format_version") != EXPORT_VERSION:
            raise InvalidInput.one("file", "This export was made by a newer BackTrack.")
        try:
            records = [Record.from_json(raw) for raw in document["records"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput.one("file", f"The export is damaged ({exc}).") from exc
        patient_id = document["patient"]["id"]
        if any(r.owner != patient_id for r in records):
            raise InvalidInput.one("file", "The export mixes records of different patients.")
        email = str(document["patient"]["email"])
        existing = self.accounts.by_email(email)
        if existing is not None and existing.id != patient_id:
            raise InvalidInput.one("file", f"A different account already uses {email}.")
        return email, self.store.import_versions(records)
