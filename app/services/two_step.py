"""Two-step sign-in for one account (issue 14): enrolment, codes, recovery codes, turning it
off and the admin's reset for a lost phone. The rules are app.domain.two_step; the sign-in
flow that asks for the code is AuthService's (app.services.accounts).

The shared secret is stored in the account's `two_step` record and nowhere else: it is
shown once, as a QR image and as text, while the person enrols, and never logged or
exported. Every change is written to the clinic's account log (AccountAudit): turned on,
turned off, reset by an admin, a recovery code used.
"""

from __future__ import annotations

import hmac
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

import pyotp
import segno
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain import kinds, policy
from app.domain import two_step as rules
from app.domain.account_audit import AccountAction
from app.domain.accounts import STAFF_ROLES, Account, Role
from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.domain.policy import Operation, Relation
from app.domain.two_step import TwoStep
from app.services.account_audit import AccountAudit
from app.services.accounts import AccountService
from app.services.base import Clock, Collection, system_clock
from app.services.clinic import ClinicService
from app.store.interfaces import RecordStore, VersionConflict
from app.store.shared_state import MemorySharedState, SharedState

WRONG_CODE: Final = "That code didn't work. Type the 6 digits your app shows now."
WRONG_PASSWORD: Final = "That is not your current password."
REQUIRED_BY_CLINIC: Final = ("Your clinic requires two-step sign-in for staff, so it "
                             "can't be turned off.")
ALREADY_ON: Final = "Two-step sign-in is already on."
NOT_STARTED: Final = "Start setting up two-step sign-in first."
TOO_MANY: Final = "Too many wrong tries. For your safety this is paused; try again later."
# Wrong codes or passwords typed while signed in (turning off, new recovery codes): like
# the sign-in pause, a borrowed unlocked phone can't guess its way through.
_MAX_TRIES: Final = 5
_PAUSE: Final = timedelta(minutes=15)
# Codes checked on several app servers at once: each check saves the record expecting the
# version it read; on a conflict it reads again (the code may have just been used).
_SAVE_TRIES: Final = 5


@dataclass(frozen=True)
class Enrolment:
    """What the person needs to add the account to an authenticator app: the QR image of
    `uri`, and the secret as text for typing it in instead."""

    secret: str
    uri: str
    qr_png: bytes

    @property
    def secret_grouped(self) -> str:
        """The secret in groups of four, easier to type from a screen."""
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


@dataclass(frozen=True)
class Status:
    on: bool
    required: bool  # the clinic requires it for this account's role
    may_turn_off: bool
    recovery_codes_left: int


class TwoStepService:
    def __init__(self, store: RecordStore, accounts: AccountService, clinic: ClinicService,
                 audit: AccountAudit, end_sessions: Callable[[str], object],
                 clock: Clock = system_clock, shared: SharedState | None = None) -> None:
        """`shared`: where wrong tries are counted, so a pause holds on every app server
        (the sessions' shared state; a memory one of its own when not given)."""
        self.records = Collection(store, kinds.TWO_STEP, TwoStep)
        self.accounts = accounts
        self.clinic = clinic
        self.audit = audit
        self.end_sessions = end_sessions  # AuthService.end_sessions: a reset ends them
        self.clock = clock
        # Serialises this process's read-modify-writes of a record; across servers the
        # saves' expected versions do (a VersionConflict, not a lost update).
        self._lock = threading.RLock()
        self.shared: SharedState = shared if shared is not None else MemorySharedState()

    # -- reading -------------------------------------------------------------------

    def _record(self, account_id: str) -> tuple[TwoStep, int]:
        found = self.records.get(account_id)
        return (found.value, found.version) if found else (TwoStep(account_id), 0)

    def is_on(self, account_id: str) -> bool:
        return self._record(account_id)[0].on

    def required(self, account: Account) -> bool:
        return rules.required_for(account.role, self.clinic.current().staff_two_step)

    def must_enrol(self, account: Account) -> bool:
        """Required for this account and not set up yet: no session until it is. (Asked
        at every step of every session: a patient's answer needs no store read.)"""
        return account.role in STAFF_ROLES and self.required(account) \
            and not self.is_on(account.id)

    def status(self, account: Account) -> Status:
        record, _ = self._record(account.id)
        requires = self.clinic.current().staff_two_step
        return Status(on=record.on, required=rules.required_for(account.role, requires),
                      may_turn_off=rules.may_turn_off(account.role, requires),
                      recovery_codes_left=len(record.recovery_digests))

    # -- enrolment -----------------------------------------------------------------

    def start_enrolment(self, account: Account) -> Enrolment:
        """A secret to add to an authenticator app: a new one, or the one shown before
        and not yet confirmed (a redrawn screen shows the QR the person may have scanned
        already). Nothing changes for signing in until a first code from the app
        confirms it (confirm_enrolment)."""
        with self._lock:
            record, version = self._record(account.id)
            if record.on:
                raise InvalidInput.one("code", ALREADY_ON)
            secret = record.pending_secret
            if not secret:
                secret = pyotp.random_base32()
                self._save(replace(record, pending_secret=secret), account, version)
        return self.enrolment(account, secret)

    def enrolment(self, account: Account, secret: str) -> Enrolment:
        issuer = f"BackTrack ({self.clinic.current().name})".replace(":", " ")
        uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=issuer)
        image = io.BytesIO()
        segno.make(uri, error="m").save(image, kind="png", scale=6, border=2)
        return Enrolment(secret, uri, image.getvalue())

    def confirm_enrolment(self, account: Account, code: str) -> list[str]:
        """Turn two-step on with the first code from the app; the 10 recovery codes, to be
        shown once (only their digests are kept). InvalidInput on "code" otherwise."""
        self._check_paused(account.id)
        with self._lock:
            record, version = self._record(account.id)
            if record.on:
                raise InvalidInput.one("code", ALREADY_ON)
            if not record.pending_secret:
                raise InvalidInput.one("code", NOT_STARTED)
            step = _matching_step(record.pending_secret, code, 0, self.clock())
            if step is None:
                self._wrong(account.id)
                raise InvalidInput.one("code", WRONG_CODE)
            codes = rules.new_recovery_codes()
            self._save(TwoStep(account.id, secret=record.pending_secret,
                               turned_on_at=self.clock(), last_step=step,
                               recovery_digests=tuple(rules.recovery_digest(c)
                                                      for c in codes)),
                       account, version)
        self.audit.record(account.id, AccountAction.TWO_STEP_ON, account.id,
                          account.role.value)
        return codes

    # -- codes -----------------------------------------------------------------------

    def check_code(self, account: Account, typed: str) -> bool:
        """Whether `typed` is a code from the app not used before, or an unused recovery
        code (which is then used up, and the use recorded). For the sign-in's second step;
        counting wrong tries is the caller's."""
        if rules.looks_like_app_code(typed):
            return self._check_app_code(account, typed)
        return self._use_recovery_code(account, typed)

    def _check_app_code(self, account: Account, typed: str) -> bool:
        with self._lock:
            for _ in range(_SAVE_TRIES):
                record, version = self._record(account.id)
                if not record.on:
                    return False
                step = _matching_step(record.secret, typed, record.last_step, self.clock())
                if step is None:
                    return False
                # Remembered before answering: the same code (or an older one) never again.
                try:
                    self._save(replace(record, last_step=step), account, version)
                except VersionConflict:
                    continue  # a code used on another app server meanwhile: read again
                return True
        return False

    def _use_recovery_code(self, account: Account, typed: str) -> bool:
        with self._lock:
            for _ in range(_SAVE_TRIES):
                record, version = self._record(account.id)
                digest = rules.matching_recovery_digest(typed, record.recovery_digests)
                if not record.on or digest is None:
                    return False
                left = tuple(d for d in record.recovery_digests if d != digest)
                try:
                    self._save(replace(record, recovery_digests=left), account, version)
                except VersionConflict:
                    continue  # used on another app server meanwhile: read again
                break
            else:
                return False
        self.audit.record(account.id, AccountAction.RECOVERY_CODE_USED, account.id,
                          f"{len(left)} left")
        return True

    def new_recovery_codes(self, account: Account, code: str) -> list[str]:
        """Ten new recovery codes for a code from the app (the old ones stop working)."""
        self._check_paused(account.id)
        if not self.is_on(account.id):
            raise InvalidInput.one("code", NOT_STARTED)
        if not self._check_app_code(account, code):
            self._wrong(account.id)
            raise InvalidInput.one("code", WRONG_CODE)
        codes = rules.new_recovery_codes()
        with self._lock:
            record, version = self._record(account.id)
            self._save(replace(record, recovery_digests=tuple(
                rules.recovery_digest(c) for c in codes)), account, version)
        return codes

    # -- off ---------------------------------------------------------------------------

    def turn_off(self, account: Account, password: str, code: str) -> None:
        """The person turns it off with their password and a code (from the app or a
        recovery code). Staff can't while the clinic requires it (NotAllowed)."""
        if not rules.may_turn_off(account.role, self.clinic.current().staff_two_step):
            raise NotAllowed(REQUIRED_BY_CLINIC)
        self._check_paused(account.id)
        current = self.accounts.get(account.id)
        if not _password_matches(self.accounts, current.password_hash, password):
            self._wrong(account.id)
            raise InvalidInput.one("password", WRONG_PASSWORD)
        if not self.check_code(current, code):
            self._wrong(account.id)
            raise InvalidInput.one("code", WRONG_CODE)
        self._clear(current)
        self.audit.record(account.id, AccountAction.TWO_STEP_OFF, account.id,
                          account.role.value)

    def reset(self, admin: Account | None, account_id: str) -> None:
        """For a lost phone: an admin clears the account's two-step sign-in. Its sessions
        end (the phone may be in someone else's hands); staff set it up again at their
        next sign-in when the clinic requires it. `admin` None is the server's operator
        (`python -m app reset-two-step`: the clinic's only admin lost their phone)."""
        if admin is not None:
            policy.require(admin.role, Operation.RESET_TWO_STEP, Relation.NONE)
        person = self.accounts.get(account_id)
        self._clear(person)
        self.end_sessions(person.id)
        self.audit.record(admin.id if admin is not None else "",
                          AccountAction.TWO_STEP_RESET, person.id, person.role.value)

    def reset_by_operator(self, email: str) -> Account:
        """The server's operator resets by email (the command line); NotFound names it."""
        account = self.accounts.by_email(email)
        if account is None:
            raise NotFound(f"No account with the email {email}.")
        self.reset(None, account.id)
        return account

    def _clear(self, account: Account) -> None:
        with self._lock:
            record, version = self._record(account.id)
            if version:
                self._save(TwoStep(account.id, last_step=record.last_step), account, version)

    # -- plumbing ----------------------------------------------------------------------

    def _save(self, record: TwoStep, account: Account, version: int) -> None:
        # A patient's record is theirs: deleting their account purges it with the rest.
        owner = account.id if account.role is Role.PATIENT else None
        if version:
            self.records.correct(record, owner, version)
        else:
            self.records.add(record, owner)

    def _check_paused(self, account_id: str) -> None:
        if self.shared.paused_until(_tries_key(account_id), self.clock()) is not None:
            raise InvalidInput.one("code", TOO_MANY)

    def _wrong(self, account_id: str) -> None:
        self.shared.strike(_tries_key(account_id), limit=_MAX_TRIES, pause=_PAUSE,
                           now=self.clock())


def _tries_key(account_id: str) -> str:
    return f"two-step-tries:{account_id}"


def _matching_step(secret: str, typed: str, after_step: int, now: datetime) -> int | None:
    """The time step (now, or one either side) whose code `typed` is, if later than
    `after_step`; None otherwise."""
    code = rules.normalise_code(typed)
    if not rules.looks_like_app_code(code):
        return None
    totp = pyotp.TOTP(secret, digits=rules.CODE_DIGITS, interval=rules.STEP_SECONDS)
    current = totp.timecode(now)
    found = None
    for step in range(current - rules.VALID_WINDOW, current + rules.VALID_WINDOW + 1):
        if step > after_step and hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _password_matches(accounts: AccountService, stored_hash: str, password: str) -> bool:
    try:
        return accounts.hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
