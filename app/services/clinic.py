"""Clinic settings: the name and the numbers shown on "call the clinic" and "emergency",
and when the app's own reminders go out (soreness check-ins after a needling session, the
nudge after days without a check-in). The scheduler reads these at each run, so an
admin's change applies from the next run without a restart.

Whether staff must use two-step sign-in (issue 14) is here too: on for a new clinic, and for
a clinic whose settings were saved before the setting existed (clinicians see many
patients' records; a password alone is not enough for that). The demo clinic turns it off
so its accounts sign in with the password alone. A change is in the account log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app.domain import kinds, policy
from app.domain.account_audit import AccountAction
from app.domain.accounts import Account
from app.domain.policy import Operation, Relation
from app.domain.reminder_plan import NUDGE_AFTER_DAYS, check_nudge_days, check_soreness_hours
from app.domain.reminders import FOLLOW_UP_HOURS
from app.domain.validation import Problems
from app.services.account_audit import AccountAudit
from app.services.base import Clock, Collection, system_clock
from app.store.interfaces import RecordStore

CLINIC = kinds.CLINIC_SETTINGS
_ID = "clinic"


@dataclass(frozen=True)
class ClinicSettings:
    id: str = _ID
    name: str = "Your clinic"
    phone: str = ""
    emergency_number: str = "911"
    # Settings saved before these existed read as the defaults (the codec leaves a
    # missing field at its default).
    soreness_check_hours: tuple[int, ...] = FOLLOW_UP_HOURS
    nudge_after_days: int = NUDGE_AFTER_DAYS
    # Therapists, care team and admins sign in with a code from an app too.
    staff_two_step: bool = True


def check_details(p: Problems, name: str, phone: str, emergency_number: str) -> dict[str, str]:
    """The clinic's name and numbers, clean, by the rules every save of them applies
    (problems go to `p` under "name", "phone", "emergency_number")."""
    return {"name": p.name("name", name, 80, "the clinic's name"),
            "phone": p.phone("phone", phone, "the clinic's phone number"),
            "emergency_number": p.phone("emergency_number", emergency_number,
                                        "the emergency number", short_code=True)}


class ClinicService:
    def __init__(self, store: RecordStore, clock: Clock = system_clock) -> None:
        self.settings = Collection(store, CLINIC, ClinicSettings)
        self.audit = AccountAudit(store, clock)  # setting changes go in the account log

    def current(self) -> ClinicSettings:
        found = self.settings.get(_ID)
        return found.value if found else ClinicSettings()

    def update(self, actor: Account, *, name: str, phone: str, emergency_number: str,
               soreness_check_hours: str | Sequence[int] | None = None,
               nudge_after_days: str | int | None = None) -> ClinicSettings:
        """Save the settings at once or not at all (InvalidInput names each field with a
        problem). The reminder settings may come as typed ("24, 48", "3") or as numbers,
        checked by the same rules; None keeps what is set."""
        policy.require(actor.role, Operation.MANAGE_CLINIC, Relation.NONE)
        p = Problems()
        current = self.current()
        details = check_details(p, name, phone, emergency_number)
        clean = replace(
            current, name=details["name"], phone=details["phone"],
            emergency_number=details["emergency_number"],
            soreness_check_hours=current.soreness_check_hours
            if soreness_check_hours is None
            else check_soreness_hours(p, "soreness_check_hours", soreness_check_hours),
            nudge_after_days=current.nudge_after_days if nudge_after_days is None
            else check_nudge_days(p, "nudge_after_days", nudge_after_days),
        )
        p.raise_if_any()
        self._save(clean)
        return clean

    def set_staff_two_step(self, actor: Account, required: bool) -> ClinicSettings:
        """Whether therapists, the care team and admins must use two-step sign-in. Staff
        without it set up are taken through setting it up at their next step."""
        policy.require(actor.role, Operation.MANAGE_CLINIC, Relation.NONE)
        current = self.current()
        if current.staff_two_step == required:
            return current
        changed = replace(current, staff_two_step=required)
        self._save(changed)
        self.audit.record(actor.id, AccountAction.CLINIC_SETTING_CHANGED, "clinic",
                          f"staff two-step sign-in: {'required' if required else 'optional'}")
        return changed

    def _save(self, settings: ClinicSettings) -> None:
        found = self.settings.get(_ID)
        if found is None:
            self.settings.add(settings, owner=None)
        else:
            self.settings.correct(settings, None, found.version)
