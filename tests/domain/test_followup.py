"""When Today follows up an "Is this normal?" answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import InvalidInput
from app.domain.followup import FOLLOW_UP_WINDOW, needs_follow_up, new_follow_up

AT = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(("level", "later", "answered", "asked"), [
    ("emergency", timedelta(hours=1), False, True),
    ("call_clinic", timedelta(hours=30), False, True),
    ("emergency", FOLLOW_UP_WINDOW, False, True),
    ("emergency", FOLLOW_UP_WINDOW + timedelta(minutes=1), False, False),
    ("emergency", timedelta(hours=1), True, False),
    ("self_care", timedelta(hours=1), False, False),
])
def test_urgent_answers_are_followed_up_for_72_hours_until_answered(
        level: str, later: timedelta, answered: bool, asked: bool) -> None:
    assert needs_follow_up(level, AT, AT + later, answered) is asked


def test_a_follow_up_needs_both_answers() -> None:
    with pytest.raises(InvalidInput) as refused:
        new_follow_up(id="f", patient_id="p", assessment_id="a", recorded_at=AT,
                      got_help=None, feeling="sideways")
    assert set(refused.value.problems) == {"got_help", "feeling"}
