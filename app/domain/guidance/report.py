"""The input contract of the guidance engine: one symptom report, strictly parsed.

A report is what the patient told us at one moment::

    {"hours_since_needling": 30, "needled_regions": ["lumbar"], "soreness_now": 4,
     "soreness_trend": "better", "pain_now": 5, "pain_usual": 5, "symptoms": []}

Parsing rules (documented for clinics in docs/guidance.md):

- Unknown keys, wrong types (a bool is not a number), NaN/infinity, out-of-range values,
  unknown or duplicate regions and symptoms are rejected with a ReportError naming the
  field. Nothing is silently dropped or clamped.
- Every key except `symptoms` may be null or left out; a missing key means null, and the
  engine treats null as "not known" and answers more cautiously, never less. Two optional
  extras are the exception, because their absence is the ordinary case and cannot be read
  as "present": `risk_factors` (null or missing = none reported) and `temperature_c`
  (null = not measured; the `fever` checklist key still counts).
- `needled_regions: []` means "no needling session to speak of" (nothing was needled);
  null means "not recorded", which the engine reads as "maybe near the chest".
- `temperature_c` is a number from 34 to 43 °C; anything else is refused (a typing slip
  such as 385 or a Fahrenheit value must not pass as a normal temperature).
- Numbers too large to be a float, more than Python's digit limit, or nested deeper than
  the parser allows are refused like any other invalid report (ReportError), never a crash.
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
    # Added in Guidance v2 (issue 10); old reports without them stay valid.
    "both_legs",
    "pain_on_breathing_in",
    "arm_weakness",
    "worried_other",
)

RISK_FACTOR_KEYS: Final[tuple[str, ...]] = (
    "blood_thinners",
    "immune_suppressed",
    "iv_drug_use",
    "osteoporosis_or_steroids",
    "age_over_50",
    "recent_infection",
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
    "risk_factors",
    "temperature_c",
)

SCORE_FIELDS: Final[tuple[str, ...]] = ("soreness_now", "pain_now", "pain_usual")
SCORE_LOW: Final = 0  # the 0-10 numeric rating scale's ends (part of the contract)
SCORE_HIGH: Final = 10
# The body temperatures a report may carry (contract, not a clinical threshold: the fever
# threshold is in the rulebook). Outside this a value is a slip, not a measurement.
TEMPERATURE_LOW_C: Final = 34.0
TEMPERATURE_HIGH_C: Final = 43.0


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
    risk_factors: tuple[str, ...] = ()
    temperature_c: float | None = None

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
            "risk_factors": list(self.risk_factors),
            "temperature_c": self.temperature_c,
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
        risk_factors=_risk_factors(raw.get("risk_factors")),
        temperature_c=_temperature(raw.get("temperature_c")),
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
    except RecursionError as exc:
        raise ReportError("report", "The report is nested too deeply to be read.") from exc
    except ValueError as exc:  # e.g. an integer longer than Python's digit limit
        raise ReportError("report", "The report holds a number too long to be read.") from exc
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
    number = _float(field, value)
    if not math.isfinite(number):
        raise ReportError(field, f"{field} must be a finite number of hours.")
    if number < 0:
        raise ReportError(field, f"{field} cannot be negative (got {number:g}).")
    return number


def _float(field: str, value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except OverflowError as exc:  # a whole number with hundreds of digits
        raise ReportError(field, f"{field} is far too large a number.") from exc


def _temperature(value: object) -> float | None:
    field = "temperature_c"
    if value is None:
        return None
    if not _is_number(value):
        raise ReportError(field, f"{field} must be a number of degrees Celsius or null.")
    number = _float(field, value)
    if not (math.isfinite(number) and TEMPERATURE_LOW_C <= number <= TEMPERATURE_HIGH_C):
        raise ReportError(
            field,
            f"{field} must be from {TEMPERATURE_LOW_C:g} to {TEMPERATURE_HIGH_C:g} degrees "
            "Celsius.",
        )
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
        got = f" (got {number})" if abs(number) < 10**6 else ""
        raise ReportError(field, f"{field} must be from {SCORE_LOW} to {SCORE_HIGH}{got}.")
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


def _risk_factors(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return _key_list("risk_factors", value, RISK_FACTOR_KEYS, "risk factor")
