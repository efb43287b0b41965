"""The clinic's account log: events read back newest first, as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.domain.account_audit import AccountAction
from app.services.account_audit import AccountAudit
from app.store.memory import MemoryStore


def test_events_read_back_newest_first_with_what_was_written() -> None:
    times = iter([datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(minutes=m)
                  for m in range(3)])
    audit = AccountAudit(MemoryStore(), clock=lambda: next(times))
    audit.record("admin-1", AccountAction.INVITED, "inv-1", "sam@example.com")
    audit.record("admin-1", AccountAction.ROLE_CHANGED, "acc-2", "therapist → care_team")
    audit.record("", AccountAction.FIRST_ADMIN_CREATED, "admin-1")
    events = audit.all()
    assert [e.action for e in events] == [AccountAction.FIRST_ADMIN_CREATED,
                                          AccountAction.ROLE_CHANGED, AccountAction.INVITED]
    assert events[2].detail == "sam@example.com" and events[2].actor_id == "admin-1"
    assert all(a.label for a in AccountAction)
