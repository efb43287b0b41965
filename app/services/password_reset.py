"""Forgot my password: a one-time link by email, valid for an hour (issue 14).

A person signed out types their email address; if the clinic has a mail server and an
active account uses the address, the account's owner gets an email with a link to
/reset?token=.... Opening it, they choose a new password (the policy in
app.domain.passwords); that uses the link up and ends every session of the account, so
whoever knew the old password is signed out too.

What it is careful about:
- The answer is the same words whether an account uses the address or not, and the email
  goes out on a thread of its own, so the answer's timing does not tell either.
- Only the SHA-256 of a token is kept (as app.services.calendar_feed does), where the
  sessions are (AuthService.shared: in memory for one process, so a restart makes open
  links unusable, which costs the person one more request; in the database when several
  app servers share it, so a link works on any of them). A new request replaces the
  account's earlier link.
- One email per address per `COOLDOWN`: the form can't be used to flood someone's inbox
  (further requests get the same answer and send nothing); and `PER_CLIENT` requests per
  client address per `COOLDOWN`, like the sign-in pause's per-address limit; counted
  across app servers like the sessions.
- The email says nothing about health: the clinic's name, the link, how long it works.
- Each request that sends, and each reset, is in the account's audit log (a patient's is
  on their record).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from app.domain.account_audit import AccountAction
from app.domain.accounts import Account, normalise_email
from app.domain.passwords import check_new_password
from app.domain.tokens import token_digest, valid_for_words
from app.services.account_audit import AccountAudit
from app.services.account_mail import AccountMail, Dispatch, in_background
from app.services.accounts import AuthService, Ended
from app.services.base import Clock, system_clock
from app.services.notifier import Notifier, ReminderEmail
from app.store.shared_state import Ticket

TOKEN_BYTES: Final = 32
VALID_FOR: Final = timedelta(hours=1)
COOLDOWN: Final = timedelta(minutes=5)
# Requests from one client address (the browser's IP) per COOLDOWN, whatever the emails:
# one place can't walk a list of addresses. A clinic's shared network stays well under.
PER_CLIENT: Final = 10
RESET_REQUESTED: Final = "password:reset-requested"  # audit actions
PASSWORD_RESET: Final = "password:reset"
SENT: Final = ("If an account uses this address, we sent a link to it. The link works once, "
               f"for {valid_for_words(VALID_FOR)}. No email? Check the spam folder, or ask "
               "the clinic.")
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


_LINK: Final = "password-reset"  # the shared tickets: one per account, by token digest


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
        self.shared = auth.shared  # links and request counts, where the sessions are
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
        if client_address and self.shared.count_event(
                _counter("client", client_address), now, COOLDOWN) >= PER_CLIENT:
            return SENT
        if self.shared.count_event(_counter("address", address), now, COOLDOWN,
                                   unless_at=1):
            return SENT  # one email per address per cooldown
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
        self.shared.put_ticket(_LINK, token_digest(token), Ticket(account.id, {}, now + VALID_FOR),
                               now=now, one_per_holder=True)
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
            f"{clinic}. To choose a new password, open this link within "
            f"{valid_for_words(VALID_FOR)}:\n"
            f"{link}\n\nThe link works once. If you did not ask for this, you can ignore "
            f"this email: your password stays as it is.\n"
        )
        return ReminderEmail(account.email, f"Set a new BackTrack password ({clinic})", body,
                             link, "", f"<reset.{secrets.token_hex(8)}@accounts.backtrack>")

    def _held(self, token: str) -> Ticket:
        held = self.shared.peek_ticket(_LINK, token_digest(token), self.clock())
        if held is None:
            raise LinkUnusable()
        found = self.accounts.accounts.get(held.holder)
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
        account = self.accounts.get(held.holder)
        check_new_password(new_password, (account.email, account.name))
        if self.shared.take_ticket(_LINK, token_digest(token), self.clock()) is None:
            raise LinkUnusable()  # used by a second tab (on any app server) meanwhile
        changed = self.accounts.replace_password(account.id, new_password)
        self.auth.end_sessions(account.id, why=Ended.PASSWORD_CHANGED)
        self.auth.audit_password(changed, PASSWORD_RESET, self.clock())
        if self.account_audit is not None:
            self.account_audit.record(changed.id, AccountAction.PASSWORD_RESET, changed.id)
        return changed


def _counter(*parts: str) -> str:
    """The shared key requests are counted under: a digest, so neither an email nor an
    address is stored with it."""
    return "password-reset:" + token_digest(json.dumps(parts))
