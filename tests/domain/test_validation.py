"""The shared field checks keep their promise for values no form would send."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.errors import InvalidInput
from app.domain.validation import Problems, check_timezone

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("value", [10 ** 400, -(10 ** 400), 10 ** 20])
def test_a_score_far_out_of_range_is_a_problem_not_a_crash(value: int) -> None:
    p = Problems()
    assert p.score("pain_now", value, 0, 10, "pain now") == 0
    with pytest.raises(InvalidInput, match="pain_now: Pain now must be from 0 to 10"):
        p.raise_if_any()


def test_times_and_days_before_1900_are_problems() -> None:
    """Year 1 cannot be shown in a zone west of UTC: every screen showing it crashed."""
    p = Problems()
    p.when("recorded_at", datetime(1, 1, 1, tzinfo=UTC), NOW)
    p.day("achieved_on", date(1899, 12, 31), NOW.date())
    assert p.has("recorded_at") and p.has("achieved_on")
    p = Problems()
    p.when("recorded_at", datetime(1900, 1, 1, tzinfo=UTC), NOW)
    assert not p.has("recorded_at")


@pytest.mark.parametrize("name", ["a" * 300, "Europe/" + "x" * 5000, "\x00", "../etc/passwd"])
def test_a_time_zone_name_no_zone_has_is_a_problem_not_a_crash(name: str) -> None:
    """A 300-character name made the zone lookup raise OSError (file name too long)."""
    p = Problems()
    check_timezone(p, name)
    assert p.has("timezone")


def test_a_real_time_zone_is_fine() -> None:
    p = Problems()
    check_timezone(p, "America/Argentina/ComodRivadavia")
    assert not p.has("timezone")
