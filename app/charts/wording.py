"""What the chart texts in assets/progress/thresholds.json must hold: every label a chart
draws, the placeholders each may use, and Plotly hover templates (which keep their
%{…} fields). The domain parses the asset; this check lives with the charts because only
they know what they draw. app.services.progress.load_thresholds passes it to
app.domain.progress.parse_thresholds, so one ThresholdsError lists every problem.

Who is looking: the texts speak to the patient ("Your activities"). A clinician looking
at a patient's charts reads the same key with CLINICIAN_SUFFIX ("Activities") where the
asset has one, the patient's text otherwise (`ChartWords`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from app.domain.progress import ProgressWording

CLINICIAN_SUFFIX: Final = "_clinician"


class Audience(StrEnum):
    """Who the charts are drawn for: the patient themself, or a clinician they share with."""

    PATIENT = "patient"
    CLINICIAN = "clinician"


@dataclass(frozen=True)
class ChartWords:
    """The asset's chart texts in the words for `audience`."""

    wording: ProgressWording
    audience: Audience = Audience.PATIENT

    def chart(self, key: str, **values: object) -> str:
        if self.audience is Audience.CLINICIAN and key + CLINICIAN_SUFFIX in self.wording.charts:
            key += CLINICIAN_SUFFIX
        return self.wording.chart(key, **values)

    @property
    def weekdays(self) -> tuple[str, ...]:
        return self.wording.weekdays

# Keys ending in "_hover" (or holding "_hover_") are Plotly hover templates, passed through
# untouched; the others may use the placeholders listed.
_CHART_TEXTS: Final[Mapping[str, frozenset[str]]] = {
    "pain_title": frozenset(),
    "pain_now": frozenset(),
    "pain_worst": frozenset(),
    "pain_average": frozenset({"days"}),
    "pain_session": frozenset(),
    "pain_baseline": frozenset(),
    "pain_band": frozenset({"points"}),
    "pain_axis": frozenset(),
    "pain_hover_now": frozenset(),
    "pain_hover_worst": frozenset(),
    "pain_hover_average": frozenset(),
    "pain_hover_session": frozenset(),
    "pain_empty": frozenset(),
    "pain_one": frozenset(),
    "soreness_title": frozenset(),
    "soreness_axis_x": frozenset(),
    "soreness_axis_y": frozenset(),
    "soreness_window": frozenset({"hours"}),
    "soreness_session": frozenset({"date"}),
    "soreness_not_settling": frozenset({"date"}),
    "soreness_rising": frozenset({"date"}),
    "soreness_earlier": frozenset({"count"}),
    "soreness_earlier_flagged": frozenset({"count"}),
    "soreness_hover": frozenset(),
    "soreness_empty": frozenset(),
    "soreness_one": frozenset(),
    "function_title": frozenset(),
    "function_axis": frozenset(),
    "function_mean": frozenset(),
    "function_target": frozenset({"target"}),
    "function_milestone": frozenset(),
    "function_hover": frozenset(),
    "function_hover_mean": frozenset(),
    "function_empty": frozenset(),
    "function_one": frozenset(),
    "adherence_title": frozenset(),
    "adherence_hover": frozenset(),
    # a calendar cell's hover text, counted in words ("1 check-in", not "1 check-ins")
    "adherence_day_none": frozenset({"date"}),
    "adherence_day_one": frozenset({"date"}),
    "adherence_day_many": frozenset({"date", "count"}),
    "adherence_empty": frozenset(),
    "adherence_scale": frozenset(),
}
_PLACEHOLDER = re.compile(r"(?<!%)\{([A-Za-z_]*)\}")


def is_hover_template(key: str) -> bool:
    return key.endswith("_hover") or "_hover_" in key


def chart_wording_problems(charts: Mapping[str, str]) -> list[str]:
    """Every problem with the chart texts: missing or unknown keys, placeholders a text
    may not use, hover templates without a %{…} field. A clinician's version
    (key + CLINICIAN_SUFFIX) is optional and held to the same rules as its key."""
    problems: list[str] = []
    for key, allowed in _CHART_TEXTS.items():
        problems += _text_problems(key, charts.get(key), allowed, required=True)
        problems += _text_problems(key + CLINICIAN_SUFFIX, charts.get(key + CLINICIAN_SUFFIX),
                                   allowed, required=False)
    problems.extend(
        f"wording.charts.{key} is not a chart text the app knows"
        for key in charts if key.removesuffix(CLINICIAN_SUFFIX) not in _CHART_TEXTS)
    return problems


def _text_problems(key: str, text: str | None, allowed: frozenset[str], *,
                   required: bool) -> list[str]:
    where = f"wording.charts.{key}"
    problems: list[str] = []
    if text is None:
        if required:
            problems.append(f"{where} is missing")
    elif is_hover_template(key):
        if "%{" not in text:
            problems.append(f"{where} must be a Plotly hover template using %{{…}}")
    else:
        unknown = set(_PLACEHOLDER.findall(text)) - allowed
        if unknown:
            names = ", ".join(sorted("{" + u + "}" for u in unknown))
            may = ", ".join(sorted("{" + a + "}" for a in allowed)) or "none"
            problems.append(f"{where} uses {names}; it may use {may}")
    return problems
