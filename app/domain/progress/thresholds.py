"""The progress thresholds asset, parsed: every response-to-treatment number with its
source, and the patient-facing wording of the Progress summary.

Pure (no I/O): app.services.progress.load_thresholds reads assets/progress/thresholds.json
and passes the decoded JSON here. The chart texts in the same asset are kept as a plain
mapping; what they must contain is checked by app.charts.wording (passed in as
`check_charts`), because only the charts know what they draw.

Errors: ThresholdsError (a DomainError) lists every problem found in the content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Final, Literal

from app.domain.errors import DomainError

ChartCheck = Callable[[Mapping[str, str]], list[str]]

SCHEMA_VERSION: Final = 1

PainMode = Literal["points", "percent", "either"]
PAIN_MODES: Final[tuple[PainMode, ...]] = ("points", "percent", "either")


class ThresholdsError(DomainError):
    """The progress thresholds content cannot be used; the message lists every problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("Progress thresholds: " + "; ".join(self.problems))


# -- the content: numbers and wording ---------------------------------------------------

# name → (kind, must be > 0). "int" values must be whole numbers.
_NUMBERS: Final[Mapping[str, Literal["int", "float"]]] = {
    "pain_change_points": "float",
    "pain_change_percent": "float",
    "psfs_mean_change_points": "float",
    "psfs_activity_change_points": "float",
    "pgic_improved_max": "int",
    "trial_sessions": "int",
    "trial_days": "int",
    "baseline_window_days": "int",
    "window_min_entries": "int",
    "current_window_days": "int",
    "soreness_settle_hours": "float",
    "soreness_rising_after_hours": "float",
    "stopped_logging_days": "int",
    # Guidance v2 (issue 10): measurement error, small changes, the Oswestry index.
    "pain_single_reading_error_points": "float",
    "pain_small_change_points": "float",
    "odi_change_points": "float",
    "odi_change_percent": "float",
    "odi_detectable_change_points": "float",
}
_MODE_KEY: Final = "pain_threshold_mode"

# Wording keys and the placeholders each may use. Plural texts are {"one", "other"} and
# may also use {count}.
_SUMMARY_TEXTS: Final[Mapping[str, frozenset[str]]] = {
    "no_data_headline": frozenset(),
    "no_data_detail": frozenset(),
    "too_early_headline": frozenset(),
    "too_early_detail": frozenset({"needs"}),
    "improved_pain_headline": frozenset({"pain_drop", "pain_drop_percent"}),
    "improved_psfs_headline": frozenset({"psfs_gain"}),
    "improved_detail": frozenset({"pain_baseline", "pain_current", "sessions", "days"}),
    "improved_early_note": frozenset(),
    "no_change_headline": frozenset(),
    "no_change_detail": frozenset({"pain_baseline", "pain_current", "sessions", "days"}),
    "worse_pain_headline": frozenset({"pain_rise"}),
    "worse_psfs_headline": frozenset({"psfs_drop"}),
    "improved_odi_headline": frozenset({"odi_drop"}),
    "worse_odi_headline": frozenset({"odi_rise"}),
    "small_better_headline": frozenset({"pain_drop"}),
    "small_worse_headline": frozenset({"pain_rise"}),
    "small_change_detail": frozenset(
        {"pain_baseline", "pain_current", "sessions", "days", "detectable"}
    ),
    "odi_line": frozenset({"odi_baseline", "odi_current"}),
    "rests_on_line": frozenset({"measures"}),
    "measure_pain": frozenset(),
    "measure_psfs": frozenset(),
    "measure_odi": frozenset(),
    "worse_detail": frozenset({"pain_baseline", "pain_current", "sessions", "days"}),
    "psfs_line": frozenset({"psfs_baseline", "psfs_current"}),
    "pgic_improved_line": frozenset(),
    "need_trial": frozenset({"sessions_left", "days_left"}),
    "list_and": frozenset(),
}
_SUMMARY_PLURALS: Final[Mapping[str, frozenset[str]]] = {
    "need_baseline_check_ins": frozenset({"count"}),
    "need_current_check_ins": frozenset({"count"}),
    "sessions": frozenset({"count"}),
    "more_sessions": frozenset({"count"}),
    "days": frozenset({"count"}),
    "more_days": frozenset({"count"}),
}
_PLACEHOLDER = re.compile(r"(?<!%)\{([A-Za-z_]*)\}")
_WEEKDAYS: Final = 7


@dataclass(frozen=True)
class Plural:
    """A text with a singular and a plural form, chosen by a count."""

    one: str
    other: str

    def pick(self, count: int) -> str:
        return self.one if count == 1 else self.other


@dataclass(frozen=True)
class ProgressWording:
    """Patient-facing sentences and chart labels, from the thresholds asset."""

    summary: Mapping[str, str | Plural]
    charts: Mapping[str, str]
    weekdays: tuple[str, ...]  # Monday first

    def say(self, key: str, **values: object) -> str:
        text = self.summary[key]
        if isinstance(text, Plural):
            raise KeyError(f"{key} is a plural text; use count()")
        return text.format(**values) if values else text

    def count(self, key: str, count: int, **values: object) -> str:
        text = self.summary[key]
        form = text.pick(count) if isinstance(text, Plural) else text
        return form.format(count=count, **values)

    def chart(self, key: str, **values: object) -> str:
        text = self.charts[key]
        return text.format(**values) if values else text


@dataclass(frozen=True)
class ProgressThresholds:
    """The response-to-treatment numbers (app.domain.progress.response says how each is
    used; the asset says where each comes from)."""

    pain_change_points: float
    pain_change_percent: float
    pain_threshold_mode: PainMode
    psfs_mean_change_points: float
    psfs_activity_change_points: float
    pgic_improved_max: int
    trial_sessions: int
    trial_days: int
    baseline_window_days: int
    window_min_entries: int
    current_window_days: int
    soreness_settle_hours: float
    soreness_rising_after_hours: float
    stopped_logging_days: int
    pain_single_reading_error_points: float
    pain_small_change_points: float
    odi_change_points: float
    odi_change_percent: float
    odi_detectable_change_points: float
    wording: ProgressWording
    sources: Mapping[str, str] = field(default_factory=dict)

    def configured(
        self,
        *,
        pain_threshold_mode: str | None = None,
        trial_sessions: int | None = None,
        trial_days: int | None = None,
    ) -> ProgressThresholds:
        """The same thresholds with a clinic's own choices (None keeps the default)."""
        problems: list[str] = []
        changes: dict[str, Any] = {}
        if pain_threshold_mode is not None:
            if pain_threshold_mode not in PAIN_MODES:
                problems.append(f"{_MODE_KEY} must be one of {', '.join(PAIN_MODES)}")
            changes[_MODE_KEY] = pain_threshold_mode
        for name, value in (("trial_sessions", trial_sessions), ("trial_days", trial_days)):
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{name} must be a whole number of at least 1")
            changes[name] = value
        if problems:
            raise ThresholdsError(problems)
        return replace(self, **changes)

    def key(self) -> tuple[object, ...]:
        """The numbers as a hashable tuple (for cache keys)."""
        return tuple(getattr(self, name) for name in (*_NUMBERS, _MODE_KEY))


def parse_thresholds(
    raw: Mapping[str, Any], check_charts: ChartCheck | None = None
) -> ProgressThresholds:
    """Validate decoded thresholds JSON and build ProgressThresholds.

    `check_charts` validates the chart texts (which keys, placeholders, hover templates);
    it lives with the charts (app.charts.wording.chart_wording_problems) and the service
    passes it in, so the domain does not know what a chart draws. Raises ThresholdsError
    naming every missing or unusable part at once.
    """
    problems: list[str] = []
    if not isinstance(raw, Mapping):
        raise ThresholdsError(["the content must be a JSON object"])
    if raw.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"schema_version must be {SCHEMA_VERSION}")
    sources = raw.get("sources")
    if not isinstance(sources, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in sources.items()
    ):
        problems.append("sources must map a key to the citation text")
        sources = {}
    entries = raw.get("thresholds")
    if not isinstance(entries, Mapping):
        problems.append("thresholds section is missing")
        entries = {}
    values: dict[str, Any] = {}
    for name in (*_NUMBERS, _MODE_KEY):
        values[name] = _threshold_value(name, entries.get(name), sources, problems)
    for name in entries:
        if name not in values:
            problems.append(f"thresholds.{name} is not a threshold the app knows")
    wording = _parse_wording(raw.get("wording"), problems, check_charts)
    if problems:
        raise ThresholdsError(problems)
    assert wording is not None
    return ProgressThresholds(**values, wording=wording, sources=dict(sources))


def _threshold_value(
    name: str, entry: object, sources: Mapping[str, str], problems: list[str]
) -> Any:
    where = f"thresholds.{name}"
    if not isinstance(entry, Mapping):
        problems.append(f"{where} is missing")
        return None
    cited = entry.get("sources")
    if not isinstance(cited, list) or not cited:
        problems.append(f"{where}.sources must list at least one source")
    else:
        problems.extend(f"{where} cites unknown source {s!r}" for s in cited if s not in sources)
    reviewed = entry.get("reviewed_on")
    try:
        date.fromisoformat(str(reviewed))
    except ValueError:
        problems.append(f"{where}.reviewed_on must be a date like 2026-01-31")
    value = entry.get("value")
    if name == _MODE_KEY:
        if value not in PAIN_MODES:
            problems.append(f"{where}.value must be one of {', '.join(PAIN_MODES)}")
        return value
    kind = _NUMBERS[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(f"{where}.value must be a number")
        return None
    if kind == "int" and value != int(value):
        problems.append(f"{where}.value must be a whole number")
    if value <= 0:
        problems.append(f"{where}.value must be more than 0")
    return int(value) if kind == "int" else float(value)


def _parse_wording(
    raw: object, problems: list[str], check_charts: ChartCheck | None
) -> ProgressWording | None:
    if not isinstance(raw, Mapping):
        problems.append("wording section is missing")
        return None
    summary_raw = _section(raw, "summary", problems)
    charts_raw = _section(raw, "charts", problems)
    summary: dict[str, str | Plural] = {}
    for key, allowed in _SUMMARY_TEXTS.items():
        text = _text(f"wording.summary.{key}", summary_raw.get(key), allowed, problems)
        if text is not None:
            summary[key] = text
    for key, allowed in _SUMMARY_PLURALS.items():
        where = f"wording.summary.{key}"
        forms = summary_raw.get(key)
        if not isinstance(forms, Mapping):
            problems.append(f'{where} must be {{"one": …, "other": …}}')
            continue
        one = _text(f"{where}.one", forms.get("one"), allowed, problems)
        other = _text(f"{where}.other", forms.get("other"), allowed, problems)
        if one is not None and other is not None:
            summary[key] = Plural(one, other)
    charts: dict[str, str] = {}
    for key, value in charts_raw.items():
        if not isinstance(value, str) or not value.strip():
            problems.append(f"wording.charts.{key} must be non-empty text")
        else:
            charts[str(key)] = value
    if check_charts is not None:
        problems.extend(check_charts(charts))
    weekdays = raw.get("weekdays")
    if (
        not isinstance(weekdays, list)
        or len(weekdays) != _WEEKDAYS
        or not all(isinstance(d, str) and d.strip() for d in weekdays)
    ):
        problems.append("wording.weekdays must list the 7 day names, Monday first")
        weekdays = [""] * _WEEKDAYS
    return ProgressWording(summary, charts, tuple(weekdays))


def _section(raw: Mapping[str, Any], name: str, problems: list[str]) -> Mapping[str, Any]:
    found = raw.get(name)
    if isinstance(found, Mapping):
        return found
    problems.append(f"wording.{name} section is missing")
    return {}


def _text(where: str, value: object, allowed: frozenset[str], problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where} is missing")
        return None
    unknown = set(_PLACEHOLDER.findall(value)) - allowed
    if unknown:
        names = ", ".join(sorted("{" + u + "}" for u in unknown))
        may = ", ".join(sorted("{" + a + "}" for a in allowed)) or "none"
        problems.append(f"{where} uses {names}; it may use {may}")
        return None
    return value

