"""Forgot my password: a one-time link by email, valid for an hour (issue 14).

A person signed out types their email address; if the clinic has a mail server and an
active account uses the address, the account's owner gets an email with a link to
/reset?token=.... Opening it, they choose a new password (the policy in
app.domain.passwords); that uses the link up and ends every session of the account, so
whoever knew the old password is signed out too.

What it is careful about:
- The answer is the same words whether an account uses the address or not, and the email
  goes out on a thread of its own, so the answer's timing does not tell either.
- Only the SHA-256 of a token is kept (as app.services.calendar_feed does), in memory
  like the sessions (app.services.accounts): a restart makes open links unusable, which
  costs the person one more request. A new request replaces the account's earlier link.
- One email per address per `COOLDOWN`: the form can't be used to flood someone's inbox
  (further requests get the same answer and send nothing); and `PER_CLIENT` requests per
  client address per `COOLDOWN`, like the sign-in pause's per-address limit.
- The email says nothing about health: the clinic's name, the link, how long it works.
- Each request that sends, and each reset, is in the account's audit log (a patient's is
  on their record).
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from app.domain.account_audit import AccountAction
from app.domain.accounts import Account, normalise_email
from app.domain.passwords import check_new_password
from app.domain.tokens import token_digest
from app.services.account_audit import AccountAudit
from app.services.account_mail import AccountMail, Dispatch, in_background
from app.services.accounts import AuthService, Ended
from app.services.base import Clock, system_clock
from app.services.notifier import Notifier, ReminderEmail

TOKEN_BYTES: Final = 32
VALID_FOR: Final = timedelta(hours=1)
COOLDOWN: Final = timedelta(minutes=5)
_REMEMBERED_ADDRESSES: Final = 1000  # then addresses past their cooldown are forgotten
# Requests from one client address (the browser's IP) per COOLDOWN, whatever the emails:
# one place can't walk a list of addresses. A clinic's shared network stays well under.
PER_CLIENT: Final = 10
RESET_REQUESTED: Final = "password:reset-requested"  # audit actions
PASSWORD_RESET: Final = "password:reset"
SENT: Final = ("If an account uses this address, we sent a link to it. The link works once, "
               "for one hour. No email? Check the spam folder, or ask the clinic.")
NO_EMAIL: Final = ("This clinic has not set up email, so we can't send you a link. Ask the "
                   "clinic's staff to give you a link to set a new password.")
LINK_UNUSABLE: Final = ("This link can't be used: it has expired, was already used, or a "
                        "newer one was sent. Ask for a new link from the sign-in screen.")


@dataclass(frozen=True)
class GivenLink:
    """A reset link the admin gives by hand: the address to pass on and until when."""

    url: str
    expires_at: datetime


class LinkUnusable(Exception):
    """The token is unknown, expired or used up. Its message is safe to show."""

    def __init__(self) -> None:
        super().__init__(LINK_UNUSABLE)


@dataclass(frozen=True)
class _Pending:
    account_id: str
    expires_at: datetime


class PasswordResetService:
    def __init__(self, auth: AuthService, *, notifier_source: Callable[[], Notifier | None],
                 clinic_name: Callable[[], str], base_url: str, clock: Clock = system_clock,
                 dispatch: Dispatch = in_background,
                 account_audit: AccountAudit | None = None) -> None:
        """`notifier_source`: the clinic's mail server as saved now (None: none), read at
        each request, as the reminders do. `dispatch` runs the sending (tests: at once).
        `account_audit`: the clinic's account log, where a used link is recorded."""
        self.auth = auth
        self.accounts = auth.accounts
        self.mail = AccountMail(notifier_source, "password reset", dispatch)
        self.clinic_name = clinic_name
        self.base_url = base_url
        self.clock = clock
        self._pending: dict[str, _Pending] = {}  # token digest -> whose, until when
        self._last_sent: dict[str, datetime] = {}  # normalised address -> last request
        self._by_client: dict[str, list[datetime]] = {}  # client address -> recent requests
        self._lock = threading.Lock()
        self.account_audit = account_audit

    def email_available(self) -> bool:
        """Whether a link can go by email (else the person asks the clinic)."""
        return self.mail.available()

    def request(self, email: str, client_address: str = "") -> str:
        """Ask for a link for `email`; the words to show, the same for any address.
        `client_address`: where the request comes from ("" when unknown)."""
        notifier = self.mail.server()
        if notifier is None:
            return NO_EMAIL
        address = normalise_email(email)
        now = self.clock()
        with self._lock:
            if client_address:
                if len(self._by_client) >= _REMEMBERED_ADDRESSES:
                    self._by_client = {c: times for c, times in self._by_client.items()
                                       if now - times[-1] < COOLDOWN}
                recent = [t for t in self._by_client.get(client_address, [])
                          if now - t < COOLDOWN]
                self._by_client[client_address] = [*recent, now]
                if len(recent) >= PER_CLIENT:
                    return SENT
            last = self._last_sent.get(address)
            if last is not None and now - last < COOLDOWN:
                return SENT
            if len(self._last_sent) >= _REMEMBERED_ADDRESSES:  # typed addresses can't
                self._last_sent = {a: t for a, t in self._last_sent.items()  # fill memory
                                   if now - t < COOLDOWN}
            self._last_sent[address] = now
        account = self.accounts.by_email(address) if address else None
        if account is None or not account.active:
            return SENT
        token = self._new_token(account, now)
        self.mail.send_later(self._email(account, token), notifier)
        self.auth.audit_password(account, RESET_REQUESTED, now)
        return SENT

    def _new_token(self, account: Account, now: datetime) -> str:
        """A fresh token for the account; its earlier link (emailed or given) stops
        working, so at most one is ever open."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with self._lock:
            self._pending = {d: p for d, p in self._pending.items()
                             if p.account_id != account.id and p.expires_at > now}
            self._pending[token_digest(token)] = _Pending(account.id, now + VALID_FOR)
        return token

    def _link(self, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/reset?token={token}"

    def give_link(self, account: Account) -> GivenLink:
        """A link for `account` that is not emailed: the clinic's admin copies it to the
        person (a clinic without a mail server, or an email that does not arrive). The
        same link as the emailed one: once, for `VALID_FOR`, replacing any earlier one,
        and using it ends every session. Who may ask, and the account log, are the
        caller's (app.services.account_admin)."""
        now = self.clock()
        token = self._new_token(account, now)
        return GivenLink(self._link(token), now + VALID_FOR)

    def email_link(self, account: Account) -> bool:
        """Email `account` a link at the clinic admin's request (the same email and link as
        `request` sends; no cooldown: the admin is signed in and the log names them).
        False, and no link made, when the clinic has no mail server."""
        notifier = self.mail.server()
        if notifier is None:
            return False
        token = self._new_token(account, self.clock())
        return self.mail.send_later(self._email(account, token), notifier)

    def _email(self, account: Account, token: str) -> ReminderEmail:
        clinic = self.clinic_name()
        link = self._link(token)
        body = (
            f"Hello,\n\nSomeone asked to set a new password for your BackTrack account at "
            f"{clinic}. To choose a new password, open this link within one hour:\n"
            f"{link}\n\nThe link works once. If you did not ask for this, you can ignore "
            f"this email: your password stays as it is.\n"
        )
        return ReminderEmail(account.email, f"Set a new BackTrack password ({clinic})", body,
                             link, "", f"<reset.{secrets.token_hex(8)}@accounts.backtrack>")

    def _held(self, token: str) -> _Pending:
        with self._lock:
            held = self._pending.get(token_digest(token))
        if held is None or held.expires_at <= self.clock():
            raise LinkUnusable()
        found = self.accounts.accounts.get(held.account_id)
        if found is None or not found.value.active:  # deactivated since the link was made
            raise LinkUnusable()
        return held

    def check(self, token: str) -> None:
        """LinkUnusable unless `token` can still set a password (the screen asks first,
        so a dead link gets its message before anyone types a password)."""
        self._held(token)

    def reset(self, token: str, new_password: str) -> Account:
        """Set the new password: InvalidInput ("password") if the policy refuses it, and
        the link stays usable; LinkUnusable if the link is dead. Ends every session."""
        held = self._held(token)
        account = self.accounts.get(held.account_id)
        check_new_password(new_password, (account.email, account.name))
        with self._lock:
            if self._pending.pop(token_digest(token), None) is None:
                raise LinkUnusable()  # used by a second tab meanwhile
        changed = self.accounts.replace_password(account.id, new_password)
        self.auth.end_sessions(account.id, why=Ended.PASSWORD_CHANGED)
        self.auth.audit_password(changed, PASSWORD_RESET, self.clock())
        if self.account_audit is not None:
            self.account_audit.record(changed.id, AccountAction.PASSWORD_RESET, changed.id)
        return changed
