"""What the chart texts in assets/progress/thresholds.json must hold: every label a chart
draws, the placeholders each may use, and Plotly hover templates (which keep their
%{…} fields). The domain parses the asset; this check lives with the charts because only
they know what they draw. app.services.progress.load_thresholds passes it to
app.domain.progress.parse_thresholds, so one ThresholdsError lists every problem.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

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
    "adherence_empty": frozenset(),
    "adherence_scale": frozenset(),
}
_PLACEHOLDER = re.compile(r"(?<!%)\{([A-Za-z_]*)\}")


def is_hover_template(key: str) -> bool:
    return key.endswith("_hover") or "_hover_" in key


def chart_wording_problems(charts: Mapping[str, str]) -> list[str]:
    """Every problem with the chart texts: missing or unknown keys, placeholders a text
    may not use, hover templates without a %{…} field."""
    problems: list[str] = []
    for key, allowed in _CHART_TEXTS.items():
        where = f"wording.charts.{key}"
        text = charts.get(key)
        if text is None:
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
    problems.extend(
        f"wording.charts.{key} is not a chart text the app knows"
        for key in charts if key not in _CHART_TEXTS)
    return problems
