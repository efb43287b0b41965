"""Field checks shared by every entry. Each returns the clean value or records a problem
in plain words; the caller raises one InvalidInput listing every problem at once, so a
form can show each message next to its field and nothing is half-saved."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime

from app.domain.errors import InvalidInput
from app.domain.scales import FUTURE_TOLERANCE, NOTE_MAX_CHARS
from app.domain.zones import zone_of

# No one's record starts before this. A time near year 1 cannot be moved into a time zone
# west of UTC (OverflowError), so such a value would break every screen that shows it.
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)
# The longest IANA zone name is 32 characters (America/Argentina/ComodRivadavia).
ZONE_NAME_MAX_CHARS = 64


def check_timezone(problems: Problems, name: str) -> str:
    """An IANA time zone name such as Europe/London (the patient's local day depends on it).
    The zone database is a folder of files: a very long name makes looking it up fail with
    OSError (file name too long), so such a name is unknown without asking."""
    try:
        known = len(name) <= ZONE_NAME_MAX_CHARS and zone_of(name) is not None
    except OSError:
        known = False
    if not known:
        problems.add("timezone", f"Unknown time zone: {name[:40]}. Pick one from the list.")
    return name


class Problems:
    def __init__(self) -> None:
        self._found: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self._found.setdefault(field, message)

    def has(self, field: str) -> bool:
        return field in self._found

    def raise_if_any(self) -> None:
        if self._found:
            raise InvalidInput(self._found)

    def score(self, field: str, value: object, low: int, high: int, what: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(field, f"Choose {what} from {low} to {high}.")
            return low
        if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
            self.add(field, f"Choose a whole number for {what}, from {low} to {high}.")
            return low
        if not low <= value <= high:
            # An int too large for a float cannot be shown with :g (OverflowError).
            shown = f"{value:g}" if abs(value) < 1e15 else "a number far outside that"
            self.add(field, f"{what.capitalize()} must be from {low} to {high}; you entered "
                            f"{shown}.")
            return low
        return int(value)

    def optional_score(
        self, field: str, value: object, low: int, high: int, what: str
    ) -> int | None:
        return None if value is None else self.score(field, value, low, high, what)

    def when(self, field: str, value: datetime, now: datetime, what: str = "The time") -> datetime:
        if value.tzinfo is None:
            self.add(field, f"{what} has no time zone.")
            return value
        if value < EARLIEST_TIME:
            self.add(field, f"{what} is before {EARLIEST_TIME.year}. Check the year.")
            return value
        if value > now + FUTURE_TOLERANCE:
            self.add(field, f"{what} is in the future. Pick a time that has already happened.")
        return value

    def day(self, field: str, value: date, today: date, what: str = "The date") -> date:
        if value < EARLIEST_TIME.date():
            self.add(field, f"{what} is before {EARLIEST_TIME.year}. Check the year.")
        elif value > today:
            self.add(field, f"{what} is in the future. Pick today or an earlier day.")
        return value

    def note(self, field: str, value: str | None) -> str:
        text = (value or "").strip()
        if len(text) > NOTE_MAX_CHARS:
            self.add(field, f"Notes can be up to {NOTE_MAX_CHARS:,} characters; this one has "
                            f"{len(text):,}. Please shorten it.")
        return text

    def name(self, field: str, value: str | None, limit: int, what: str) -> str:
        text = " ".join((value or "").split())
        if not text:
            self.add(field, f"Please enter {what}.")
        elif len(text) > limit:
            self.add(field, f"Keep {what} under {limit} characters.")
        return text

    def phone(self, field: str, value: str | None, what: str, *,
              short_code: bool = False) -> str:
        """A number a phone can dial: digits with +, spaces, dashes or brackets; with
        `short_code`, 2 to 6 digits only (an emergency number such as 911, 112 or 999)."""
        text = " ".join((value or "").split())
        digits = re.sub(r"\D", "", text)
        if not text:
            self.add(field, f"Please enter {what}.")
        elif short_code and not re.fullmatch(r"[0-9]{2,6}", text):
            self.add(field, f"Enter {what} as 2 to 6 digits, like 911 or 112.")
        elif not short_code and (not re.fullmatch(r"\+?[0-9 ()\-]+", text)
                                 or not 3 <= len(digits) <= 20):
            self.add(field, f"Enter {what} with digits, like +1 555 010 0000.")
        return text

    def choices(
        self, field: str, values: Iterable[str], allowed: Mapping[str, str], what: str
    ) -> tuple[str, ...]:
        picked = tuple(dict.fromkeys(values))
        unknown = [v for v in picked if v not in allowed]
        if unknown:
            self.add(field, f"Unknown {what}: {', '.join(unknown)}.")
        return picked
