"""A caseload list view in the patient's "who looked" list (issue 15): one line a day per
clinician, saying what it was and how often; a single read has no count."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from app.domain.sharing import AuditEvent
from app.services.access import LIST_VIEW
from app.services.caseload import LOGGING_READ
from app.ui.screens.sharing import audit_line

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LISTED = AuditEvent("e1", "patient", "clinician", "therapist", LIST_VIEW, AT, count=3)


def test_a_list_view_says_what_it_was_and_how_often() -> None:
    assert audit_line(LISTED, "Taylor Reed") == (
        "Taylor Reed (therapist) saw you in their list of patients (3 times that day)")
    assert audit_line(replace(LISTED, count=1), "Taylor Reed") == (
        "Taylor Reed (therapist) saw you in their list of patients")


def test_a_narrow_grants_list_line_is_the_adherence_read_counted() -> None:
    line = audit_line(replace(LISTED, action=LOGGING_READ, actor_role="care_team"),
                      "Jordan Patel")
    assert line == ("Jordan Patel (care team) looked at whether you logged and answered "
                    "reminders (3 times that day)")
