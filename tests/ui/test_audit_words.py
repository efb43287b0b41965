"""The patient's "who looked" list speaks in words, never in raw audit keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.policy import Operation
from app.services.access import AuditEvent
from app.services.accounts import SIGN_IN_PAUSED
from app.ui.screens.sharing import audit_line

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(action: str, role: str = "therapist") -> AuditEvent:
    return AuditEvent("e1", "patient", "clinician", role, action, AT)


@pytest.mark.parametrize("operation", [op for op in Operation if op.is_read])
def test_every_audited_read_reads_as_words(operation: Operation) -> None:
    line = audit_line(_event(operation.value), "Taylor Reed")
    assert line.startswith("Taylor Reed (therapist) ")
    assert operation.value not in line


@pytest.mark.parametrize("action", ["export:csv", "export:json", "export:report",
                                    "read:history", "something:new"])
def test_named_and_unknown_actions_never_show_the_key(action: str) -> None:
    assert action not in audit_line(_event(action), "Taylor Reed")


def test_a_sign_in_pause_is_said_whole_without_a_reader() -> None:
    line = audit_line(_event(SIGN_IN_PAUSED, role="sign-in protection"), "Alex Morgan")
    assert "Alex Morgan" not in line and SIGN_IN_PAUSED not in line
    assert "paused" in line
