"""Accounts, roles and who may see whose data.

A patient's data is visible to the patient and to clinicians the patient granted access;
admins manage accounts but do not read health data. No I/O, no password hashing here
(that is a service concern); this module only states the rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from app.domain.guidance.report import RISK_FACTOR_KEYS
from app.domain.scales import NAME_MAX_CHARS
from app.domain.validation import Problems

PASSWORD_MIN_CHARS = 10
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# The longest address mail can carry (RFC 5321: a 256-octet path less its "<" and ">").
EMAIL_MAX_CHARS = 254


class Role(StrEnum):
    PATIENT = "patient"
    THERAPIST = "therapist"
    CARE_TEAM = "care_team"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"patient": "Patient", "therapist": "Therapist", "care_team": "Care team",
                "admin": "Clinic admin"}[self.value]

    @property
    def is_clinician(self) -> bool:
        return self in (Role.THERAPIST, Role.CARE_TEAM)


# Everyone but patients: who may be invited as staff, whose role may change among these,
# and who must use two-step sign-in when the clinic requires it. In the order screens list them.
STAFF_ROLES: Final = (Role.THERAPIST, Role.CARE_TEAM, Role.ADMIN)


class Scope(StrEnum):
    """How much of a patient's record a grant opens to the clinician holding it (what each
    opens is app.domain.policy.SCOPES). The patient chooses it per person on Sharing."""

    FULL = "full"  # everything: the therapist's default
    # Whether they logged and answered reminders, and scheduling reminders: not pain
    # scores, notes or "Is this normal?" answers. The care team's default.
    REMINDERS_AND_LOGGING = "reminders_and_logging"

    @property
    def label(self) -> str:
        return {"full": "Everything",
                "reminders_and_logging": "Reminders and logging only"}[self.value]

    @staticmethod
    def default_for(role: Role) -> Scope:
        """What a new grant opens until the patient chooses otherwise: a therapist reviews
        the whole chart, the care team only sends reminders."""
        return Scope.REMINDERS_AND_LOGGING if role is Role.CARE_TEAM else Scope.FULL


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    name: str
    role: Role
    password_hash: str
    created_at: datetime
    timezone: str = "UTC"
    active: bool = True
    # A patient's answers to "Does any of this apply to you?" on the guidance checklist
    # (keys of app.domain.guidance.RISK_FACTOR_KEYS), remembered so they are pre-filled
    # next time. Accounts saved before this field existed read back with none.
    risk_factors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Grant:
    """A patient's permission for one clinician to see their data, as far as `scope` says.
    Changing the scope is a new version of the same grant (the history shows when)."""

    id: str
    patient_id: str
    clinician_id: str
    granted_at: datetime
    revoked: bool = False
    # Grants stored before scopes existed read back as FULL: that is what they opened.
    scope: Scope = Scope.FULL


def normalise_email(raw: str) -> str:
    return raw.strip().casefold()


def is_valid_email(address: str) -> bool:
    """The one email rule (sign-up here, imported accounts in app.services.import_checks):
    something@domain.tld without spaces, at most EMAIL_MAX_CHARS. Judges `address` as
    given: normalise it first (normalise_email) where a person typed it."""
    return len(address) <= EMAIL_MAX_CHARS and _EMAIL.fullmatch(address) is not None


def check_new_account(email: str, name: str, password: str) -> tuple[str, str]:
    """Validate sign-up fields; returns the clean (email, name)."""
    p = Problems()
    clean_email = normalise_email(email)
    if not is_valid_email(clean_email):
        p.add("email", "Enter an email address like name@example.com.")
    clean_name = p.name("name", name, NAME_MAX_CHARS, "a name")
    _check_password(p, password)
    p.raise_if_any()
    return clean_email, clean_name


def check_password(password: str) -> None:
    """A new password is long enough (raises InvalidInput)."""
    p = Problems()
    _check_password(p, password)
    p.raise_if_any()


def _check_password(p: Problems, password: str) -> None:
    if len(password) < PASSWORD_MIN_CHARS:
        p.add("password", f"Use at least {PASSWORD_MIN_CHARS} characters for the password.")


def check_risk_factors(factors: Iterable[str]) -> tuple[str, ...]:
    """The risk factors to remember, in the checklist's order; unknown keys are refused."""
    chosen = set(factors)
    unknown = sorted(chosen - set(RISK_FACTOR_KEYS))
    if unknown:
        p = Problems()
        p.add("risk_factors", f"Unknown risk factors: {', '.join(unknown)}.")
        p.raise_if_any()
    return tuple(key for key in RISK_FACTOR_KEYS if key in chosen)


def may_read_patient(actor: Account, patient_id: str, granted_ids: set[str]) -> bool:
    """The patient themself, or a clinician the patient granted access."""
    if actor.id == patient_id:
        return True
    return actor.role.is_clinician and actor.id in granted_ids
