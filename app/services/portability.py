"""Moving one patient's whole record in and out: JSON export (every version, restorable)
and import. The file format is versioned so later releases can still read it.

An export never carries the password hash (a file a patient downloads and mails around
must not hand out something to crack offline). An imported account keeps the password of
the account already in the store, if any; a new one has none until the operator sets it
(`python -m app set-password EMAIL`).

An import is untrusted input: only the patient's own kinds of record are accepted, each is
decoded and checked like a freshly typed entry, and nothing may land on a record that
belongs to someone else. All records are checked before any is saved.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.domain import entries as e
from app.domain.accounts import Account, Grant, Role
from app.domain.codec import from_json
from app.domain.errors import DomainError, InvalidInput, NotFound
from app.domain.guidance import parse_report
from app.domain.reminders import ReminderPrefs, check_prefs
from app.services import logbook as lb
from app.services.access import AUDIT, GRANT, INVITE, AccessService, AuditEvent, Invite
from app.services.accounts import ACCOUNT, AccountService
from app.services.base import Clock, system_clock
from app.services.guidance import ASSESSMENT_KIND
from app.store.interfaces import Record, RecordStore

EXPORT_FORMAT = "backtrack.patient-export"
EXPORT_VERSION = 1

PATIENT_KINDS: dict[str, type] = {
    lb.CHECK_IN: e.CheckIn, lb.SESSION: e.NeedlingSession, lb.SORENESS: e.SorenessEntry,
    lb.ACTIVITY: e.PsfsActivity, lb.MILESTONE: e.Milestone, lb.ODI: e.OdiAnswer,
    lb.PGIC: e.PgicAnswer, lb.REMINDER_PREFS: ReminderPrefs, GRANT: Grant, INVITE: Invite,
    AUDIT: AuditEvent, ACCOUNT: Account,
}


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


class Portability:
    def __init__(self, store: RecordStore, accounts: AccountService,
                 access: AccessService, clock: Clock = system_clock) -> None:
        self.store = store
        self.accounts = accounts
        self.access = access
        self.clock = clock

    def export_json(self, actor: Account | None, patient_email: str) -> str:
        """The patient's full record as JSON. `actor` None = the operator's command line."""
        patient = self.accounts.by_email(patient_email)
        if actor is not None:
            # Same answer for "no such patient" and "not yours": don't reveal who exists.
            if patient is None:
                raise NotFound("No such patient, or no access.")
            self.access.check_read(actor, patient.id, "export:json")
        if patient is None:
            raise NotFound(f"No patient with the email {patient_email}.")
        versions = self.store.owner_history(patient.id)
        document: dict[str, Any] = {
            "format": EXPORT_FORMAT,
            "format_version": EXPORT_VERSION,
            "exported_at": self.clock().isoformat(),
            "patient": {"id": patient.id, "email": patient.email, "name": patient.name},
            "records": [_without_password(r).to_json() for r in versions],
        }
        return json.dumps(document, indent=1, ensure_ascii=False)

    def import_json(self, text: str) -> Imported:
        """Load an export back. Idempotent: versions already here are skipped.

        A patient already in this store (same id *and* email) only gains records: their
        account and sharing stay exactly as they are here, so a file cannot rename them,
        change their role or show their record to another clinician. A patient not yet
        here is created (without a password)."""
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput.one("file", f"This is not a BackTrack export ({exc}).") from exc
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            raise InvalidInput.one("file", "This is not a BackTrack patient export.")
        if document.get("format_version") != EXPORT_VERSION:
            raise InvalidInput.one("file", "This export was made by a newer BackTrack.")
        try:
            patient_id = str(document["patient"]["id"])
            email = str(document["patient"]["email"])
            records = [Record.from_json(raw) for raw in document["records"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput.one("file", f"The export is damaged ({exc}).") from exc
        for record in records:
            self._check(record, patient_id)
        existing = self._existing_patient(patient_id, email)
        kept: list[Record] = []
        left_out: Counter[str] = Counter()
        for record in records:
            if self._left_out(record, existing):
                left_out[record.kind] += 1
            else:
                kept.append(record)
        # Whatever the file says, the password is the one already here (or none).
        password = existing.password_hash if existing is not None else NO_PASSWORD
        kept = [_without_password(r, password) for r in kept]
        return Imported(email, self.store.import_versions(kept), dict(left_out))

    def _existing_patient(self, patient_id: str, email: str) -> Account | None:
        """The patient the file is about if they are already here, else None; refuses a
        file whose id and email point at different people (or at a clinic account)."""
        by_email = self.accounts.by_email(email)
        if by_email is not None and by_email.id != patient_id:
            raise InvalidInput.one("file", f"A different account already uses {email}.")
        held = self.store.latest(ACCOUNT, patient_id)
        if held is None:
            return None
        if held.deleted or held.owner != patient_id or by_email is None:
            # Don't say whose: the id may have been copied from a clinician's screen.
            raise InvalidInput.one("file", "The patient id in this file belongs to an "
                                           f"account here with another email than {email}. "
                                           "Nothing was imported.")
        return by_email

    def _left_out(self, record: Record, existing: Account | None) -> bool:
        """Records an import does not write (whether already here or not): sharing codes
        (a code opens the record; the patient makes a new one here), and for a patient
        already here, new versions of their account or sharing."""
        if record.kind == INVITE:
            return True
        if existing is None or record.kind not in (ACCOUNT, GRANT):
            return False
        return not any(v.version == record.version
                       for v in self.store.history(record.kind, record.id))

    def _check(self, record: Record, patient_id: str) -> None:
        def refuse(why: str) -> InvalidInput:
            return InvalidInput.one("file", f"The export was changed or damaged: {record.kind} "
                                            f"{record.id} {why}.")

        if record.owner != patient_id:
            raise refuse("belongs to someone else")
        held = self.store.latest(record.kind, record.id)
        if held is not None and held.owner != patient_id:
            raise refuse("would overwrite another person's record")
        if record.kind == ASSESSMENT_KIND:
            try:
                parse_report(record.data.get("input"))
                datetime.fromisoformat(str(record.data["assessed_at"]))
            except (DomainError, KeyError, ValueError) as exc:
                raise refuse(f"is not valid ({exc})") from exc
            return
        cls = PATIENT_KINDS.get(record.kind)
        if cls is None:
            raise refuse("is not part of a patient's record")
        try:
            value: Any = from_json(cls, record.data)
        except (KeyError, TypeError, ValueError) as exc:
            raise refuse(f"is not valid ({exc})") from exc
        if getattr(value, "id", None) != record.id:
            # The services correct a record by the id in its data: a mismatch would let a
            # later correction land on whatever record that id names.
            raise refuse("carries another record's id in its data")
        if record.kind == lb.REMINDER_PREFS:
            if value.id != patient_id:
                raise refuse("names another patient")
            try:
                check_prefs(value)
            except InvalidInput as exc:
                raise refuse(f"has a value out of range ({exc})") from exc
            return
        if record.kind == ACCOUNT:
            if value.id != patient_id or value.role is not Role.PATIENT:
                raise refuse("is not the patient's own account")
            return
        if getattr(value, "patient_id", patient_id) != patient_id:
            raise refuse("names another patient")
        if isinstance(value, e.CheckIn | e.NeedlingSession | e.SorenessEntry | e.PsfsActivity
                      | e.Milestone | e.OdiAnswer | e.PgicAnswer):
            try:
                e.recheck(value)
            except InvalidInput as exc:
                raise refuse(f"has a value out of range ({exc})") from exc
