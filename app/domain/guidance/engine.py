"""The triage engine: one SymptomReport + the Rulebook -> one Assessment.

Every rule in the rulebook is checked; all that fire are reported, and the most urgent
tier among them is the answer (emergency > call_clinic > self_care). Reasons are listed by
tier urgency, then in rulebook order, so the same report always gives the same output.

How unknown values are read (the safety stance; docs/guidance.md spells out each case):

- hours_since_needling null ("no recent session, or we do not know when") counts as
  *beyond* every soreness window, and *within* the window for breathing signs.
- needled_regions null ("not recorded") counts as if a region near the chest had been
  needled; [] means nothing was needled, so breathing signs are not blamed on needling.
- A measured temperature at or above the rulebook's fever threshold counts as the `fever`
  sign, whether or not the box was ticked (a ticked box is never overruled by a normal
  reading).
- Risk factors only ever add rules (null or missing = none reported).
- A null score or trend never satisfies a reassuring (self_care) condition; the
  `answers_missing` kind reports which answers a safe answer still needs.
- A self_care answer needs a self_care rule that speaks to the soreness itself; if none
  fires and nothing more urgent fires either, the rulebook's fallback (call_clinic) is
  used, so a gap in the rulebook can never produce a reassuring answer.
- Under an urgent answer (emergency or call_clinic) the self_care rules that also fired
  are left out of the reasons: nothing reassuring is shown under an urgent answer. Under
  an emergency the `answers_missing` reason is left out too: "add the missing answers and
  check again" must not delay getting help.

Each condition kind is a small function below; its numbers come from rulebook.thresholds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from app.domain.guidance.report import SymptomReport
from app.domain.guidance.rulebook import (
    ASKED_FIELDS,
    KINDS,
    MISSING_PLACEHOLDER,
    TIERS,
    Rule,
    Rulebook,
    Thresholds,
    Tier,
)

FEVER: Final = "fever"  # the checklist key a measured fever counts as


@dataclass(frozen=True)
class Reason:
    """One rule that fired, as the patient (and an auditor) sees it."""

    rule: str
    text: str
    source: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text, "source": self.source}


@dataclass(frozen=True)
class Assessment:
    level: Tier
    reasons: tuple[Reason, ...]  # never empty
    advice: str
    check_again_hours: int

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "reasons": [reason.to_json() for reason in self.reasons],
            "advice": self.advice,
            "check_again_hours": self.check_again_hours,
        }

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(reason.rule for reason in self.reasons)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Assessment:
        level = raw["level"]
        if level not in TIERS:
            raise ValueError(f"unknown guidance level {level!r}")
        return cls(
            level=level,
            reasons=tuple(
                Reason(rule=str(r["rule"]), text=str(r["text"]), source=str(r["source"]))
                for r in raw["reasons"]
            ),
            advice=str(raw["advice"]),
            check_again_hours=int(raw["check_again_hours"]),
        )


def assess(report: SymptomReport, rulebook: Rulebook) -> Assessment:
    """Triage one report. Pure and deterministic."""
    facts = _Facts(report, rulebook.thresholds)
    fired = [rule for rule in rulebook.rules if _CONDITIONS[rule.kind](facts, rule)]
    if not any(rule.tier != "self_care" or _answers_soreness(rule) for rule in fired):
        fired.append(rulebook.fallback)
    order = {rule.id: index for index, rule in enumerate((*rulebook.rules, rulebook.fallback))}
    fired.sort(key=lambda rule: (TIERS.index(rule.tier), order[rule.id]))
    level = fired[0].tier
    if level != "self_care":
        fired = [rule for rule in fired if rule.tier != "self_care"]
    if level == "emergency":  # "add the missing answers and check again" would delay help
        fired = [rule for rule in fired if rule.kind != "answers_missing"]
    advice = rulebook.tiers[level]
    return Assessment(
        level=level,
        reasons=tuple(
            Reason(rule=rule.id, text=_text(rule, facts, rulebook), source=rule.source_text)
            for rule in fired
        ),
        advice=advice.advice,
        check_again_hours=advice.check_again_hours,
    )


def _answers_soreness(rule: Rule) -> bool:
    spec = KINDS.get(rule.kind)
    return spec is not None and spec.answers_soreness


def _text(rule: Rule, facts: _Facts, rulebook: Rulebook) -> str:
    if rule.kind != "answers_missing":
        return rule.text
    labels = "; ".join(rulebook.field_labels[name] for name in facts.missing_answers())
    return rule.text.replace("{" + MISSING_PLACEHOLDER + "}", labels)


class _Facts:
    """The report read through the thresholds, with the cautious reading of unknowns."""

    def __init__(self, report: SymptomReport, thresholds: Thresholds) -> None:
        self.report = report
        self.limits = thresholds
        symptoms = set(report.symptoms)
        temperature = report.temperature_c
        if temperature is not None and temperature >= thresholds.fever_temperature_c:
            symptoms.add(FEVER)
        self.symptoms = frozenset(symptoms)
        self.risk_factors = frozenset(report.risk_factors)
        self.hours = report.hours_since_needling

    def has_any(self, keys: frozenset[str]) -> bool:
        return not self.symptoms.isdisjoint(keys)

    def beyond(self, hours: float) -> bool:
        """Past a window: strictly more hours, or not known when (or whether) needled."""
        return self.hours is None or self.hours > hours

    def within(self, hours: float) -> bool:
        """Known to be inside a window (a reassuring reading needs a known time)."""
        return self.hours is not None and self.hours <= hours

    def missing_answers(self) -> list[str]:
        """Answers a safe (self_care) reading still needs, in a fixed order."""
        r, limits = self.report, self.limits
        severe = r.soreness_now is not None and r.soreness_now >= limits.severe_soreness
        needed = {
            "soreness_now": r.soreness_now is None,
            # Strong soreness on the first day is usual only if it is not rising.
            "soreness_trend": r.soreness_trend is None
            and (severe or self.beyond(limits.first_day_hours)),
            # Severe pain well above the usual level needs a call at any time, so a
            # reassuring answer needs to know the pain now.
            "pain_now": r.pain_now is None,
            "pain_usual": r.pain_usual is None and self.beyond(limits.settle_hours),
        }
        return [name for name in ASKED_FIELDS if needed[name]]


def _symptom(f: _Facts, rule: Rule) -> bool:
    return (
        f.has_any(rule.symptoms)
        and (not rule.with_symptoms or f.has_any(rule.with_symptoms))
        and (not rule.with_risk_factors or not f.risk_factors.isdisjoint(rule.with_risk_factors))
    )


def _symptom_with_severe_pain(f: _Facts, rule: Rule) -> bool:
    r, limits = f.report, f.limits
    severe_or_unknown = (
        r.pain_now is None
        or r.pain_now >= limits.severe_pain
        or r.soreness_now is None
        or r.soreness_now >= limits.severe_soreness
    )
    return f.has_any(rule.symptoms) and severe_or_unknown


def _symptom_near_needled_region(f: _Facts, rule: Rule) -> bool:
    regions = f.report.needled_regions
    # Unrecorded counts as near; [] says nothing was needled.
    near = regions is None or not rule.regions.isdisjoint(regions)
    in_window = f.hours is None or f.hours <= f.limits.lung_window_hours
    return f.has_any(rule.symptoms) and near and in_window


def _symptom_first_day(f: _Facts, rule: Rule) -> bool:
    return f.has_any(rule.symptoms) and f.within(f.limits.first_day_hours)


def _soreness_first_day(f: _Facts, rule: Rule) -> bool:
    return f.report.soreness_now is not None and f.within(f.limits.first_day_hours)


def _soreness_easing(f: _Facts, rule: Rule) -> bool:
    r, limits, hours = f.report, f.limits, f.hours
    if r.soreness_now is None or r.soreness_now >= limits.severe_soreness or hours is None:
        return False
    if not limits.first_day_hours < hours <= limits.settle_hours:
        return False
    return r.soreness_trend == "better" or (
        r.soreness_trend == "same" and hours <= limits.plateau_hours
    )


def _mild_and_fading(f: _Facts) -> bool:
    """Mild soreness, getting better, a little past the usual window (the tail of the
    usual curve rather than soreness that is not settling)."""
    r, limits, hours = f.report, f.limits, f.hours
    return (
        r.soreness_now is not None
        and 0 < r.soreness_now <= limits.mild_soreness
        and r.soreness_trend == "better"
        and hours is not None
        and limits.settle_hours < hours <= limits.fading_tail_hours
    )


def _soreness_fading(f: _Facts, rule: Rule) -> bool:
    return _mild_and_fading(f)


def _soreness_severe_rising(f: _Facts, rule: Rule) -> bool:
    soreness = f.report.soreness_now
    return (
        soreness is not None
        and soreness >= f.limits.severe_soreness
        and f.report.soreness_trend == "worse"
    )


def _pain_severe_above_usual(f: _Facts, rule: Rule) -> bool:
    """Severe pain that has risen well above the usual level, at any time after needling
    (an unknown usual level counts as risen)."""
    now, usual = f.report.pain_now, f.report.pain_usual
    if now is None or now < f.limits.severe_pain:
        return False
    return usual is None or now - usual >= f.limits.pain_above_usual_points


def _soreness_settled(f: _Facts, rule: Rule) -> bool:
    return f.report.soreness_now == 0 and f.report.soreness_trend in ("better", "same")


def _soreness_severe(f: _Facts, rule: Rule) -> bool:
    soreness = f.report.soreness_now
    return (
        soreness is not None
        and soreness >= f.limits.severe_soreness
        and f.beyond(f.limits.first_day_hours)
    )


def _soreness_rising(f: _Facts, rule: Rule) -> bool:
    return f.report.soreness_trend == "worse" and f.beyond(f.limits.first_day_hours)


def _soreness_not_easing(f: _Facts, rule: Rule) -> bool:
    trend, soreness = f.report.soreness_trend, f.report.soreness_now
    # "same" or unknown at 0/10 means it has settled; "worse" counts even at 0 (the
    # contradiction is read the cautious way).
    not_easing = trend == "worse" or (trend in ("same", None) and soreness != 0)
    return not_easing and f.beyond(f.limits.plateau_hours)


def _soreness_lasting(f: _Facts, rule: Rule) -> bool:
    soreness = f.report.soreness_now
    return (
        soreness is not None
        and soreness > 0
        and f.beyond(f.limits.settle_hours)
        and not _mild_and_fading(f)
    )


def _pain_above_usual(f: _Facts, rule: Rule) -> bool:
    now, usual = f.report.pain_now, f.report.pain_usual
    if now is None or usual is None:
        return False
    return now - usual >= f.limits.pain_above_usual_points and f.beyond(f.limits.settle_hours)


def _answers_missing(f: _Facts, rule: Rule) -> bool:
    return bool(f.missing_answers())


_CONDITIONS: Final[Mapping[str, Callable[[_Facts, Rule], bool]]] = {
    "symptom": _symptom,
    "symptom_with_severe_pain": _symptom_with_severe_pain,
    "symptom_near_needled_region": _symptom_near_needled_region,
    "symptom_first_day": _symptom_first_day,
    "soreness_first_day": _soreness_first_day,
    "soreness_easing": _soreness_easing,
    "soreness_settled": _soreness_settled,
    "soreness_fading": _soreness_fading,
    "soreness_severe_rising": _soreness_severe_rising,
    "pain_severe_above_usual": _pain_severe_above_usual,
    "soreness_severe": _soreness_severe,
    "soreness_rising": _soreness_rising,
    "soreness_not_easing": _soreness_not_easing,
    "soreness_lasting": _soreness_lasting,
    "pain_above_usual": _pain_above_usual,
    "answers_missing": _answers_missing,
}
