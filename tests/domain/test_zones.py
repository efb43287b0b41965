"""The patient's own day: one rule (patient_today), in their time zone, not the server's."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.zones import patient_today, to_local, zone_of


def test_evening_in_los_angeles_is_still_the_patients_today() -> None:
    # 18:00 in Los Angeles (PST, UTC-8) on 30 Nov is 02:00 UTC on 1 Dec.
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert patient_today(now, "America/Los_Angeles") == date(2026, 11, 30)


def test_morning_in_auckland_is_already_tomorrow() -> None:
    now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    assert patient_today(now, "Pacific/Auckland") == date(2026, 12, 1)


def test_an_unknown_zone_keeps_the_moment_as_it_is() -> None:
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert patient_today(now, "Not/AZone") == date(2026, 12, 1)


@pytest.mark.parametrize("name", ["A" * 300, "Europe/" + "x" * 300, "America", "a\x00b", ""])
def test_a_name_the_zone_database_cannot_even_look_up_is_an_unknown_zone(name: str) -> None:
    """A 300-character name raised OSError (file name too long) out of zone_of, and a
    folder of the database ("America") IsADirectoryError: both are just unknown zones."""
    assert zone_of(name) is None
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert to_local(now, name) == now
    assert patient_today(now, name) == date(2026, 12, 1)


def test_days_since_counts_the_patients_calendar_days() -> None:
    from datetime import UTC, datetime

    from app.domain.zones import days_since

    # 23:50 then 00:10 in London is a day apart; the same instants in Los Angeles are not.
    late, early = datetime(2026, 12, 1, 23, 50, tzinfo=UTC), datetime(2026, 12, 2, 0, 10,
                                                                       tzinfo=UTC)
    assert days_since(late, early, "Europe/London") == 1
    assert days_since(late, early, "America/Los_Angeles") == 0
    assert days_since(early, early, "Europe/London") == 0
