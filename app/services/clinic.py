"""Clinic settings: the name and the numbers shown on "call the clinic" and "emergency"."""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.domain import kinds, policy
from app.domain.accounts import Account
from app.domain.policy import Operation, Relation
from app.domain.validation import Problems
from app.services.base import Collection
from app.store.interfaces import RecordStore

CLINIC = kinds.CLINIC_SETTINGS
_ID = "clinic"


@dataclass(frozen=True)
class ClinicSettings:
    id: str = _ID
    name: str = "Your clinic"
    phone: str = ""
    emergency_number: str = "911"


class ClinicService:
    def __init__(self, store: RecordStore) -> None:
        self.settings = Collection(store, CLINIC, ClinicSettings)

    def current(self) -> ClinicSettings:
        found = self.settings.get(_ID)
        return found.value if found else ClinicSettings()

    def update(self, actor: Account, *, name: str, phone: str,
               emergency_number: str) -> ClinicSettings:
        policy.require(actor.role, Operation.MANAGE_CLINIC, Relation.NONE)
        p = Problems()
        clean = replace(
            self.current(),
            name=p.name("name", name, 80, "the clinic's name"),
            phone=p.phone("phone", phone, "the clinic's phone number"),
            emergency_number=p.phone("emergency_number", emergency_number,
                                     "the emergency number", short_code=True),
        )
        p.raise_if_any()
        found = self.settings.get(_ID)
        if found is None:
            self.settings.add(clean, owner=None)
        else:
            self.settings.correct(clean, None, found.version)
        return clean
