"""The patient education page with the rulebook's numbers filled in, so the page and the
answers the engine gives never disagree (a clinician edits a number in one place).

Placeholders in the page: ``{name}`` for a score threshold (``{severe_soreness}`` → 7),
``{name_span}`` for an hours threshold in words (``{plateau_hours_span}`` → "two days";
24 h → "day", as in "the first day"; hours that are not whole days stay hours).
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Final

from app.domain.guidance.rulebook import Rulebook, RulebookError

_PLACEHOLDER: Final = re.compile(r"\{([a-z_]+)\}")
_WORDS: Final = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
_HOURS_PER_DAY: Final = 24


def span(hours: float) -> str:
    """Hours as a plain span: 24 → "day", 72 → "three days", 30 → "30 hours"."""
    if hours % _HOURS_PER_DAY:
        return f"{hours:g} hours"
    days = int(hours // _HOURS_PER_DAY)
    return "day" if days == 1 else f"{_WORDS.get(days, str(days))} days"


def fill_education(template: str, rulebook: Rulebook) -> str:
    """The page with every placeholder filled; an unknown one raises RulebookError."""
    values: dict[str, str] = {}
    for name, value in asdict(rulebook.thresholds).items():
        values[name] = f"{value:g}"
        if name.endswith("_hours"):
            values[f"{name}_span"] = span(value)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise RulebookError(f"The education page has an unknown placeholder {{{name}}}.")
        return values[name]

    return _PLACEHOLDER.sub(replace, template)
