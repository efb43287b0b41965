"""Moving one patient's whole record in and out: JSON export (every version, restorable)
and import. The file format is versioned so later releases can still read it.

An export never carries the password hash (a file a patient downloads and mails around
must not hand out something to crack offline). An imported account keeps the password of
the account already in the store, if any; a new one has none until the operator sets it
(`python -m app set-password EMAIL`).

An import is untrusted input: only the patient's own kinds of record are accepted, each is
decoded and checked like a freshly typed entry, and nothing may land on a record that
belongs to someone else. All records are checked before any is saved
(app.services.import_checks says what is checked, in which order).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from app.domain import kinds
from app.domain.accounts import Account
from app.domain.kinds import ACCOUNT, OnImport
from app.services import import_checks as checks
from app.services.accounts import AccountService
from app.services.base import Clock, system_clock
from app.services.exports import ExportService
from app.store.interfaces import Record, RecordRefused, RecordStore

EXPORT_FORMAT = "backtrack.patient-export"
EXPORT_VERSION = 1


@dataclass(frozen=True)
class Imported:
    """What an import did: whose record, how many versions it added, and how many of each
    kind it left out on purpose (see `Portability._left_out`)."""

    email: str
    added: int
    left_out: dict[str, int] = field(default_factory=dict)


NO_PASSWORD = ""  # an account with this hash can't sign in (no hash verifies against it)


def _without_password(record: Record, password_hash: str = NO_PASSWORD) -> Record:
    """An account version with `password_hash` in place of its own; other kinds as they are."""
    if record.kind != ACCOUNT or not isinstance(record.data, dict):
        return record
    return replace(record, data={**record.data, "password_hash": password_hash})


def read_export(text: str | bytes) -> checks.Export:
    """An export's bytes or text, checked as far as can be without the store: size,
    UTF-8, JSON, the document's shape and every record's envelope. Raises InvalidInput."""
    if isinstance(text, bytes):
        text = checks.decode_bytes(text)
    return checks.read_export(checks.parse_json(text), EXPORT_FORMAT, EXPORT_VERSION)


class JsonExport:
    """The restorable export (app.services.exports.Exporter): every version of every kind
    the registry exports, account versions without their password hash."""

    name = "json"
    media_type = "application/json"
    file_suffix = ".json"

    def __init__(self, store: RecordStore, clock: Clock = system_clock) -> None:
        self.store = store
        self.clock = clock

    def export(self, actor: Account | None, patient: Account) -> bytes:
        # Only the kinds the registry sends along: the import checks exactly those.
        versions = [r for r in self.store.owner_history(patient.id) if kinds.exported(r.kind)]
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_VERSION,
            "exported_at": self.clock().isoformat(),
            "patient": {"id": patient.id, "email": patient.email, "name": patient.name},
            "records": [_without_password(r).to_json() for r in versions],
        }
        return json.dumps(document, indent=1, ensure_ascii=False).encode("utf-8")


class Portability:
    def __init__(self, store: RecordStore, accounts: AccountService, exports: ExportService,
                 clock: Clock = system_clock) -> None:
        """`exports` is the app's one export door (its "json" format is JsonExport)."""
        self.store = store
        self.accounts = accounts
        self.clock = clock
        self.exports = exports

    def export_json(self, actor: Account | None, patient_email: str) -> str:
        """The patient's full record as JSON. `actor` None = the operator's command line.
        (ExportService.export(actor, email, "json") with the text decoded.)"""
        return self.exports.export(actor, patient_email, "json").content.decode("utf-8")

    def import_json(self, text: str | bytes) -> Imported:
        """Load an export back. Idempotent: versions already here are skipped.

        Every check (app.services.import_checks) runs before anything is written, so a
        refused file leaves the store exactly as it was. A patient already in this store
        (same id *and* email) only gains records: their account and sharing stay exactly
        as they are here, so a file cannot rename them, change their role or show their
        record to another clinician. A patient not yet here is created (without a
        password)."""
        return self.import_export(read_export(text))

    def import_export(self, export: checks.Export) -> Imported:
        """`import_json` for a file already read by `read_export` (the command line reads
        it before it opens the store)."""
        for record in export.records:
            held = self.store.latest(record.kind, record.id)
            if held is not None and held.owner != export.patient_id:
                raise checks.refusal(f"{record.kind} {record.id} would overwrite a record "
                                     "that belongs to someone else. Nothing was imported.")
        checks.check_records(export, self.clock(), self.store)
        existing = self._existing_patient(export)
        kept: list[Record] = []
        left_out: Counter[str] = Counter()
        for record in export.records:
            if self._left_out(record, existing):
                left_out[record.kind] += 1
            else:
                kept.append(record)
        # Whatever the file says, the password is the one already here (or none).
        password = existing.password_hash if existing is not None else NO_PASSWORD
        kept = [_without_password(r, password) for r in kept]
        try:
            added = self.store.import_versions(kept)
        except RecordRefused as exc:  # the store's own last check, before it writes
            raise checks.refusal(f"{exc.problems['record']}. Nothing was imported.") \
                from None
        return Imported(export.email, added, dict(left_out))

    def _existing_patient(self, export: checks.Export) -> Account | None:
        """The patient the file is about if they are already here, else None; refuses a
        file whose id and email point at different people (or at a clinic account), and
        a new patient whose file does not end with their account under that email."""
        patient_id, email = export.patient_id, export.email
        by_email = self.accounts.by_email(email)
        if by_email is not None and by_email.id != patient_id:
            raise checks.refusal(f"A different account already uses {email}.")
        held = self.store.latest(ACCOUNT, patient_id)
        if held is not None:
            if held.deleted or held.owner != patient_id or by_email is None:
                # Don't say whose: the id may have been copied from a clinician's screen.
                raise checks.refusal(
                    "The patient id in this file belongs to an account here with another "
                    f"email than {email}. Nothing was imported.")
            return by_email
        own = [r for r in export.records if r.kind == ACCOUNT]
        if not own:
            raise checks.refusal("The export has no account for its patient. "
                                 "Nothing was imported.")
        newest = max(own, key=lambda r: r.version)
        if newest.deleted or newest.data.get("email") != email:
            raise checks.refusal(f"The export's latest account version is not {email}'s "
                                 "open account. Nothing was imported.")
        return None

    def _left_out(self, record: Record, existing: Account | None) -> bool:
        """Records an import does not write, by their kind's `on_import` in
        app.domain.kinds: never a sharing code (a code opens the record; the patient makes
        a new one here), and for a patient already here no new versions of their account,
        their sharing, their audit trail or a clinician's acknowledgement (which say who in
        this clinic read the record or acted on it: only this clinic writes them)."""
        rule = kinds.BY_NAME[record.kind].on_import  # the checks refused unknown kinds
        if rule is OnImport.NEVER:
            return True
        if existing is None or rule is OnImport.KEEP:
            return False
        return not any(v.version == record.version
                       for v in self.store.history(record.kind, record.id))
