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
from dataclasses import replace
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
            patient_id = str(document["patient"]["id"])
            email = str(document["patient"]["email"])
            records = [Record.from_json(raw) for raw in document["records"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidInput.one("file", f"The export is damaged ({exc}).") from exc
        for record in records:
            self._check(record, patient_id)
        existing = self.accounts.by_email(email)
        if existing is not None and existing.id != patient_id:
            raise InvalidInput.one("file", f"A different account already uses {email}.")
        # Whatever the file says, the password is the one already here (or none).
        kept = existing.password_hash if existing is not None else NO_PASSWORD
        records = [_without_password(r, kept) for r in records]
        return email, self.store.import_versions(records)

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
