"""The input contract of the guidance engine: one symptom report, strictly parsed.

A report is what the patient told us at one moment::

    {"hours_since_needling": 30, "needled_regions": ["lumbar"], "soreness_now": 4,
     "soreness_trend": "better", "pain_now": 5, "pain_usual": 5, "symptoms": []}

Parsing rules (documented for clinics in docs/guidance.md):

- Unknown keys, wrong types (a bool is not a number), NaN/infinity, out-of-range values,
  unknown or duplicate regions and symptoms are rejected with a ReportError naming the
  field. Nothing is silently dropped or clamped.
- Every key except `symptoms` may be null or left out; a missing key means null, and the
  engine treats null as "not known" and answers more cautiously, never less.
- `symptoms` must be a list (empty when nothing on the checklist applies). An unanswered
  red-flag checklist cannot be made "more cautious" in any honest way, so it is refused.
- Scores are whole numbers 0-10; 5.0 is accepted as 5, 4.5 is refused.

This module holds vocabulary keys (the contract), never patient-facing wording: the plain
labels for every key live in the rulebook.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from app.domain.errors import InvalidInput

Trend = Literal["better", "same", "worse"]

SYMPTOM_KEYS: Final[tuple[str, ...]] = (
    "shortness_of_breath",
    "chest_pain",
    "coughing_blood",
    "fever",
    "site_redness_warmth",
    "site_pus",
    "large_bruise",
    "bleeding_wont_stop",
    "numbness_tingling",
    "leg_weakness",
    "leg_weakness_worsening",
    "saddle_numbness",
    "bladder_bowel_change",
    "sexual_dysfunction_new",
    "unexplained_weight_loss",
    "history_of_cancer",
    "major_trauma",
    "night_pain",
    "dizziness_fainting",
    "headache_severe",
    "fatigue",
)

REGION_KEYS: Final[tuple[str, ...]] = (
    "lumbar",
    "thoracic",
    "neck",
    "shoulder",
    "chest_wall",
    "gluteal",
    "hip",
    "leg",
)

TRENDS: Final[tuple[Trend, ...]] = ("better", "same", "worse")

FIELDS: Final[tuple[str, ...]] = (
    "hours_since_needling",
    "needled_regions",
    "soreness_now",
    "soreness_trend",
    "pain_now",
    "pain_usual",
    "symptoms",
)

SCORE_FIELDS: Final[tuple[str, ...]] = ("soreness_now", "pain_now", "pain_usual")
SCORE_LOW: Final = 0  # the 0-10 numeric rating scale's ends (part of the contract)
SCORE_HIGH: Final = 10


class ReportError(InvalidInput):
    """A symptom report was rejected. `field` names the key at fault ("report" for the
    whole document)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__({field: message})


@dataclass(frozen=True)
class SymptomReport:
    """One validated report. None always means "not known" (for hours: no recent session)."""

    hours_since_needling: float | None
    needled_regions: tuple[str, ...] | None
    soreness_now: int | None
    soreness_trend: Trend | None
    pain_now: int | None
    pain_usual: int | None
    symptoms: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        hours = self.hours_since_needling
        if hours is not None and float(hours).is_integer():
            hours = int(hours)
        return {
            "hours_since_needling": hours,
            "needled_regions": None if self.needled_regions is None else list(self.needled_regions),
            "soreness_now": self.soreness_now,
            "soreness_trend": self.soreness_trend,
            "pain_now": self.pain_now,
            "pain_usual": self.pain_usual,
            "symptoms": list(self.symptoms),
        }


def parse_report(raw: object) -> SymptomReport:
    """Validate a decoded JSON object into a SymptomReport, or raise ReportError."""
    if not isinstance(raw, Mapping):
        raise ReportError("report", "The report must be a JSON object with named fields.")
    for key in raw:
        if key not in FIELDS:
            raise ReportError(
                str(key), f"Unknown field {key!r}. Allowed fields: {', '.join(FIELDS)}."
            )
    scores = {name: _score(name, raw.get(name)) for name in SCORE_FIELDS}
    return SymptomReport(
        hours_since_needling=_hours(raw.get("hours_since_needling")),
        needled_regions=_regions(raw.get("needled_regions")),
        soreness_now=scores["soreness_now"],
        soreness_trend=_trend(raw.get("soreness_trend")),
        pain_now=scores["pain_now"],
        pain_usual=scores["pain_usual"],
        symptoms=_symptoms(raw.get("symptoms")),
    )


def parse_report_json(text: str) -> SymptomReport:
    """Parse report JSON text strictly: no NaN/Infinity literals, no repeated keys."""
    try:
        raw = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_repeats)
    except ReportError:
        raise
    except json.JSONDecodeError as exc:
        raise ReportError(
            "report",
            f"The report is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
        ) from exc
    return parse_report(raw)


def _reject_constant(name: str) -> object:
    raise ReportError("report", f"{name} is not a number the report can contain.")


def _no_repeats(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise ReportError(key, f"The field {key!r} appears more than once.")
        seen[key] = value
    return seen


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _hours(value: object) -> float | None:
    field = "hours_since_needling"
    if value is None:
        return None
    if not _is_number(value):
        raise ReportError(field, f"{field} must be a number of hours (0 or more) or null.")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ReportError(field, f"{field} must be a finite number of hours.")
    if number < 0:
        raise ReportError(field, f"{field} cannot be negative (got {number:g}).")
    return number


def _score(field: str, value: object) -> int | None:
    if value is None:
        return None
    if not _is_number(value):
        raise ReportError(
            field, f"{field} must be a whole number from {SCORE_LOW} to {SCORE_HIGH} or null."
        )
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ReportError(field, f"{field} must be a finite number.")
        if not value.is_integer():
            raise ReportError(
                field,
                f"{field} must be a whole number from {SCORE_LOW} to {SCORE_HIGH} (got {value:g}).",
            )
    number = int(value)  # type: ignore[call-overload]
    if not SCORE_LOW <= number <= SCORE_HIGH:
        raise ReportError(
            field, f"{field} must be from {SCORE_LOW} to {SCORE_HIGH} (got {number})."
        )
    return number


def _trend(value: object) -> Trend | None:
    field = "soreness_trend"
    if value is None:
        return None
    for trend in TRENDS:
        if value == trend and isinstance(value, str):
            return trend
    raise ReportError(field, f"{field} must be one of {', '.join(TRENDS)} or null.")


def _key_list(field: str, value: object, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ReportError(field, f"{field} must be a list of {what} keys.")
    seen: list[str] = []
    for item in value:
        if not isinstance(item, str) or item not in allowed:
            raise ReportError(
                field,
                f"{field} contains an unknown {what} {item!r}. Allowed: {', '.join(allowed)}.",
            )
        if item in seen:
            raise ReportError(field, f"{field} lists {item!r} more than once.")
        seen.append(item)
    return tuple(seen)


def _regions(value: object) -> tuple[str, ...] | None:
    if value is None:
        return None
    return _key_list("needled_regions", value, REGION_KEYS, "region")


def _symptoms(value: object) -> tuple[str, ...]:
    if value is None:
        raise ReportError(
            "symptoms", "symptoms is required: a list of checklist keys, [] when none apply."
        )
    return _key_list("symptoms", value, SYMPTOM_KEYS, "symptom")
