"""Two-step sign-in (issue 14): the rules, without I/O.

Who must use it: therapists, the care team and admins see many patients' records, so when
the clinic requires it (on for a new clinic) they cannot sign in with a password alone.
Patients may turn it on for themselves and off again.

The second step is a time-based one-time code (RFC 6238: 6 digits, 30 s steps) from any
authenticator app, or one of 10 recovery codes shown once when it is turned on. Recovery
codes are stored as digests only and each works once; a code from the app is accepted in
the step before, the current one or the next (clock drift between phone and server), and
never twice: the last step used is remembered, so a code seen over a shoulder is useless.

What is stored per account (`TwoStep`) is the secret the app shares with the server; it
never leaves the store (not exported, never logged, never shown after enrolment).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from app.domain.accounts import STAFF_ROLES, Role
from app.domain.tokens import token_digest

CODE_DIGITS: Final = 6
STEP_SECONDS: Final = 30  # RFC 6238's default; every authenticator app uses it
# Steps either side of now that are accepted: a phone's clock a little off still works.
VALID_WINDOW: Final = 1
RECOVERY_CODES: Final = 10
# Crockford-like alphabet without look-alikes (no 0/O, 1/I/L): read off paper, typed in.
_RECOVERY_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_RECOVERY_LENGTH: Final = 10  # 10 of 31 symbols: about 50 bits, beyond guessing
# A right password opens a "second step" for this long, once. Long enough to open the
# authenticator app; short enough that a forgotten half-done sign-in soon means nothing.
CODE_TICKET_LIFETIME: Final = timedelta(minutes=5)
# Enrolment takes longer (install an app, scan, type a code, save ten recovery codes).
ENROLMENT_TICKET_LIFETIME: Final = timedelta(minutes=15)



def required_for(role: Role, clinic_requires_staff: bool) -> bool:
    """Whether an account of `role` may not sign in with its password alone."""
    return clinic_requires_staff and role in STAFF_ROLES


def may_turn_off(role: Role, clinic_requires_staff: bool) -> bool:
    """Staff can't switch off what the clinic requires; patients always may (it is theirs
    to choose). Staff in a clinic that does not require it may too."""
    return not required_for(role, clinic_requires_staff)


@dataclass(frozen=True)
class TwoStep:
    """One account's two-step sign-in. `id` is the account's id. `secret` is "" while it
    is off; `pending_secret` holds a secret shown for enrolment until a first code
    confirms it."""

    id: str
    secret: str = ""
    pending_secret: str = ""
    turned_on_at: datetime | None = None
    last_step: int = 0  # the last time step a code was accepted for (never again)
    recovery_digests: tuple[str, ...] = field(default=())

    @property
    def on(self) -> bool:
        return bool(self.secret)


def new_recovery_codes() -> list[str]:
    """Ten fresh codes, shown as XXXXX-XXXXX."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_recovery_code(typed: str) -> str:
    """What counts in a typed recovery code: its letters and digits, upper case (dashes,
    spaces and case as the person likes)."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def recovery_digest(code: str) -> str:
    """The digest (app.domain.tokens) of the normalised code; the codes themselves are
    never stored."""
    return token_digest(normalise_recovery_code(code))


def matching_recovery_digest(typed: str, digests: tuple[str, ...]) -> str | None:
    """The stored digest this typed code matches, compared in constant time."""
    wanted = recovery_digest(typed)
    found = None
    for digest in digests:
        if hmac.compare_digest(wanted, digest):
            found = digest
    return found


def normalise_code(typed: str) -> str:
    """A typed app code without spaces ("123 456" as some apps show it)."""
    return "".join(typed.split())


def looks_like_app_code(typed: str) -> bool:
    code = normalise_code(typed)
    return len(code) == CODE_DIGITS and code.isascii() and code.isdigit()
