"""Every kind of record the app stores, in one list: its name in the store, the domain
type its data decodes into, whether a patient owns it, whether it travels in the
patient's JSON export, what an import does with it, and its table in the CSV export.

Services name their collections with these constants; the export, the import checks and
the spreadsheet read this list instead of keeping their own. A new kind of record is one
line here, and tests/services/test_kinds.py fails until it is (every collection the
services open must be listed, with the same type).

`entry` is None where the data is not one domain dataclass: a guidance assessment is
stored as its input and answer (app.services.guidance), and three small records still have
their type in a service module (reminder channels, the calendar feed token, clinic
settings; they can move to the domain, and none is exported).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from app.domain import entries as e
from app.domain.account_audit import AccountEvent
from app.domain.accounts import Account, Grant
from app.domain.followup import Acknowledgement, FollowUp
from app.domain.invitations import Invitation
from app.domain.reminder_delivery import Delivery, Outcome
from app.domain.reminder_plan import Reminder
from app.domain.reminders import ReminderPrefs
from app.domain.sharing import AuditEvent, Invite
from app.domain.two_step import TwoStep


class OnImport(StrEnum):
    """What importing a patient's export does with records of a kind."""

    KEEP = "keep"  # written (versions already here are skipped)
    NEVER = "never"  # left out: a sharing code opens the record; the patient makes a new one
    # Written only for a patient new to this clinic: for one already here these say who in
    # *this* clinic may read the record, read it, or acted on it, which only it writes.
    NEW_PATIENT_ONLY = "new_patient_only"


@dataclass(frozen=True)
class RecordKind:
    name: str
    entry: type | None
    patient_record: bool
    exported: bool
    on_import: OnImport = OnImport.KEEP
    csv_table: str | None = None  # its file in the CSV export (latest versions only)


ACCOUNT: Final = "account"
CHECK_IN: Final = "check_in"
SESSION: Final = "needling_session"
SORENESS: Final = "soreness"
ACTIVITY: Final = "psfs_activity"
MILESTONE: Final = "milestone"
ODI: Final = "odi"
PGIC: Final = "pgic"
REMINDER_PREFS: Final = "reminder_prefs"
GRANT: Final = "grant"
INVITE: Final = "invite"
AUDIT: Final = "audit"
ASSESSMENT: Final = "guidance_assessment"
FOLLOW_UP: Final = "guidance_follow_up"
ACKNOWLEDGEMENT: Final = "guidance_acknowledgement"
REMINDER: Final = "reminder"
DELIVERY: Final = "reminder_delivery"
OUTCOME: Final = "reminder_outcome"
REMINDER_CHANNELS: Final = "reminder_channels"
CALENDAR_FEED: Final = "calendar_feed"
CLINIC_SETTINGS: Final = "clinic_settings"
ACCOUNT_EVENT: Final = "account_event"
TWO_STEP: Final = "two_step"
INVITATION: Final = "invitation"

_K = RecordKind
KINDS: Final[tuple[RecordKind, ...]] = (
    # A patient's account is theirs (owner = their id); staff accounts have no owner.
    _K(ACCOUNT, Account, True, True, OnImport.NEW_PATIENT_ONLY),
    _K(CHECK_IN, e.CheckIn, True, True, csv_table="check-ins.csv"),
    _K(SESSION, e.NeedlingSession, True, True, csv_table="needling-sessions.csv"),
    _K(SORENESS, e.SorenessEntry, True, True, csv_table="soreness.csv"),
    _K(ACTIVITY, e.PsfsActivity, True, True),
    _K(MILESTONE, e.Milestone, True, True, csv_table="milestones.csv"),
    _K(ODI, e.OdiAnswer, True, True),
    _K(PGIC, e.PgicAnswer, True, True),
    _K(REMINDER_PREFS, ReminderPrefs, True, True),
    _K(GRANT, Grant, True, True, OnImport.NEW_PATIENT_ONLY),
    _K(INVITE, Invite, True, True, OnImport.NEVER),
    _K(AUDIT, AuditEvent, True, True, OnImport.NEW_PATIENT_ONLY),
    _K(ASSESSMENT, None, True, True),
    _K(FOLLOW_UP, FollowUp, True, True),
    _K(ACKNOWLEDGEMENT, Acknowledgement, True, True, OnImport.NEW_PATIENT_ONLY),
    # Reminders (issue 13) are the patient's but not yet in the export: the import has no
    # checks for them yet, and a file it cannot check would be refused whole.
    _K(REMINDER, Reminder, True, False),
    _K(DELIVERY, Delivery, True, False),
    _K(OUTCOME, Outcome, True, False),
    _K(REMINDER_CHANNELS, None, True, False),
    # A secret (its digest opens the calendar), like a sharing code: never in a file.
    _K(CALENDAR_FEED, None, True, False),
    _K(CLINIC_SETTINGS, None, False, False),
    # The clinic's account log (issue 14): who invited, deactivated, reset whom.
    _K(ACCOUNT_EVENT, AccountEvent, False, False),
    # Two-step sign-in (issue 14): the secret an authenticator app shares; never in a
    # file. A patient's is theirs (deleting the account purges it), staff's the clinic's.
    _K(TWO_STEP, TwoStep, True, False),
    # An invitation to join (issue 14): the clinic's, not a patient's; its code's digest
    # opens an account, so never in a file.
    _K(INVITATION, Invitation, False, False),
)
BY_NAME: Final[dict[str, RecordKind]] = {k.name: k for k in KINDS}


def kind(name: str) -> RecordKind | None:
    return BY_NAME.get(name)


def exported(name: str) -> bool:
    """Whether records of this kind travel in the patient's JSON export (unknown: no)."""
    found = BY_NAME.get(name)
    return found is not None and found.exported


EXPORTED: Final = frozenset(k.name for k in KINDS if k.exported)
# The exported kinds decoded into one domain dataclass (the import checks decode them).
EXPORTED_ENTRIES: Final[dict[str, type]] = {
    k.name: k.entry for k in KINDS if k.exported and k.entry is not None}
CSV_TABLES: Final[dict[str, str]] = {
    k.name: k.csv_table for k in KINDS if k.csv_table is not None}
