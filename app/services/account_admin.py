"""The clinic admin manages other people's accounts (issue 14): list and search them,
deactivate and reactivate, change a staff role, give a password-reset link by hand.

Every call asks the policy (Operation.MANAGE_ACCOUNTS: admins only) before it reads or
changes anything, applies the rules of app.domain.account_admin, and records what it
changed in the clinic's account log (app.services.account_audit) - never a password, a
link or anything from a patient's record.

Deactivating keeps everything the account holds (a patient's record, a clinician's
grants) and ends its sessions at once: a tab of that account shows the sign-in screen at
its next step, and the password no longer signs in (AuthService refuses inactive
accounts). Reactivating lets the same password sign in again.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from app.domain import policy
from app.domain.account_admin import (
    EMAILED,
    NO_MAIL_SERVER,
    AccountChangeRefused,
    AccountSearch,
    AccountSummary,
    active_admins,
    check_deactivate,
    check_reactivate,
    check_reset_link,
    check_role_change,
    sort_for_list,
)
from app.domain.account_audit import AccountAction
from app.domain.accounts import Account, Role
from app.domain.errors import NotAllowed, NotFound
from app.domain.policy import Operation, Relation
from app.services.account_audit import AccountAudit
from app.services.accounts import AccountService, AuthService, Ended
from app.services.password_reset import GivenLink, PasswordResetService

_ADMIN_COUNT = "account-admin:last-admin-rule"  # the shared lease of role/active changes
BUSY = "Another admin is changing accounts right now. Try again in a moment."


class AccountAdmin:
    def __init__(self, accounts: AccountService, auth: AuthService,
                 password_reset: PasswordResetService, audit: AccountAudit) -> None:
        self.accounts = accounts
        self.auth = auth
        self.password_reset = password_reset
        self.audit = audit
        # The last-admin rules count admins and then write: two admins demoting each
        # other at the same moment must not both pass the count (on two app servers too:
        # the shared lease).
        self._lock = threading.Lock()

    def _require(self, admin: Account) -> Account:
        """The admin as stored now (a role changed or an account deactivated in another
        tab counts at once), once the policy allows them to manage accounts."""
        policy.require(admin.role, Operation.MANAGE_ACCOUNTS, Relation.NONE)
        found = self.accounts.accounts.get(admin.id)
        current = found.value if found is not None and found.value.active else None
        if current is None:
            raise NotAllowed("Your account is no longer active.")
        policy.require(current.role, Operation.MANAGE_ACCOUNTS, Relation.NONE)
        return current

    def _all(self) -> list[Account]:
        return [v.value for v in self.accounts.accounts.find()]

    def search(self, admin: Account, search: AccountSearch | None = None) -> list[AccountSummary]:
        """The clinic's accounts matching `search`, active first, then by name."""
        self._require(admin)
        wanted = search or AccountSearch()
        return [AccountSummary.of(a) for a in sort_for_list(self._all()) if wanted.matches(a)]

    def get(self, admin: Account, account_id: str) -> AccountSummary:
        self._require(admin)
        return AccountSummary.of(self.accounts.get(account_id))

    def deactivate(self, admin: Account, account_id: str) -> AccountSummary:
        """Turn the account off and end its sessions at once; its data stays."""
        admin = self._require(admin)
        with self._lock, self.accounts.exclusive(_ADMIN_COUNT, AccountChangeRefused(BUSY)):
            target = self.accounts.get(account_id)
            check_deactivate(admin, target, active_admins(self._all()))
            changed = self._save(replace(target, active=False))
        self.auth.end_sessions(changed.id, why=Ended.TURNED_OFF)
        self.audit.record(admin.id, AccountAction.DEACTIVATED, changed.id, changed.role.value)
        return AccountSummary.of(changed)

    def reactivate(self, admin: Account, account_id: str) -> AccountSummary:
        admin = self._require(admin)
        with self._lock, self.accounts.exclusive(_ADMIN_COUNT, AccountChangeRefused(BUSY)):
            target = self.accounts.get(account_id)
            check_reactivate(target)
            changed = self._save(replace(target, active=True))
        self.audit.record(admin.id, AccountAction.REACTIVATED, changed.id, changed.role.value)
        return AccountSummary.of(changed)

    def change_role(self, admin: Account, account_id: str, role: Role) -> AccountSummary:
        """Move a staff account to another staff role (from its next step on: each
        screen reads the role afresh). The same role again changes nothing."""
        admin = self._require(admin)
        with self._lock, self.accounts.exclusive(_ADMIN_COUNT, AccountChangeRefused(BUSY)):
            target = self.accounts.get(account_id)
            check_role_change(target, role, active_admins(self._all()))
            if target.role is role:
                return AccountSummary.of(target)
            changed = self._save(replace(target, role=role))
        self.audit.record(admin.id, AccountAction.ROLE_CHANGED, changed.id,
                          f"{target.role.value} → {role.value}")
        return AccountSummary.of(changed)

    def give_reset_link(self, admin: Account, account_id: str) -> GivenLink:
        """A one-time password-reset link for the admin to pass on (valid for an hour;
        using it ends the account's other sessions). The link is never logged."""
        self._require(admin)
        target = self.accounts.get(account_id)
        check_reset_link(target)
        given = self.password_reset.give_link(target)
        self.audit.record(admin.id, AccountAction.RESET_LINK_GIVEN, target.id)
        return given

    def email_reset_link(self, admin: Account, account_id: str) -> str:
        """Email the person a reset link (the clinic's mail server; the same one-time,
        one-hour link as "Forgot your password?"). The address it went to;
        AccountChangeRefused when there is no mail server or the account is off."""
        admin = self._require(admin)
        target = self.accounts.get(account_id)
        check_reset_link(target)
        if not self.password_reset.email_link(target):
            raise AccountChangeRefused(NO_MAIL_SERVER)
        self.audit.record(admin.id, AccountAction.RESET_LINK_GIVEN, target.id, EMAILED)
        return target.email

    def _save(self, changed: Account) -> Account:
        current = self.accounts.accounts.get(changed.id)
        if current is None:
            raise NotFound("No such account.")
        owner = changed.id if changed.role is Role.PATIENT else None
        return self.accounts.accounts.correct(changed, owner, current.version).value
