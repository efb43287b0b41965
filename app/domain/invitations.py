"""Invitations: how a person gets an account at the clinic (issue 14). There is no open
self-registration; an admin invites staff, a therapist (or an admin) invites a patient.

An invitation carries a one-time code. The code is what opens it, so only its SHA-256 is
kept (`code_digest`), never the code: a copy of the data folder opens no invitation. The
code is printed on an appointment card and typed on a phone, so it is 12 characters of
Crockford's base32 (60 bits; no I, L, O or U to misread), shown in three groups
("K7QM-4XPD-9RTA") and read back whatever the case, spaces or dashes, with the letters
people confuse with digits (I, L → 1; O → 0) taken as those digits.

Rules: an invitation works once, until `expires_at` (72 h after it was sent or sent
again), and not after it was withdrawn. Pure: no I/O, no clock of its own.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from app.domain.accounts import Role
from app.domain.tokens import token_digest

VALID_FOR: Final = timedelta(hours=72)
ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
GROUPS: Final = 3
GROUP_CHARS: Final = 4
CODE_CHARS: Final = GROUPS * GROUP_CHARS  # 12 × 5 bits = 60 bits
_SEPARATORS: Final = re.compile(r"[\s\-‐‑–—_.]+")
_LOOK_ALIKES: Final = str.maketrans({"I": "1", "L": "1", "O": "0"})


class InvitationState(StrEnum):
    PENDING = "pending"  # sent, not used yet (it may have expired: see `usable`)
    ACCEPTED = "accepted"
    REVOKED = "revoked"  # withdrawn by the inviter or an admin


@dataclass(frozen=True)
class Invitation:
    id: str
    code_digest: str  # SHA-256 of the code's compact form; never the code itself
    email: str  # normalised (app.domain.accounts.normalise_email)
    role: Role  # the account it makes
    invited_by: str  # the inviter's account id (a patient shares with them on joining)
    created_at: datetime  # when this code was sent (sending again resets it)
    expires_at: datetime
    state: InvitationState = InvitationState.PENDING
    account_id: str = ""  # the account it made, once accepted

    def usable(self, now: datetime) -> bool:
        """Whether its code may still make an account."""
        return self.state is InvitationState.PENDING and now < self.expires_at

    def expired(self, now: datetime) -> bool:
        return self.state is InvitationState.PENDING and now >= self.expires_at


def new_code() -> str:
    """A fresh code in its shown form ("K7QM-4XPD-9RTA"), from the system's CSPRNG."""
    return format_code("".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS)))


def format_code(compact: str) -> str:
    return "-".join(compact[i:i + GROUP_CHARS] for i in range(0, CODE_CHARS, GROUP_CHARS))


def compact_code(typed: str) -> str:
    """What was typed without separators, upper case, look-alike letters as digits
    ("k7qm 4xpd 9rta" → "K7QM4XPD9RTA"). Anything else stays as typed, and matches no
    invitation."""
    return _SEPARATORS.sub("", typed).upper().translate(_LOOK_ALIKES)


def code_digest(typed: str) -> str:
    """How a code is stored and looked up: the SHA-256 (hex) of its compact form, so
    every way of typing the same code finds the same invitation."""
    return token_digest(compact_code(typed))


def expiry(sent_at: datetime) -> datetime:
    return sent_at + VALID_FOR
