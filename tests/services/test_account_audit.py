"""The clinic's account log: events read back newest first, as written; the admin's
review of it (names for ids, clinicians' record openings, filters, CSV)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.account_audit import AccountAction
from app.domain.accounts import Account, Role
from app.domain.audit_log import (
    AN_INVITATION,
    CSV_HEADER,
    NO_ACCOUNT,
    RECORD_OPENED,
    THE_CLINIC,
    LogFilter,
    LogRow,
    Person,
)
from app.domain.errors import NotAllowed
from app.main import Services
from app.services.account_audit import AccountAudit
from app.services.audit_log import DELETED_PATIENT
from app.store.memory import MemoryStore
from tests.conftest import START, FakeClock

PASSWORD = "backtrack-test-pw"


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


# -- the admin's review (app.services.audit_log) ------------------------------------------

def _clinic(services: Services, clock: FakeClock) -> tuple[Account, Account, Account]:
    """Sam (admin) deactivates Taylor on day 1, gives Alex a link on day 2; Taylor, shared
    with by Alex, opened her progress on day 1 before that."""
    make = services.accounts.create
    alex = make("alex@example.com", "Alex Morgan", PASSWORD, Role.PATIENT)
    taylor = make("taylor@example.com", "=Taylor Brooks", PASSWORD, Role.THERAPIST)
    sam = make("sam@example.com", "Sam Admin", PASSWORD, Role.ADMIN)
    services.access.grant(alex, taylor)
    services.progress.summary(taylor, alex.id)  # an audited read
    clock.advance(hours=1)
    services.screens.account_admin.deactivate(sam, taylor.id)
    clock.advance(days=1)
    services.screens.account_admin.give_reset_link(sam, alex.id)
    return alex, taylor, sam


def test_the_log_names_people_and_lists_newest_first(services: Services,
                                                     clock: FakeClock) -> None:
    *_, sam = _clinic(services, clock)
    rows = services.screens.audit_log.rows(sam)
    assert [(r.what_label, r.who.name, r.whom.name) for r in rows] == [
        ("Password reset link given", "Sam Admin", "Alex Morgan"),
        ("Deactivated", "Sam Admin", "=Taylor Brooks"),
        ("Opened a patient's record", "=Taylor Brooks", "Alex Morgan"),
    ]
    assert rows[2].whom.email == "alex@example.com" and rows[2].detail == "progress"
    assert rows[1].detail == "therapist" and rows[1].detail_shown == "Therapist"


def test_the_log_filters_by_who_what_whom_and_days(services: Services,
                                                   clock: FakeClock) -> None:
    *_, sam = _clinic(services, clock)
    review = services.screens.audit_log

    def whats(**wanted: object) -> list[str]:
        return [r.what for r in review.rows(sam, LogFilter(**wanted))]  # type: ignore[arg-type]

    assert whats(who="taylor") == [RECORD_OPENED]
    assert whats(who="sam@example") == [AccountAction.RESET_LINK_GIVEN,
                                        AccountAction.DEACTIVATED]
    assert whats(whom="alex") == [AccountAction.RESET_LINK_GIVEN, RECORD_OPENED]
    assert whats(what=AccountAction.DEACTIVATED.value) == [AccountAction.DEACTIVATED]
    day1 = START.date()
    assert whats(since=day1, until=day1) == [AccountAction.DEACTIVATED, RECORD_OPENED]
    assert whats(since=day1 + timedelta(days=1)) == [AccountAction.RESET_LINK_GIVEN]
    assert whats(until=day1 - timedelta(days=1)) == []


def test_the_log_is_the_admins_only(services: Services, clock: FakeClock) -> None:
    alex, taylor, _ = _clinic(services, clock)
    for someone in (alex, services.accounts.get(taylor.id)):
        with pytest.raises(NotAllowed):
            services.screens.audit_log.rows(someone)
        with pytest.raises(NotAllowed):
            services.screens.audit_log.csv(someone)


def test_the_csv_has_the_rows_and_neutralises_formulas(services: Services,
                                                       clock: FakeClock) -> None:
    _, _, sam = _clinic(services, clock)
    data = services.screens.audit_log.csv(sam)
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_HEADER)
    assert rows[2][1:5] == ["Sam Admin", "sam@example.com", "Deactivated",
                            "'=Taylor Brooks"]
    assert rows[3][1] == "'=Taylor Brooks" and rows[3][3] == "Opened a patient's record"
    assert len(rows) == 4


def test_a_deleted_patient_and_a_gone_account_are_named_as_such(services: Services,
                                                                clock: FakeClock) -> None:
    alex, _, sam = _clinic(services, clock)
    services.screens.erasure.delete_my_account(alex, "DELETE")
    rows = services.screens.audit_log.rows(sam)
    opened = [r for r in rows if r.what == RECORD_OPENED]
    assert [r.whom.name for r in opened] == [DELETED_PATIENT]
    assert {r.whom.name for r in rows if r.what == AccountAction.RESET_LINK_GIVEN} == {
        NO_ACCOUNT}


def test_a_role_change_reads_in_words() -> None:
    row = LogRow(START, AccountAction.ROLE_CHANGED.value, Person("a", "Sam"),
                 Person("b", "Taylor"), "therapist → care_team")
    assert row.detail_shown == "Therapist to Care team"
    assert row.csv_cells()[-1] == "Therapist to Care team"


def test_an_invitation_and_a_clinic_setting_are_named_and_found_by_email(
        services: Services, clock: FakeClock) -> None:
    *_, sam = _clinic(services, clock)
    clock.advance(minutes=1)
    services.screens.invitations.invite_staff(sam, "kim@example.com", Role.CARE_TEAM)
    clock.advance(minutes=1)
    services.clinic.set_staff_two_step(sam, False)
    rows = services.screens.audit_log.rows(sam)
    assert [(r.what_label, r.whom.name, r.detail_shown) for r in rows[:2]] == [
        ("Clinic setting changed", THE_CLINIC, "staff two-step sign-in: optional"),
        ("Invited", AN_INVITATION, "kim@example.com · Care team")]
    found = services.screens.audit_log.rows(sam, LogFilter(whom="kim@example"))
    assert [r.what for r in found] == [AccountAction.INVITED]


def test_a_list_view_reads_as_seen_in_a_list_with_the_days_count(
        services: Services, clock: FakeClock) -> None:
    make = services.accounts.create
    alex = make("alex@example.com", "Alex Morgan", PASSWORD, Role.PATIENT)
    taylor = make("taylor@example.com", "Taylor Brooks", PASSWORD, Role.THERAPIST)
    sam = make("sam@example.com", "Sam Admin", PASSWORD, Role.ADMIN)
    services.access.grant(alex, taylor)
    services.caseload.for_clinician(taylor)
    clock.advance(minutes=61)  # the day's count is written at most hourly
    services.caseload.for_clinician(taylor)
    [row] = services.screens.audit_log.rows(sam)
    assert (row.what_label, row.who.name, row.whom.name, row.detail) == (
        "Saw a patient in their list", "Taylor Brooks", "Alex Morgan", "2 times that day")
