"""The admin's Audit log (issue 14): one list of what was done to accounts (the clinic's
account log, app.domain.account_audit) and of clinicians opening patients' records (each
patient's read trail, app.domain.sharing.AuditEvent), filtered by who, what, whom and
when, newest first, and exported as CSV.

A row names people and an action, never health data: a record opening says which part
was opened ("progress"), not what it showed. Pure rules; app.services.audit_log reads the
store and puts names on the ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final

from app.domain.account_audit import AccountAction
from app.domain.accounts import Role

# Two more kinds of row besides AccountAction's: a clinician's read of a patient's record
# and a download of it (the keys the "what" filter uses).
RECORD_OPENED: Final = "record:opened"
RECORD_EXPORTED: Final = "record:exported"
RECORD_LISTED: Final = "record:listed"
RECORD_LABELS: Final[Mapping[str, str]] = {
    RECORD_OPENED: "Opened a patient's record",
    RECORD_EXPORTED: "Downloaded a patient's record",
    RECORD_LISTED: "Saw a patient in their list",
}
# The read-trail action of a caseload list view: one entry per clinician, patient and day,
# counting that day's views (app.services.access writes it).
LIST_VIEW: Final = "read:caseload"
# Every "what" the log can show, in the order the filter offers them.
WHAT: Final[Mapping[str, str]] = {**{a.value: a.label for a in AccountAction},
                                  **RECORD_LABELS}
CSV_HEADER: Final = ("when (UTC)", "who", "who's email", "what", "whom", "whom's email",
                     "detail")
OPERATOR: Final = "Server operator"  # an event with no actor: the command line, first run
NO_ACCOUNT: Final = "No account here"  # an id whose account is gone (or an invitation)
_ROLE_WORDS: Final = {role.value: role.label for role in Role}
AN_INVITATION: Final = "An invitation"  # whom, before anyone accepted it (detail: the email)
THE_CLINIC: Final = "The clinic"  # whom, for a clinic setting
INVITATION_ACTIONS: Final = frozenset({AccountAction.INVITED, AccountAction.INVITATION_RESENT,
                                       AccountAction.INVITATION_REVOKED})


def record_action(action: str, actor_id: str, patient_id: str) -> str | None:
    """The row kind of a patient's read-trail event, or None when it is not a clinician
    looking (the patient's own events share that trail: a sign-in pause, a password
    change)."""
    if actor_id == patient_id:
        return None
    if action.startswith("export"):
        return RECORD_EXPORTED
    if action == LIST_VIEW:
        return RECORD_LISTED
    if action.startswith("read:"):
        return RECORD_OPENED
    return None


@dataclass(frozen=True)
class Person:
    """Who an id is, as the log shows it."""

    id: str
    name: str
    email: str = ""

    @property
    def shown(self) -> str:
        return f"{self.name} ({self.email})" if self.email else self.name


@dataclass(frozen=True)
class LogRow:
    at: datetime
    what: str  # a key of WHAT
    who: Person
    whom: Person
    detail: str = ""

    @property
    def what_label(self) -> str:
        return WHAT.get(self.what, self.what)

    @property
    def detail_shown(self) -> str:
        """The detail in words: role names as the screens say them ("therapist →
        care_team" reads "Therapist to Care team"; not every font has the arrow)."""
        words = [_ROLE_WORDS.get(word, word) for word in self.detail.split()]
        return " ".join("to" if word == "→" else word for word in words)

    def csv_cells(self) -> tuple[str, ...]:
        return (self.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), self.who.name,
                self.who.email, self.what_label, self.whom.name, self.whom.email,
                self.detail_shown)


@dataclass(frozen=True)
class LogFilter:
    """Empty fields filter nothing. `who` and `whom` are words found in the name or email
    (any case); `since` and `until` are days, both included, in the admin's time zone
    (the service turns them into moments)."""

    who: str = ""
    what: str = ""
    whom: str = ""
    since: date | None = None
    until: date | None = None

    def matches_people(self, row: LogRow) -> bool:
        """Who, whom and what. Whom is also looked for in the detail: an invitation not
        yet accepted names its person only there, by email."""
        return (_has_words(row.who, self.who) and _has_words(row.whom, self.whom, row.detail)
                and (not self.what or row.what == self.what))


def _has_words(person: Person, text: str, also: str = "") -> bool:
    haystack = f"{person.name} {person.email} {person.id} {also}".casefold()
    return all(word in haystack for word in text.casefold().split())
