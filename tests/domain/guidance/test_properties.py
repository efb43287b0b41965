"""Safety properties over generated reports (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.guidance import (
    REGION_KEYS,
    RISK_FACTOR_KEYS,
    SYMPTOM_KEYS,
    TIERS,
    SymptomReport,
    assess,
    parse_report,
)
from app.domain.guidance.report import FIELDS

from .conftest import RULEBOOK

URGENCY = {tier: len(TIERS) - index for index, tier in enumerate(TIERS)}  # higher = more urgent
LUNG_RULE = next(r for r in RULEBOOK.rules if r.id == "lung_signs_after_needling_near_chest")
EMERGENCY_ALWAYS = {
    key
    for rule in RULEBOOK.rules
    if rule.tier == "emergency" and rule.kind == "symptom" and not rule.with_symptoms
    for key in rule.symptoms
}

scores = st.none() | st.integers(0, 10)
hours = st.none() | st.integers(0, 400) | st.floats(0, 400, allow_nan=False)
regions = st.none() | st.lists(st.sampled_from(REGION_KEYS), unique=True, max_size=4)
symptoms = st.lists(st.sampled_from(SYMPTOM_KEYS), unique=True, max_size=4)
trends = st.none() | st.sampled_from(["better", "same", "worse"])
risk_factors = st.none() | st.lists(st.sampled_from(RISK_FACTOR_KEYS), unique=True, max_size=3)
temperatures = st.none() | st.floats(34, 43, allow_nan=False)


@st.composite
def reports(draw: st.DrawFn, symptom_pool: tuple[str, ...] = SYMPTOM_KEYS) -> SymptomReport:
    raw: dict[str, Any] = {
        "hours_since_needling": draw(hours),
        "needled_regions": draw(regions),
        "soreness_now": draw(scores),
        "soreness_trend": draw(trends),
        "pain_now": draw(scores),
        "pain_usual": draw(scores),
        "symptoms": draw(st.lists(st.sampled_from(symptom_pool), unique=True, max_size=4)),
        "risk_factors": draw(risk_factors),
        "temperature_c": draw(temperatures),
    }
    return parse_report(raw)


def urgency(report: SymptomReport) -> int:
    return URGENCY[assess(report, RULEBOOK).level]


@settings(max_examples=400)
@given(reports(), st.sampled_from(SYMPTOM_KEYS))
def test_adding_a_symptom_never_lowers_the_tier(report: SymptomReport, symptom: str) -> None:
    if symptom in report.symptoms:
        return
    more = replace(report, symptoms=(*report.symptoms, symptom))
    assert urgency(more) >= urgency(report)


# Breathing signs are the one place where *more* hours is less worrying (the collapsed-lung
# window closes), so they are left out here and covered by their own floor test below.
NOT_LUNG = tuple(key for key in SYMPTOM_KEYS if key not in LUNG_RULE.symptoms)


@settings(max_examples=400)
@given(reports(NOT_LUNG), st.floats(0, 400, allow_nan=False), st.floats(0, 400, allow_nan=False))
def test_more_hours_with_worsening_soreness_never_lowers_the_tier(
    report: SymptomReport, first: float, second: float
) -> None:
    early, late = sorted((first, second))
    worse = replace(report, soreness_trend="worse")
    at_early = replace(worse, hours_since_needling=early)
    at_late = replace(worse, hours_since_needling=late)
    assert urgency(at_late) >= urgency(at_early)
    assert urgency(replace(worse, hours_since_needling=None)) >= urgency(at_late)


@settings(max_examples=400)
@given(reports(), st.sampled_from(RISK_FACTOR_KEYS))
def test_adding_a_risk_factor_never_lowers_the_tier(report: SymptomReport, factor: str) -> None:
    if factor in report.risk_factors:
        return
    more = replace(report, risk_factors=(*report.risk_factors, factor))
    assert urgency(more) >= urgency(report)


@settings(max_examples=300)
@given(reports(), st.floats(34, 43, allow_nan=False))
def test_a_higher_temperature_never_lowers_the_tier(report: SymptomReport, other: float) -> None:
    base = report.temperature_c if report.temperature_c is not None else 36.5
    low, high = sorted((base, other))
    assert urgency(replace(report, temperature_c=high)) >= urgency(
        replace(report, temperature_c=low)
    )


@settings(max_examples=300)
@given(reports())
def test_a_ticked_fever_is_never_overruled_by_a_normal_temperature(report: SymptomReport) -> None:
    ticked = replace(report, symptoms=(*[s for s in report.symptoms if s != "fever"], "fever"))
    assert urgency(replace(ticked, temperature_c=36.5)) == urgency(
        replace(ticked, temperature_c=None)
    )


@settings(max_examples=400)
@given(reports())
def test_no_reassuring_reason_under_an_urgent_answer(report: SymptomReport) -> None:
    result = assess(report, RULEBOOK)
    tiers = {rule.id: rule.tier for rule in (*RULEBOOK.rules, RULEBOOK.fallback)}
    if result.level != "self_care":
        assert all(tiers[r.rule] != "self_care" for r in result.reasons), result.to_json()
    if result.level == "emergency":
        assert "answers_missing" not in result.rule_ids
        assert not any("check again" in r.text.lower() for r in result.reasons)


# risk_factors and temperature_c are optional extras: null means "none reported" / "not
# measured", the ordinary case, and cannot honestly be read as "present" (the checklist's
# own `fever` key is the cautious path). They are covered by the two properties above.
NULLABLE = tuple(
    field for field in FIELDS if field not in ("symptoms", "risk_factors", "temperature_c")
)


@settings(max_examples=600)
@given(reports(), st.sampled_from(NULLABLE))
def test_setting_a_known_value_to_null_never_lowers_the_tier(
    report: SymptomReport, field: str
) -> None:
    changes: dict[str, Any] = {field: None}
    unknown = replace(report, **changes)
    assert urgency(unknown) >= urgency(report), (report, field)


@settings(max_examples=300)
@given(reports())
def test_output_is_deterministic(report: SymptomReport) -> None:
    first = assess(report, RULEBOOK).to_json()
    again = assess(parse_report(report.to_json()), RULEBOOK).to_json()
    assert first == again


@settings(max_examples=400)
@given(reports())
def test_result_shape_holds(report: SymptomReport) -> None:
    result = assess(report, RULEBOOK)
    assert result.reasons, "every answer, self_care included, comes with a reason"
    order = {rule.id: i for i, rule in enumerate((*RULEBOOK.rules, RULEBOOK.fallback))}
    tiers = {rule.id: rule.tier for rule in (*RULEBOOK.rules, RULEBOOK.fallback)}
    keys = [(TIERS.index(tiers[r.rule]), order[r.rule]) for r in result.reasons]
    assert keys == sorted(keys)
    assert tiers[result.reasons[0].rule] == result.level
    assert result.advice == RULEBOOK.tiers[result.level].advice
    assert result.check_again_hours == RULEBOOK.tiers[result.level].check_again_hours
    assert all(r.text and r.source and "{" not in r.text for r in result.reasons)


@settings(max_examples=300)
@given(reports(), st.sampled_from(sorted(EMERGENCY_ALWAYS)))
def test_red_flag_signs_are_emergency_whatever_else_is_said(
    report: SymptomReport, symptom: str
) -> None:
    if symptom not in report.symptoms:
        report = replace(report, symptoms=(*report.symptoms, symptom))
    assert assess(report, RULEBOOK).level == "emergency"


@settings(max_examples=300)
@given(reports(), st.sampled_from(sorted(LUNG_RULE.symptoms)))
def test_breathing_signs_are_never_self_care(report: SymptomReport, symptom: str) -> None:
    if symptom not in report.symptoms:
        report = replace(report, symptoms=(*report.symptoms, symptom))
    assert assess(report, RULEBOOK).level != "self_care"


@settings(max_examples=300)
@given(reports())
def test_self_care_only_with_a_complete_soreness_picture(report: SymptomReport) -> None:
    result = assess(report, RULEBOOK)
    if result.level == "self_care":
        assert report.soreness_now is not None
        assert set(result.rule_ids) & {
            "soreness_first_day", "soreness_easing", "soreness_settled", "soreness_fading"
        }
