"""Writes the clinic's account log (app.domain.account_audit). Every service that changes
an account, an invitation, two-step sign-in or a clinic setting records here; the admin
reviews and exports it on the Audit log screen."""

from __future__ import annotations

from app.domain import kinds
from app.domain.account_audit import AccountAction, AccountEvent
from app.services.base import Clock, Collection, new_id, system_clock
from app.store.interfaces import RecordStore


class AccountAudit:
    def __init__(self, store: RecordStore, clock: Clock = system_clock) -> None:
        self.events = Collection(store, kinds.ACCOUNT_EVENT, AccountEvent)
        self.clock = clock

    def record(self, actor_id: str, action: AccountAction, subject: str,
               detail: str = "") -> AccountEvent:
        event = AccountEvent(new_id(), actor_id, action, subject, self.clock(), detail)
        self.events.add(event, owner=None)  # the clinic's, not a patient's
        return event

    def all(self) -> list[AccountEvent]:
        """Every event, newest first (of two at the same moment, the later saved)."""
        saved = [v.value for v in self.events.find()]  # in save order
        return sorted(reversed(saved), key=lambda e: e.at, reverse=True)
