"""The rules for the clinic's automatic-reminder settings, in the domain where every way
in (the admin's card, a Python caller, an import) reaches them: the soreness check hours
and the days before a nudge, typed or as numbers, each refusal in words."""

from __future__ import annotations

import pytest

from app.domain.errors import InvalidInput
from app.domain.reminder_plan import (
    NUDGE_AFTER_DAYS,
    check_nudge_days,
    check_soreness_hours,
)
from app.domain.reminders import FOLLOW_UP_HOURS
from app.domain.validation import Problems


def refusal(problems: Problems) -> str | None:
    try:
        problems.raise_if_any()
    except InvalidInput as refused:
        return refused.problems["field"]
    return None


def hours(value: object) -> tuple[tuple[int, ...], str | None]:
    p = Problems()
    clean = check_soreness_hours(p, "field", value)  # type: ignore[arg-type]
    return clean, refusal(p)


def days(value: object) -> tuple[int, str | None]:
    p = Problems()
    clean = check_nudge_days(p, "field", value)  # type: ignore[arg-type]
    return clean, refusal(p)


@pytest.mark.parametrize(("typed", "clean"), [
    ("24, 48", (24, 48)), ("24,48", (24, 48)), (" 24  48 ", (24, 48)), ("12; 36", (12, 36)),
    ("1", (1,)), ("168", (168,)), ("1, 2, 3, 4", (1, 2, 3, 4)), ((6, 24), (6, 24)),
    ([24, 48], (24, 48)),
])
def test_hours_accepted(typed: object, clean: tuple[int, ...]) -> None:
    assert hours(typed) == (clean, None)


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter at least one time, like 24, 48."),
    ((), "Enter at least one time, like 24, 48."),
    ("24 h", "Enter whole hours separated by commas, like 24, 48."),
    ("1e2", "Enter whole hours separated by commas, like 24, 48."),
    ((24.0,), "Enter whole hours separated by commas, like 24, 48."),
    ((False, 24), "Enter whole hours separated by commas, like 24, 48."),
    ("0", "Each check is from 1 to 168 hours (a week) after the session; 0 is not."),
    ((24, -5), "Each check is from 1 to 168 hours (a week) after the session; -5 is not."),
    ("1234567", "Each check is from 1 to 168 hours (a week) after the session; a number "
                "far outside that is not."),
    ("1, 2, 3, 4, 5", "Up to 4 soreness checks after a session; you entered 5."),
    ("48, 24", "List each hour once, earliest first, like 24, 48."),
    ("24, 48, 48", "List each hour once, earliest first, like 24, 48."),
])
def test_hours_refused(typed: object, message: str) -> None:
    assert hours(typed)[1] == message


@pytest.mark.parametrize(("typed", "clean"), [("3", 3), (" 1 ", 1), ("14", 14), (7, 7)])
def test_days_accepted(typed: object, clean: int) -> None:
    assert days(typed) == (clean, None)


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Enter a whole number of days from 1 to 14, like 3."),
    ("3 days", "Enter a whole number of days from 1 to 14, like 3."),
    ("-2", "Enter a whole number of days from 1 to 14, like 3."),
    (True, "Enter a whole number of days from 1 to 14, like 3."),
    (3.0, "Enter a whole number of days from 1 to 14, like 3."),
    ("0", "Choose from 1 to 14 days; you entered 0."),
    (15, "Choose from 1 to 14 days; you entered 15."),
    ("9" * 5000, "Choose from 1 to 14 days; you entered a number far outside that."),
])
def test_days_refused(typed: object, message: str) -> None:
    assert days(typed)[1] == message


def test_the_defaults_pass_their_own_rules() -> None:
    assert hours(FOLLOW_UP_HOURS) == (FOLLOW_UP_HOURS, None)
    assert days(NUDGE_AFTER_DAYS) == (NUDGE_AFTER_DAYS, None)
