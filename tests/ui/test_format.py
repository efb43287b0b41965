"""Durations in words, as the screens say them."""

from __future__ import annotations

from datetime import timedelta

from app.domain.invitations import VALID_FOR as INVITATION_VALID_FOR
from app.services.password_reset import VALID_FOR as RESET_VALID_FOR
from app.ui import format as fmt


def test_hours_in_words() -> None:
    assert fmt.hours(RESET_VALID_FOR) == "1 hour"
    assert fmt.hours(INVITATION_VALID_FOR) == "72 hours"
    assert fmt.hours(timedelta(hours=2, minutes=59)) == "2 hours"
