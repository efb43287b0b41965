"""The admin reviews the clinic's Audit log (issue 14): account changes from the account
log (app.services.account_audit) and clinicians' openings of patients' records from each
patient's read trail (AccessService.audit), as rows with names and emails in place of
ids, filtered (app.domain.audit_log.LogFilter), newest first, and as a CSV file.

Only an admin may read it (Operation.READ_ACCOUNT_LOG). A row holds who, what, whom,
when and at most a role, an email or which part of a record was opened - no health data.
CSV cells that a spreadsheet would run as a formula are neutralised as the patient's
own CSV export does (app.services.spreadsheet.safe).
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from app.domain import policy
from app.domain.account_audit import AccountAction, AccountEvent
from app.domain.accounts import Account
from app.domain.audit_log import (
    AN_INVITATION,
    CSV_HEADER,
    INVITATION_ACTIONS,
    NO_ACCOUNT,
    OPERATOR,
    RECORD_LISTED,
    THE_CLINIC,
    LogFilter,
    LogRow,
    Person,
    record_action,
)
from app.domain.policy import Operation, Relation
from app.domain.zones import zone_of
from app.services.access import AccessService
from app.services.account_audit import AccountAudit
from app.services.accounts import AccountService
from app.services.erasure import TOMBSTONE_PREFIX
from app.services.spreadsheet import safe

DELETED_PATIENT: Final = "A deleted patient"
CSV_FILE_NAME: Final = "backtrack-audit-log.csv"


class AuditLogReview:
    def __init__(self, audit: AccountAudit, access: AccessService,
                 accounts: AccountService) -> None:
        self.audit = audit
        self.access = access
        self.accounts = accounts

    def rows(self, admin: Account, wanted: LogFilter | None = None) -> list[LogRow]:
        """The log's rows matching `wanted`, newest first."""
        policy.require(admin.role, Operation.READ_ACCOUNT_LOG, Relation.NONE)
        wanted = wanted or LogFilter()
        since, until = _bounds(wanted, admin.timezone)
        people = {v.value.id: v.value for v in self.accounts.accounts.find()}
        named: dict[str, Person] = {}  # the same few people recur in thousands of rows

        def person(account_id: str) -> Person:
            known = named.get(account_id)
            if known is None:
                known = named[account_id] = _person(account_id, people.get(account_id))
            return known

        def whom(event: AccountEvent) -> Person:
            if event.subject not in people and event.action in INVITATION_ACTIONS:
                return Person(event.subject, AN_INVITATION)
            if event.action is AccountAction.CLINIC_SETTING_CHANGED:
                return Person(event.subject, THE_CLINIC)
            return person(event.subject)

        rows = [LogRow(e.at, e.action.value, person(e.actor_id), whom(e), e.detail)
                for e in self.audit.all()]
        for event in (v.value for v in self.access.audit.find()):
            what = record_action(event.action, event.actor_id, event.patient_id)
            if what is not None:
                part = event.action.partition(":")[2] if what != RECORD_LISTED else \
                    f"{event.count} time{'s' if event.count != 1 else ''} that day"
                rows.append(LogRow(event.at, what, person(event.actor_id),
                                   person(event.patient_id), part))
        chosen = [r for r in rows if (since is None or r.at >= since)
                  and (until is None or r.at < until) and wanted.matches_people(r)]
        return sorted(chosen, key=lambda r: r.at, reverse=True)

    def csv(self, admin: Account, wanted: LogFilter | None = None) -> bytes:
        """The rows as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read
        accented names right), times in UTC."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        for row in self.rows(admin, wanted):
            writer.writerow([safe(cell) for cell in row.csv_cells()])
        return ("\ufeff" + out.getvalue()).encode("utf-8")


def _person(account_id: str, account: Account | None) -> Person:
    if not account_id:
        return Person("", OPERATOR)
    if account_id.startswith(TOMBSTONE_PREFIX):
        return Person(account_id, DELETED_PATIENT)
    if account is None:
        return Person(account_id, NO_ACCOUNT)
    return Person(account_id, account.name, account.email)


def _bounds(wanted: LogFilter, timezone: str) -> tuple[datetime | None, datetime | None]:
    """The filter's days as moments: from the start of `since` to the end of `until`,
    on the admin's own calendar."""
    zone = zone_of(timezone) or UTC

    def start(day: date) -> datetime:
        return datetime.combine(day, time(0), zone).astimezone(UTC)

    since = start(wanted.since) if wanted.since else None
    until = start(wanted.until + timedelta(days=1)) if wanted.until else None
    return since, until
