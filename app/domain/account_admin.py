"""The clinic admin's rules for other people's accounts (issue 14): who can be turned off,
which roles an account can move between, and how the Accounts list is searched.

Two rules keep a clinic from locking itself out: an admin never deactivates themself, and
the last active admin is never deactivated or given another role. A patient's role never
changes and staff never become patients: a patient's account owns their health record
(app.services.accounts stores it with the patient as owner), a staff account owns none,
so moving between the two would leave a record owned by a therapist or a patient whose
record has no owner.

No I/O here; app.services.account_admin applies these and writes the changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from app.domain.accounts import STAFF_ROLES, Account, Role, normalise_email
from app.domain.errors import InvalidInput

SEARCH_MAX_CHARS: Final = 100

SELF_DEACTIVATION: Final = ("You can't deactivate your own account. Another admin can, if "
                            "that is what the clinic wants.")
LAST_ADMIN: Final = ("This is the clinic's only active admin. Make someone else an admin "
                     "first, so the clinic can still manage accounts.")
PATIENT_ROLE_FIXED: Final = ("A patient's role can't change: their account holds their "
                             "record. Invite the person as staff with another email.")
NOT_A_STAFF_ROLE: Final = "Staff can be a therapist, care team or clinic admin."
ALREADY_OFF: Final = "This account is already deactivated."
ALREADY_ON: Final = "This account is already active."
TURNED_OFF: Final = "This account is deactivated. Reactivate it first."
# What sign-in says to a deactivated account, and only for its right password: a wrong one
# gets the usual answer, so the message never tells a guesser that the address is in use.
NO_MAIL_SERVER: Final = ("This clinic has no mail server set up, so nothing can be emailed. "
                        "Give a reset link instead and pass it on yourself.")
EMAILED: Final = "emailed"  # the account log's detail for a link sent by email
SIGN_IN_TURNED_OFF: Final = "This account is turned off. Ask your clinic."


class AccountChangeRefused(InvalidInput):
    """A change the rules above refuse; its one message is safe to show to the admin."""

    def __init__(self, message: str) -> None:
        super().__init__({"account": message})

    @property
    def message(self) -> str:
        return self.problems["account"]


class Status(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"

    @property
    def label(self) -> str:
        return {"active": "Active", "deactivated": "Deactivated"}[self.value]

    @staticmethod
    def of(account: Account) -> Status:
        return Status.ACTIVE if account.active else Status.DEACTIVATED


@dataclass(frozen=True)
class AccountSummary:
    """What the Accounts screen shows of an account: never its password hash, never
    anything from the patient's record."""

    id: str
    name: str
    email: str
    role: Role
    active: bool
    created_at: datetime

    @staticmethod
    def of(account: Account) -> AccountSummary:
        return AccountSummary(account.id, account.name, account.email, account.role,
                              account.active, account.created_at)

    @property
    def status(self) -> Status:
        return Status.ACTIVE if self.active else Status.DEACTIVATED


@dataclass(frozen=True)
class AccountSearch:
    """The Accounts list's filters: words found in the name or email (any case), a role,
    a status. Empty fields filter nothing."""

    text: str = ""
    role: Role | None = None
    status: Status | None = None

    def matches(self, account: Account) -> bool:
        words = normalise_email(self.text[:SEARCH_MAX_CHARS]).split()
        haystack = f"{account.name.casefold()} {account.email}"
        return (all(word in haystack for word in words)
                and (self.role is None or account.role is self.role)
                and (self.status is None or Status.of(account) is self.status))


def sort_for_list(accounts: Iterable[Account]) -> list[Account]:
    """Active first, then by name (the admin looks for people by name)."""
    return sorted(accounts, key=lambda a: (not a.active, a.name.casefold(), a.email))


def active_admins(accounts: Iterable[Account]) -> int:
    return sum(1 for a in accounts if a.role is Role.ADMIN and a.active)


def check_deactivate(actor: Account, target: Account, admins_active: int) -> None:
    """AccountChangeRefused unless `actor` may turn `target` off now."""
    if target.id == actor.id:
        raise AccountChangeRefused(SELF_DEACTIVATION)
    if not target.active:
        raise AccountChangeRefused(ALREADY_OFF)
    if target.role is Role.ADMIN and admins_active <= 1:
        raise AccountChangeRefused(LAST_ADMIN)


def check_reactivate(target: Account) -> None:
    if target.active:
        raise AccountChangeRefused(ALREADY_ON)


def check_role_change(target: Account, new_role: Role, admins_active: int) -> None:
    """AccountChangeRefused unless `target` may move to `new_role`: staff roles only, and
    never the last active admin out of admin (the admin's own role included)."""
    if target.role is Role.PATIENT:
        raise AccountChangeRefused(PATIENT_ROLE_FIXED)
    if new_role not in STAFF_ROLES:
        raise AccountChangeRefused(NOT_A_STAFF_ROLE)
    if target.role is Role.ADMIN and new_role is not Role.ADMIN and target.active \
            and admins_active <= 1:
        raise AccountChangeRefused(LAST_ADMIN)


def check_reset_link(target: Account) -> None:
    """A reset link is for an active account (a deactivated one can't sign in anyway)."""
    if not target.active:
        raise AccountChangeRefused(TURNED_OFF)
