"""Accounts, sign-in and sessions.

Passwords are hashed with Argon2id (argon2-cffi). A signed-in session ends after a period
of inactivity. Nothing here logs an email or a password.

Failed sign-ins pause guessing without handing an attacker a way to lock a patient out
(issue 9: five wrong passwords from anywhere used to lock the account for 15 minutes):
- `max_failures` wrong passwords for one account *from one client address* pause that
  account for that address only; the patient signing in from their own phone is not
  affected. Each pause is written to the patient's audit log.
- `max_failures * ADDRESS_FACTOR` failures from one address, whatever the accounts, pause
  that address: guessing across many accounts slows the guesser, not the clinic.
- Each guess costs an Argon2id verification (tens of ms by design) on top.

Two-step sign-in (issue 14, app.services.two_step): for an account with it on, or staff
whose clinic requires it, the right password gives no session yet but a `SecondStep`: a
short-lived, single-use ticket for the code step (or, for staff who have not set it up,
for enrolment). Wrong codes count like wrong passwords. A session of an account that must
set it up first (the clinic turned the requirement on meanwhile, or the person joined by
invitation) opens nothing until it is done: `resume` refuses it and `enrolment_due`
exchanges it for an enrolment ticket.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain import kinds, policy
from app.domain.account_admin import SIGN_IN_TURNED_OFF
from app.domain.accounts import (
    Account,
    Role,
    check_new_account,
    check_password,
    normalise_email,
)
from app.domain.errors import InvalidInput, NotFound
from app.domain.passwords import check_new_password
from app.domain.policy import Operation, Relation
from app.domain.scales import NAME_MAX_CHARS
from app.domain.sharing import AuditEvent
from app.domain.tokens import token_digest
from app.domain.two_step import CODE_TICKET_LIFETIME, ENROLMENT_TICKET_LIFETIME
from app.domain.validation import Problems, check_timezone
from app.services.base import Clock, Collection, new_id, system_clock
from app.store.interfaces import RecordStore
from app.store.shared_state import MemorySharedState, SharedState, Ticket, Unsubscribe

if TYPE_CHECKING:
    from app.services.two_step import Enrolment, TwoStepService

ACCOUNT = kinds.ACCOUNT
ADDRESS_FACTOR: Final = 4  # an address may fail this many times max_failures in all
# The audit log app.services.access keeps (its AUDIT; it imports this module, so the
# kind is named here too — tests read a pause back through AccessService.audit_trail).
AUDIT_KIND: Final = "audit"
SIGN_IN_PAUSED: Final = "sign-in:paused"  # the audit action for a pause
PASSWORD_CHANGED: Final = "password:changed"  # the audit action for a change by the person
WRONG_CURRENT: Final = "That is not your current password."
WRONG_CODE: Final = "That code didn't work. Type the 6 digits your app shows now."
TICKET_ENDED: Final = "That took too long. For your safety, sign in again."
BUSY_EMAIL: Final = "This email is being given an account right now. Try again in a moment."
# A claim while a check and its write happen (AccountService.exclusive): held for
# milliseconds; a server that dies holding it frees it after _CLAIM_TTL.
_CLAIM_TTL: Final = timedelta(seconds=30)
_CLAIM_WAIT_SECONDS: Final = 10.0
_CLAIM_POLL_SECONDS: Final = 0.02


class Ended(StrEnum):
    """Why a session ended, for the tab that finds it gone (the screens say it in words)."""

    SIGNED_OUT = "signed_out"  # in another tab of this browser, or by the person elsewhere
    INACTIVITY = "inactivity"
    PASSWORD_CHANGED = "password_changed"  # changed or reset: every other session ends
    TURNED_OFF = "turned_off"  # the clinic deactivated the account
    DELETED = "deleted"  # the patient deleted their account
    TWO_STEP_RESET = "two_step_reset"  # the admin reset the person's two-step sign-in


# The broadcast a sign-out sends to every tab of that session, on every app server.
SIGNED_OUT_CHANNEL: Final = "backtrack_signed_out"
_SECOND_STEP: Final = "second-step"  # the shared tickets of two-step sign-in


class SignInFailed(Exception):
    """Wrong email or password, or the account is locked for a while. Safe to show."""


class SecondStepNeeded(SignInFailed):
    """The password was right, but this account signs in with a code too: `sign_in` (the
    password alone) can't open a session for it; `password_step` gives the ticket."""

    def __init__(self, step: SecondStep) -> None:
        super().__init__("Enter the code from your authenticator app.")
        self.step = step


@dataclass(frozen=True)
class SecondStep:
    """A right password for an account with two-step sign-in: `ticket` opens the code
    step (or, `enrol` True, setting it up) once, for a few minutes. No session yet."""

    ticket: str
    account: Account
    enrol: bool


@dataclass(frozen=True)
class SignedIn:
    token: str
    account: Account


class AccountService:
    def __init__(self, store: RecordStore, hasher: PasswordHasher,
                 clock: Clock = system_clock, *, shared: SharedState | None = None) -> None:
        """`shared`: the state app servers share, where an email being given an account
        is claimed so two servers can't both make it (None: this process's lock only,
        enough for one process)."""
        self.accounts = Collection(store, ACCOUNT, Account)
        self.hasher = hasher
        self.clock = clock
        self.shared = shared
        self._create_lock = threading.Lock()

    def create(self, email: str, name: str, password: str, role: Role,
               timezone: str = "UTC", *, actor: Account | None = None) -> Account:
        """A new account. `actor` None is the operator's command line or the demo seed;
        a signed-in actor must be allowed to create accounts (app.domain.policy)."""
        if actor is not None:
            policy.require(actor.role, Operation.CREATE_ACCOUNT, Relation.NONE)
        clean_email, clean_name = check_new_account(email, name, password)
        check_new_password(password, (email, name))
        p = Problems()
        timezone = check_timezone(p, timezone)
        p.raise_if_any()
        claim = f"account-email:{token_digest(clean_email)}"
        with self._create_lock, self.exclusive(claim, InvalidInput.one("email", BUSY_EMAIL)):
            if self.by_email(clean_email) is not None:
                raise InvalidInput.one("email", "An account with this email already exists.")
            account = Account(
                id=new_id(), email=clean_email, name=clean_name, role=role,
                password_hash=self.hasher.hash(password), created_at=self.clock(),
                timezone=timezone,
            )
            self.accounts.add(account, owner=account.id if role is Role.PATIENT else None)
        return account

    @contextlib.contextmanager
    def exclusive(self, name: str, busy: Exception) -> Iterator[None]:
        """Hold `name` on every app server (a shared lease) while a check and the write
        it allows happen, e.g. an email given an account, or the last-admin rule's count
        and the change it allows. Another server waits a moment (such work takes
        milliseconds); `busy` is raised if it takes far longer (a server died holding
        it). Without shared state, the caller's process lock is enough."""
        if self.shared is None:
            yield
            return
        holder = secrets.token_hex(8)
        waited = 0.0
        while not self.shared.try_lease(name, holder, _CLAIM_TTL, self.clock()):
            if waited >= _CLAIM_WAIT_SECONDS:
                raise busy
            time.sleep(_CLAIM_POLL_SECONDS)
            waited += _CLAIM_POLL_SECONDS
        try:
            yield
        finally:
            self.shared.release_lease(name, holder)

    def by_email(self, email: str) -> Account | None:
        found = self.accounts.find(email=normalise_email(email))
        return found[0].value if found else None

    def get(self, account_id: str) -> Account:
        found = self.accounts.get(account_id)
        if found is None:
            raise NotFound("No such account.")
        return found.value

    def with_role(self, role: Role) -> list[Account]:
        return [v.value for v in self.accounts.find(role=role.value)]

    def set_password(self, email: str, password: str) -> Account:
        """A new password for an account (the operator's command line; an imported
        account arrives without one)."""
        check_password(password)
        found = self.accounts.find(email=normalise_email(email))
        if not found:
            raise NotFound(f"No account with the email {email}.")
        return self.replace_password(found[0].value.id, password)

    def replace_password(self, account_id: str, password: str) -> Account:
        """Store a newly chosen password (InvalidInput, with the reason, if the policy in
        app.domain.passwords refuses it). Callers check who may do this; sessions are
        AuthService's."""
        current = self.accounts.get(account_id)
        if current is None:
            raise NotFound("No such account.")
        check_new_password(password, (current.value.email, current.value.name))
        changed = replace(current.value, password_hash=self.hasher.hash(password))
        owner = changed.id if changed.role is Role.PATIENT else None
        return self.accounts.correct(changed, owner, current.version).value

    def update_profile(self, account: Account, *, name: str | None = None,
                       timezone: str | None = None) -> Account:
        current = self.accounts.get(account.id)
        if current is None:
            raise NotFound("No such account.")
        p = Problems()
        clean_name = current.value.name if name is None else p.name(
            "name", name, NAME_MAX_CHARS, "your name")
        zone = check_timezone(p, timezone or current.value.timezone)
        p.raise_if_any()
        changed = replace(current.value, name=clean_name, timezone=zone)
        owner = changed.id if changed.role is Role.PATIENT else None
        return self.accounts.correct(changed, owner, current.version).value


class AuthService:
    """Sign-in, sessions and their ends. What must hold across app servers (sessions, why
    one ended, failures towards a pause, two-step tickets, the sign-out broadcast) is in
    `shared` (app.store.shared_state): in memory for one process, in the database when
    several share it; only digests of tokens are kept there."""

    def __init__(self, accounts: AccountService, *, max_failures: int,
                 lockout: timedelta, idle_timeout: timedelta,
                 shared: SharedState | None = None) -> None:
        self.accounts = accounts
        self.max_failures = max_failures
        self.lockout = lockout
        self.idle_timeout = idle_timeout
        self.shared: SharedState = shared if shared is not None else MemorySharedState()
        self._audit = Collection(accounts.accounts.store, AUDIT_KIND, AuditEvent)
        self.two_step: TwoStepService | None = None  # use_two_step; None: passwords only
        # Verify against a dummy hash for unknown emails so timing does not reveal accounts.
        self._dummy_hash = accounts.hasher.hash(secrets.token_hex(8))

    def use_two_step(self, two_step: TwoStepService) -> None:
        """Sign-in asks for a second step where app.services.two_step says so (the
        composition root wires it; it needs this service's end_sessions itself)."""
        self.two_step = two_step

    def sign_in(self, email: str, password: str, client_address: str = "") -> SignedIn:
        """The password alone: the account and a new session token, or SignInFailed
        (SecondStepNeeded when the account signs in with a code too)."""
        step = self.password_step(email, password, client_address)
        if isinstance(step, SecondStep):
            raise SecondStepNeeded(step)
        return step

    def password_step(self, email: str, password: str,
                      client_address: str = "") -> SignedIn | SecondStep:
        """Check the password: a session (SignedIn), or, for an account with two-step
        sign-in, the ticket for its second step; SignInFailed otherwise. `client_address`
        is where the attempt comes from (the browser's IP address; "" for none known)."""
        key = normalise_email(email)
        pair, address = _pair_key(client_address, key), _address_key(client_address)
        now = self.accounts.clock()
        self._refuse_if_paused((pair, address), now)
        account = self.accounts.by_email(key)
        stored_hash = account.password_hash if account is not None else self._dummy_hash
        right = self._verify(stored_hash, password) and account is not None
        if right and account is not None and not account.active:
            raise SignInFailed(SIGN_IN_TURNED_OFF)  # deactivated (app.domain.account_admin)
        if not right or account is None:
            if self._record_failure(pair, self.max_failures, now) and account is not None:
                self._audit_pause(account, now)
            self._record_failure(address, self.max_failures * ADDRESS_FACTOR, now)
            raise SignInFailed("That email and password don't match. Please try again.")
        self.shared.clear_strikes(pair)
        if self.two_step is not None:
            if self.two_step.must_enrol(account):
                return self._ticket(account, enrol=True, now=now)
            if self.two_step.is_on(account.id):
                return self._ticket(account, enrol=False, now=now)
        return SignedIn(self._open_session(account.id, now), account)

    def _refuse_if_paused(self, keys: tuple[str, ...], now: datetime) -> None:
        paused = [until for k in keys if (until := self.shared.paused_until(k, now))]
        if paused:
            minutes = max(1, round((max(paused) - now).total_seconds() / 60))
            raise SignInFailed(
                f"Too many attempts from here. For your safety sign-in is paused; try "
                f"again in {minutes} minute{'s' if minutes != 1 else ''}."
            )

    def _open_session(self, account_id: str, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        self.shared.open_session(token_digest(token), account_id, now,
                                 idle=self.idle_timeout)
        return token

    # -- the second step (two-step sign-in) --------------------------------------------

    def _ticket(self, account: Account, *, enrol: bool, now: datetime) -> SecondStep:
        lifetime = ENROLMENT_TICKET_LIFETIME if enrol else CODE_TICKET_LIFETIME
        ticket = secrets.token_urlsafe(32)
        # Expired tickets go as new ones come: forgotten half-done sign-ins don't pile up.
        self.shared.put_ticket(_SECOND_STEP, token_digest(ticket),
                               Ticket(account.id, {"enrol": enrol}, now + lifetime), now=now)
        return SecondStep(ticket, account, enrol)

    def _held(self, ticket: str, *, enrol: bool) -> tuple[Account, TwoStepService]:
        now = self.accounts.clock()
        held = self.shared.peek_ticket(_SECOND_STEP, token_digest(ticket), now)
        if held is None or held.payload.get("enrol") is not enrol or self.two_step is None:
            raise SignInFailed(TICKET_ENDED)
        account = self.accounts.get(held.holder)
        if not account.active:
            raise SignInFailed(TICKET_ENDED)
        return account, self.two_step

    def _use_ticket(self, ticket: str) -> bool:
        """Single use: True for the one caller that takes it (on any app server)."""
        taken = self.shared.take_ticket(_SECOND_STEP, token_digest(ticket),
                                        self.accounts.clock())
        return taken is not None

    def code_step(self, ticket: str, code: str, client_address: str = "") -> SignedIn:
        """The second step: a code from the authenticator app (or a recovery code) for
        the ticket a right password gave. A session, once; SignInFailed otherwise. Wrong
        codes count like wrong passwords (the same pause, from here and for this
        account)."""
        account, two_step = self._held(ticket, enrol=False)
        now = self.accounts.clock()
        pair = _pair_key(client_address, account.email)
        address = _address_key(client_address)
        self._refuse_if_paused((pair, address), now)
        if not two_step.check_code(account, code):
            if self._record_failure(pair, self.max_failures, now):
                self._audit_pause(account, now)
            self._record_failure(address, self.max_failures * ADDRESS_FACTOR, now)
            raise SignInFailed(WRONG_CODE)
        if not self._use_ticket(ticket):
            raise SignInFailed(TICKET_ENDED)
        self.shared.clear_strikes(pair)
        return SignedIn(self._open_session(account.id, now), account)

    def enrolment(self, ticket: str) -> Enrolment:
        """Start setting up two-step sign-in for an enrolment ticket: the secret, its QR
        image and text (the same one until a first code confirms it)."""
        account, two_step = self._held(ticket, enrol=True)
        return two_step.start_enrolment(account)

    def enrol_step(self, ticket: str, code: str,
                   client_address: str = "") -> tuple[SignedIn, list[str]]:
        """Finish setting up with the first code from the app: a session and the 10
        recovery codes to show once. InvalidInput on "code" for a wrong code (counted
        like a wrong password); SignInFailed when the ticket has ended."""
        account, two_step = self._held(ticket, enrol=True)
        now = self.accounts.clock()
        pair, address = _pair_key(client_address, account.email), _address_key(client_address)
        self._refuse_if_paused((pair, address), now)
        try:
            codes = two_step.confirm_enrolment(account, code)
        except InvalidInput:
            if self._record_failure(pair, self.max_failures, now):
                self._audit_pause(account, now)
            self._record_failure(address, self.max_failures * ADDRESS_FACTOR, now)
            raise
        self._use_ticket(ticket)
        return SignedIn(self._open_session(account.id, now), account), codes

    def enrolment_due(self, token: str) -> SecondStep | None:
        """For a session whose account must set up two-step sign-in before anything else
        (e.g. the clinic began to require it while they were signed in, or they just
        joined): the session ends and an enrolment ticket takes its place. None for any
        other session."""
        if self.two_step is None:
            return None
        account = self._session(token, refresh=False, gate=False)
        if account is None or not self.two_step.must_enrol(account):
            return None
        self.shared.end_session(token_digest(token))  # this tab goes on to enrol: no broadcast
        return self._ticket(account, enrol=True, now=self.accounts.clock())

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self.accounts.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _audit_pause(self, account: Account, now: datetime) -> None:
        """The patient sees on their record that sign-in to it was paused somewhere."""
        if account.role is Role.PATIENT:
            self._audit.add(AuditEvent(new_id(), account.id, account.id,
                                       "sign-in protection", SIGN_IN_PAUSED, now),
                            owner=account.id)

    def _record_failure(self, key: str, limit: int, now: datetime) -> bool:
        """Count a failure under `key` (on every app server); True when it starts a
        pause."""
        return self.shared.strike(key, limit=limit, pause=self.lockout, now=now)

    def resume(self, token: str) -> Account | None:
        """The account behind a session token, if it is still active; refreshes it."""
        return self._session(token, refresh=True)

    def is_active(self, token: str) -> bool:
        """Whether a session token is still signed in, without counting as activity (for
        things the browser fetches on its own, such as chart pages)."""
        return self._session(token, refresh=False) is not None

    def holds(self, session_digest: str, account_id: str) -> bool:
        """Whether the session whose token has this digest is still signed in, as
        `account_id`, without counting as activity: what a chart page registered by
        that session checks on whichever app server serves it."""
        account = self._session_by_key(session_digest, refresh=False, gate=True)
        return account is not None and account.id == account_id

    def _session(self, token: str, *, refresh: bool, gate: bool = True) -> Account | None:
        return self._session_by_key(token_digest(token), refresh=refresh, gate=gate)

    def _session_by_key(self, key: str, *, refresh: bool, gate: bool) -> Account | None:
        """The session's account; None when it ended, and (`gate`) when the account must
        set up two-step sign-in first: such a session opens nothing but enrolment."""
        account_id = self.shared.session(key, self.accounts.clock(), idle=self.idle_timeout,
                                         refresh=refresh, idle_reason=Ended.INACTIVITY.value)
        if account_id is None:
            return None
        account = self.accounts.get(account_id)
        if not account.active:
            self.end_sessions(account.id, why=Ended.TURNED_OFF)
            return None
        if gate and self.two_step is not None and self.two_step.must_enrol(account):
            return None
        return account

    def sign_out(self, token: str) -> None:
        """End this session, and tell every tab that holds it, on any app server
        (`watch_sign_outs`)."""
        key = token_digest(token)
        self.shared.end_session(key)
        self.shared.publish(SIGNED_OUT_CHANNEL, key)

    def watch_sign_outs(self, on_signed_out: Callable[[str], None]) -> Unsubscribe:
        """Call `on_signed_out(digest of the token)` whenever a session is signed out here
        or on another app server (possibly on another thread); until the returned
        function is called."""
        return self.shared.subscribe(SIGNED_OUT_CHANNEL, on_signed_out)

    def end_sessions(self, account_id: str, keep: str | None = None,
                     why: Ended = Ended.SIGNED_OUT) -> int:
        """End every session of an account but `keep` (the one making a change); how
        many ended. A tab of an ended session shows the sign-in screen at its next step,
        saying `why` (ended_because)."""
        ended = self.shared.end_sessions(
            account_id, keep=token_digest(keep) if keep is not None else None,
            reason=why.value, now=self.accounts.clock())
        return len(ended)

    def ended_because(self, token: str) -> Ended | None:
        """Why this session ended (once: the reason is forgotten when read); None when
        unknown, e.g. after a restart with the sessions in memory."""
        reason = self.shared.ended_reason(token_digest(token))
        try:
            return Ended(reason) if reason is not None else None
        except ValueError:  # written by a newer server: say the general words
            return None

    def change_password(self, token: str, current: str, new: str) -> Account:
        """The signed-in person changes their own password: the current one is required
        (a borrowed unlocked phone is not enough), the new one must pass the policy. Every
        other session of the account ends; this one stays. Wrong current passwords count
        like wrong sign-ins, so this is no way around the sign-in pause.

        InvalidInput on "current" or "new" (safe to show); PermissionError when the
        session has ended."""
        account = self.resume(token)
        if account is None:
            raise PermissionError("signed out")
        key = _strike_key("change", account.id)
        now = self.accounts.clock()
        if self.shared.paused_until(key, now) is not None:
            raise InvalidInput.one("current", "Too many wrong tries. For your safety this "
                                              "is paused; try again later.")
        if not self._verify(account.password_hash, current):
            self._record_failure(key, self.max_failures, now)
            raise InvalidInput.one("current", WRONG_CURRENT)
        self.shared.clear_strikes(key)
        try:
            changed = self.accounts.replace_password(account.id, new)
        except InvalidInput as refused:
            raise InvalidInput.one("new", next(iter(refused.problems.values()))) from None
        self.end_sessions(account.id, keep=token, why=Ended.PASSWORD_CHANGED)
        self.audit_password(changed, PASSWORD_CHANGED, now)
        return changed

    def audit_password(self, account: Account, action: str, now: datetime) -> None:
        """A password change in the account's audit log (a patient's is on their record,
        which they and those they share with can review); never the password."""
        owner = account.id if account.role is Role.PATIENT else None
        self._audit.add(AuditEvent(new_id(), account.id, account.id, account.role.value,
                                   action, now), owner=owner)


def _strike_key(*parts: str) -> str:
    """The shared key failures are counted under: a digest, so neither an email nor an
    address is stored with it."""
    return "sign-in:" + token_digest(json.dumps(parts))


def _pair_key(client_address: str, email: str) -> str:
    return _strike_key("pair", client_address, email)


def _address_key(client_address: str) -> str:
    return _strike_key("address", client_address)
