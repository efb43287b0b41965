"""Response to treatment: is the patient meaningfully better, the same, or worse?

What lives here (pure: no I/O, no flet/plotly/tinydb, no app.services):

- `ProgressThresholds` — the clinical numbers and the patient-facing wording, parsed and
  validated from assets/progress/thresholds.json by `parse_thresholds` (the service layer
  reads the file: app.services.progress.load_thresholds). Every number used below comes
  from there; this module holds no clinical literals.
- `assess_response` — compares a baseline window with a current window and names a
  `Verdict`, with a plain-language headline and detail for the patient.
- `soreness_curves` — soreness after each needling session against the expected window,
  flagged when it is not settling or rising again.
- `adherence` / `stopped_logging` — how regularly the patient logs.

Rules, in clinic words (the thresholds JSON states each number and its source):

- Baseline = check-ins in the first `baseline_window_days` days from the first check-in,
  widened to the first `window_min_entries` check-ins when there are fewer.
- Current = check-ins after the baseline within `current_window_days` days up to the latest
  check-in, widened back to the last `window_min_entries` non-baseline check-ins.
- Pain level of a window = mean of `pain_now`; PSFS level = mean of each check-in's mean
  activity rating. Changes are rounded as they are shown (pain and PSFS to 0.1 point, pain
  percent to whole percent) *before* they are compared, so what the patient reads is what
  was judged.
- Pain criterion (by `pain_threshold_mode`): fall of >= `pain_change_points`, or of
  >= `pain_change_percent` % of baseline, or either. A baseline of 0 has no percentage;
  the points rule decides then.
- Improvement = pain criterion met, or PSFS mean up >= `psfs_mean_change_points`.
- Worse = pain up by the pain criterion, or PSFS mean down >= `psfs_mean_change_points`.
- A reasonable trial is over after `trial_sessions` sessions (counted from the first
  check-in's day up to today) or `trial_days` days since the first check-in.
- Verdict: too_early if a window is short; after the trial, worse wins over improvement
  (the more cautious reading); an improvement may be reported before the trial is over;
  anything else before the trial is too_early, after it no_meaningful_change.

Datetimes are compared as given: the caller passes them in the patient's local time (the
service converts), so `.date()` is the patient's calendar day.

Errors: ThresholdsError (a DomainError) lists every problem found in the content.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any, Final, Literal

from app.domain.entries import (
    CheckIn,
    Milestone,
    NeedlingSession,
    PgicAnswer,
    PsfsActivity,
    SorenessEntry,
)
from app.domain.errors import DomainError

SCHEMA_VERSION: Final = 1

PainMode = Literal["points", "percent", "either"]
PAIN_MODES: Final[tuple[PainMode, ...]] = ("points", "percent", "either")


class ThresholdsError(DomainError):
    """The progress thresholds content cannot be used; the message lists every problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("Progress thresholds: " + "; ".join(self.problems))


class Verdict(StrEnum):
    TOO_EARLY = "too_early"
    MEANINGFUL_IMPROVEMENT = "meaningful_improvement"
    NO_MEANINGFUL_CHANGE = "no_meaningful_change"
    WORSE = "worse"


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
# Chart texts. Keys ending in "_hover" are Plotly hover templates (%{y} …), passed through
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
    """The response-to-treatment numbers (see the module docstring for how each is used)."""

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


def parse_thresholds(raw: Mapping[str, Any]) -> ProgressThresholds:
    """Validate decoded thresholds JSON and build ProgressThresholds.

    Raises ThresholdsError naming every missing or unusable part at once.
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
    wording = _parse_wording(raw.get("wording"), problems)
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


def _parse_wording(raw: object, problems: list[str]) -> ProgressWording | None:
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
    for key, allowed in _CHART_TEXTS.items():
        where = f"wording.charts.{key}"
        if key.endswith("_hover") or "_hover_" in key:
            value = charts_raw.get(key)
            if not isinstance(value, str) or "%{" not in value:
                problems.append(f"{where} must be a Plotly hover template using %{{…}}")
            else:
                charts[key] = value
            continue
        text = _text(where, charts_raw.get(key), allowed, problems)
        if text is not None:
            charts[key] = text
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


# -- response to treatment --------------------------------------------------------------


@dataclass(frozen=True)
class ProgressRecord:
    """One patient's plain entries, oldest first, as of `today` (the patient's local day).

    What the charts and the summary are built from; the service fills it from the logbook.
    """

    today: date
    check_ins: Sequence[CheckIn] = ()
    sessions: Sequence[NeedlingSession] = ()
    soreness: Sequence[SorenessEntry] = ()
    activities: Sequence[PsfsActivity] = ()
    milestones: Sequence[Milestone] = ()
    pgic: Sequence[PgicAnswer] = ()


@dataclass(frozen=True)
class Windows:
    """The check-ins that set the starting level and those that give the current one."""

    baseline: tuple[CheckIn, ...]
    current: tuple[CheckIn, ...]


@dataclass(frozen=True)
class ResponseSummary:
    """How the patient is responding, with the numbers behind the verdict.

    Sign conventions: `pain_change_points` and `pain_change_percent` are current − baseline
    (negative = less pain); `psfs_change` is current − baseline (positive = easier).
    """

    verdict: Verdict
    headline: str
    detail: str
    pain_baseline: float | None = None
    pain_current: float | None = None
    pain_change_points: float | None = None
    pain_change_percent: float | None = None
    psfs_baseline: float | None = None
    psfs_current: float | None = None
    psfs_change: float | None = None
    psfs_activity_changes: Mapping[str, float] = field(default_factory=dict)
    activities_meaningfully_better: tuple[str, ...] = ()
    sessions: int = 0
    days_since_first_entry: int | None = None
    trial_complete: bool = False
    still_needed: tuple[str, ...] = ()
    improved_by: tuple[str, ...] = ()  # "pain_points", "pain_percent", "psfs_mean"
    worse_by: tuple[str, ...] = ()
    pgic_improved: bool | None = None
    baseline_entries: int = 0
    current_entries: int = 0

    @property
    def needs_reassessment(self) -> bool:
        """The therapist's "reassess" flag: no meaningful response after a fair trial."""
        return self.verdict in (Verdict.NO_MEANINGFUL_CHANGE, Verdict.WORSE)


def split_windows(check_ins: Sequence[CheckIn], thresholds: ProgressThresholds) -> Windows:
    """Baseline and current windows (see the module docstring); inputs in any order."""
    ordered = sorted(check_ins, key=lambda c: c.recorded_at)
    if not ordered:
        return Windows((), ())
    minimum = thresholds.window_min_entries
    first_day = ordered[0].recorded_at.date()
    baseline = [
        c for c in ordered
        if (c.recorded_at.date() - first_day).days < thresholds.baseline_window_days
    ]
    if len(baseline) < minimum:
        baseline = ordered[:minimum]
    rest = ordered[len(baseline):]
    if not rest:
        return Windows(tuple(baseline), ())
    last_day = rest[-1].recorded_at.date()
    current = [
        c for c in rest
        if (last_day - c.recorded_at.date()).days < thresholds.current_window_days
    ]
    if len(current) < minimum:
        current = rest[-minimum:]
    return Windows(tuple(baseline), tuple(current))


def meaningful_pain_change(baseline: float, thresholds: ProgressThresholds) -> float:
    """How many points pain must move from `baseline` to count, under the clinic's mode."""
    points = thresholds.pain_change_points
    if baseline <= 0:
        return points  # no percentage of nothing: the points rule decides
    share = thresholds.pain_change_percent / 100.0 * baseline
    if thresholds.pain_threshold_mode == "points":
        return points
    if thresholds.pain_threshold_mode == "percent":
        return share
    return min(points, share)


def baseline_levels(
    windows: Windows, thresholds: ProgressThresholds
) -> tuple[float | None, float | None]:
    """The starting pain and PSFS levels, rounded as shown (None until the baseline window
    holds `window_min_entries` check-ins, or for PSFS when no activity was rated)."""
    if len(windows.baseline) < thresholds.window_min_entries:
        return None, None
    pain = _round(_mean([c.pain_now for c in windows.baseline]), 1)
    psfs = psfs_window_mean(windows.baseline)
    return pain, None if psfs is None else _round(psfs, 1)


def psfs_mean(check_in: CheckIn) -> float | None:
    """The mean of the activity ratings in one check-in (None when none were rated)."""
    return sum(check_in.psfs.values()) / len(check_in.psfs) if check_in.psfs else None


def psfs_window_mean(check_ins: Iterable[CheckIn]) -> float | None:
    means = [m for m in (psfs_mean(c) for c in check_ins) if m is not None]
    return sum(means) / len(means) if means else None


def assess_response(
    check_ins: Sequence[CheckIn],
    sessions: Sequence[NeedlingSession],
    thresholds: ProgressThresholds,
    today: date,
    pgic: Sequence[PgicAnswer] = (),
) -> ResponseSummary:
    """Compare now with the start and say, in plain words, what it means."""
    words = thresholds.wording
    minimum = thresholds.window_min_entries
    if not check_ins:
        return ResponseSummary(
            Verdict.TOO_EARLY,
            words.say("no_data_headline"),
            words.say("no_data_detail"),
            still_needed=(words.count("need_baseline_check_ins", minimum),),
            sessions=sum(1 for s in sessions if s.performed_at.date() <= today),
            pgic_improved=_pgic_improved(pgic, thresholds),
        )

    windows = split_windows(check_ins, thresholds)
    first_day = windows.baseline[0].recorded_at.date()
    days = max(0, (today - first_day).days)
    session_count = sum(1 for s in sessions if first_day <= s.performed_at.date() <= today)
    trial_complete = (
        session_count >= thresholds.trial_sessions or days >= thresholds.trial_days
    )
    still_needed: list[str] = []
    if len(windows.baseline) < minimum:
        still_needed.append(
            words.count("need_baseline_check_ins", minimum - len(windows.baseline)))
    if len(windows.current) < minimum:
        still_needed.append(
            words.count("need_current_check_ins", minimum - len(windows.current)))
    if not trial_complete:
        still_needed.append(words.say(
            "need_trial",
            sessions_left=words.count("more_sessions", thresholds.trial_sessions - session_count),
            days_left=words.count("more_days", thresholds.trial_days - days),
        ))
    pain_start, psfs_start = baseline_levels(windows, thresholds)
    too_early = ResponseSummary(
        Verdict.TOO_EARLY,
        words.say("too_early_headline"),
        words.say("too_early_detail", needs=words.say("list_and").join(still_needed)),
        sessions=session_count,
        days_since_first_entry=days,
        trial_complete=trial_complete,
        still_needed=tuple(still_needed),
        pgic_improved=_pgic_improved(pgic, thresholds),
        pain_baseline=pain_start,
        psfs_baseline=psfs_start,
        baseline_entries=len(windows.baseline),
        current_entries=len(windows.current),
    )
    if len(windows.baseline) < minimum or len(windows.current) < minimum:
        return too_early
    measured = _measure(windows, too_early, thresholds)
    return _judge(measured, thresholds)


def _measure(
    windows: Windows, summary: ResponseSummary, thresholds: ProgressThresholds
) -> ResponseSummary:
    """Fill in the numbers (levels, changes, which rules were met); the verdict comes later."""
    pain_base = _mean([c.pain_now for c in windows.baseline])
    pain_now = _mean([c.pain_now for c in windows.current])
    pain_change = _round(pain_now - pain_base, 1)
    pain_percent = (
        _round((pain_now - pain_base) / pain_base * 100.0, 0) if pain_base > 0 else None
    )
    psfs_base = psfs_window_mean(windows.baseline)
    psfs_now = psfs_window_mean(windows.current)
    psfs_change = (
        _round(psfs_now - psfs_base, 1)
        if psfs_base is not None and psfs_now is not None else None
    )
    activity_changes = _activity_changes(windows)
    improved_by = _pain_reasons(-pain_change, pain_percent, thresholds, better=True)
    worse_by = _pain_reasons(pain_change, pain_percent, thresholds, better=False)
    if psfs_change is not None and psfs_change >= thresholds.psfs_mean_change_points:
        improved_by.append("psfs_mean")
    if psfs_change is not None and -psfs_change >= thresholds.psfs_mean_change_points:
        worse_by.append("psfs_mean")
    return replace(
        summary,
        pain_baseline=_round(pain_base, 1),
        pain_current=_round(pain_now, 1),
        pain_change_points=pain_change,
        pain_change_percent=pain_percent,
        psfs_baseline=None if psfs_base is None else _round(psfs_base, 1),
        psfs_current=None if psfs_now is None else _round(psfs_now, 1),
        psfs_change=psfs_change,
        psfs_activity_changes=activity_changes,
        activities_meaningfully_better=tuple(
            a for a, change in activity_changes.items()
            if change >= thresholds.psfs_activity_change_points
        ),
        improved_by=tuple(improved_by),
        worse_by=tuple(worse_by),
    )


def _judge(m: ResponseSummary, thresholds: ProgressThresholds) -> ResponseSummary:
    """Name the verdict and write the patient's headline and detail from measured numbers."""
    words = thresholds.wording
    assert m.pain_baseline is not None and m.pain_current is not None
    assert m.pain_change_points is not None
    context = {
        "pain_baseline": _one_decimal(m.pain_baseline),
        "pain_current": _one_decimal(m.pain_current),
        "sessions": words.count("sessions", m.sessions),
        "days": words.count("days", m.days_since_first_entry or 0),
    }
    psfs_line = (
        [words.say("psfs_line", psfs_baseline=_one_decimal(m.psfs_baseline),
                   psfs_current=_one_decimal(m.psfs_current))]
        if m.psfs_baseline is not None and m.psfs_current is not None else []
    )
    pain_worse = any(r.startswith("pain") for r in m.worse_by)
    pain_better = any(r.startswith("pain") for r in m.improved_by)

    if m.worse_by and m.trial_complete:
        headline = (
            words.say("worse_pain_headline", pain_rise=_one_decimal(m.pain_change_points))
            if pain_worse else
            words.say("worse_psfs_headline", psfs_drop=_one_decimal(-(m.psfs_change or 0.0)))
        )
        detail = _join([words.say("worse_detail", **context), *psfs_line])
        return replace(m, verdict=Verdict.WORSE, headline=headline, detail=detail,
                       still_needed=())

    if m.improved_by and not m.worse_by:
        headline = (
            words.say("improved_pain_headline",
                      pain_drop=_one_decimal(-m.pain_change_points),
                      pain_drop_percent=_whole(-(m.pain_change_percent or 0.0)))
            if pain_better else
            words.say("improved_psfs_headline", psfs_gain=_one_decimal(m.psfs_change or 0.0))
        )
        parts = [words.say("improved_detail", **context), *psfs_line]
        if m.pgic_improved:
            parts.append(words.say("pgic_improved_line"))
        if not m.trial_complete:
            parts.append(words.say("improved_early_note"))
        return replace(m, verdict=Verdict.MEANINGFUL_IMPROVEMENT, headline=headline,
                       detail=_join(parts), still_needed=())

    if not m.trial_complete:
        return m  # still too early: keeps the too_early wording and what is still needed

    detail = _join([words.say("no_change_detail", **context), *psfs_line])
    return replace(m, verdict=Verdict.NO_MEANINGFUL_CHANGE,
                   headline=words.say("no_change_headline"), detail=detail, still_needed=())


def _pain_reasons(
    amount: float, percent: float | None, thresholds: ProgressThresholds, *, better: bool
) -> list[str]:
    """Which pain rules a move of `amount` points (positive = in the direction asked) meets,
    filtered by the clinic's mode."""
    share = None if percent is None else (-percent if better else percent)
    by_points = amount >= thresholds.pain_change_points
    by_percent = share is not None and share >= thresholds.pain_change_percent
    mode = thresholds.pain_threshold_mode
    if mode == "percent" and percent is None:
        mode = "points"  # baseline 0: no percentage, the points rule decides
    reasons: list[str] = []
    if by_points and mode in ("points", "either"):
        reasons.append("pain_points")
    if by_percent and mode in ("percent", "either"):
        reasons.append("pain_percent")
    return reasons


def _activity_changes(windows: Windows) -> dict[str, float]:
    def per_activity(entries: Iterable[CheckIn]) -> dict[str, float]:
        ratings: dict[str, list[int]] = defaultdict(list)
        for c in entries:
            for activity_id, rating in c.psfs.items():
                ratings[activity_id].append(rating)
        return {a: sum(r) / len(r) for a, r in ratings.items()}

    before = per_activity(windows.baseline)
    after = per_activity(windows.current)
    return {a: _round(after[a] - before[a], 1) for a in before if a in after}


def _pgic_improved(pgic: Sequence[PgicAnswer], thresholds: ProgressThresholds) -> bool | None:
    if not pgic:
        return None
    latest = max(pgic, key=lambda p: p.recorded_at)
    return latest.rating <= thresholds.pgic_improved_max


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def _round(value: float, places: int) -> float:
    """Round half away from zero, as people round (Python's round() goes to even)."""
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(repr(round(value, 9)))
    return float(exact.quantize(quantum, rounding=ROUND_HALF_UP))


def _one_decimal(value: float | None) -> str:
    assert value is not None
    return f"{_round(value, 1):.1f}"


def _whole(value: float) -> str:
    return f"{_round(value, 0):.0f}"


def _join(parts: Sequence[str]) -> str:
    return " ".join(p for p in parts if p)


# -- soreness after needling ------------------------------------------------------------


@dataclass(frozen=True)
class SorenessCurve:
    """Soreness readings after one session, as (hours since the session, soreness)."""

    session_id: str
    performed_at: datetime
    regions: tuple[str, ...]
    points: tuple[tuple[float, int], ...]
    not_settling: bool
    rising: bool

    @property
    def flagged(self) -> bool:
        return self.not_settling or self.rising


def soreness_curves(
    sessions: Sequence[NeedlingSession],
    soreness: Sequence[SorenessEntry],
    thresholds: ProgressThresholds,
) -> list[SorenessCurve]:
    """One curve per session that has soreness readings, oldest session first.

    not_settling: the latest reading beyond `soreness_settle_hours` is above 0 and not
    lower than the first reading. rising: a reading taken after
    `soreness_rising_after_hours` is higher than the reading before it.
    """
    by_session: dict[str, list[SorenessEntry]] = defaultdict(list)
    for entry in soreness:
        by_session[entry.session_id].append(entry)
    curves: list[SorenessCurve] = []
    for session in sorted(sessions, key=lambda s: s.performed_at):
        readings = sorted(by_session.get(session.id, ()), key=lambda e: e.recorded_at)
        if not readings:
            continue
        points = tuple(
            (max(0.0, (r.recorded_at - session.performed_at).total_seconds() / 3600.0),
             r.soreness)
            for r in readings
        )
        curves.append(SorenessCurve(
            session_id=session.id,
            performed_at=session.performed_at,
            regions=session.regions,
            points=points,
            not_settling=_not_settling(points, thresholds.soreness_settle_hours),
            rising=_rising(points, thresholds.soreness_rising_after_hours),
        ))
    return curves


def _not_settling(points: Sequence[tuple[float, int]], settle_hours: float) -> bool:
    beyond = [p for p in points if p[0] > settle_hours]
    if not beyond:
        return False
    latest = beyond[-1][1]
    return latest > 0 and latest >= points[0][1]


def _rising(points: Sequence[tuple[float, int]], after_hours: float) -> bool:
    return any(
        later[0] > after_hours and later[1] > earlier[1]
        for earlier, later in pairwise(points)
    )


# -- logging adherence -----------------------------------------------------------------


def adherence(check_ins: Iterable[CheckIn], start: date, end: date) -> dict[date, int]:
    """Check-ins per calendar day from `start` to `end` inclusive (0 for days not logged)."""
    counts = {start + timedelta(days=i): 0 for i in range((end - start).days + 1)}
    for c in check_ins:
        day = c.recorded_at.date()
        if day in counts:
            counts[day] += 1
    return counts


def stopped_logging(
    check_ins: Sequence[CheckIn], today: date, thresholds: ProgressThresholds
) -> bool:
    """True when the last check-in is `stopped_logging_days` days ago or more.

    A patient who never logged has not *stopped*: False (the dashboard shows "not started"
    from the empty record instead).
    """
    if not check_ins:
        return False
    last = max(c.recorded_at for c in check_ins).date()
    return (today - last).days >= thresholds.stopped_logging_days


def rolling_daily_mean(
    values: Sequence[tuple[datetime, float]], days: int
) -> list[tuple[date, float]]:
    """For each day with values, the mean of all values in the `days` days ending that day.

    `values` must be in time order. Linear time: one pass with a sliding window.
    """
    result: list[tuple[date, float]] = []
    total = 0.0
    start = 0
    dates = [v[0].date() for v in values]
    for i, (_when, value) in enumerate(values):
        total += value
        day = dates[i]
        while (day - dates[start]).days >= days:
            total -= values[start][1]
            start += 1
        if i + 1 < len(values) and dates[i + 1] == day:
            continue  # emit once per day, after its last value
        result.append((day, total / (i + 1 - start)))
    return result


def day_label(day: date | datetime) -> str:
    """A short day for people, e.g. "Mon 3 Nov" (portable: no %-d)."""
    return f"{day:%a} {day.day} {day:%b}"


__all__ = [
    "PAIN_MODES",
    "PainMode",
    "Plural",
    "ProgressRecord",
    "ProgressThresholds",
    "ProgressWording",
    "ResponseSummary",
    "SorenessCurve",
    "ThresholdsError",
    "Verdict",
    "Windows",
    "adherence",
    "assess_response",
    "baseline_levels",
    "day_label",
    "meaningful_pain_change",
    "parse_thresholds",
    "psfs_mean",
    "psfs_window_mean",
    "rolling_daily_mean",
    "soreness_curves",
    "split_windows",
    "stopped_logging",
]
