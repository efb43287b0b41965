"""Every kind of invalid report is refused with a ReportError naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.errors import InvalidInput
from app.domain.guidance import ReportError, parse_report, parse_report_json
from tests.domain.guidance.examples import VALID

INVALID = [
    ("unknown_top_level_key", {"soreness": 4}, "soreness"),
    ("hours_bool", {"hours_since_needling": True}, "hours_since_needling"),
    ("hours_text", {"hours_since_needling": "30"}, "hours_since_needling"),
    ("hours_negative", {"hours_since_needling": -1}, "hours_since_needling"),
    ("hours_nan", {"hours_since_needling": float("nan")}, "hours_since_needling"),
    ("hours_inf", {"hours_since_needling": float("inf")}, "hours_since_needling"),
    ("soreness_bool", {"soreness_now": False}, "soreness_now"),
    ("soreness_11", {"soreness_now": 11}, "soreness_now"),
    ("soreness_negative", {"soreness_now": -1}, "soreness_now"),
    ("soreness_fraction", {"soreness_now": 4.5}, "soreness_now"),
    ("soreness_nan", {"soreness_now": float("nan")}, "soreness_now"),
    ("soreness_text", {"soreness_now": "4"}, "soreness_now"),
    ("pain_now_bool", {"pain_now": True}, "pain_now"),
    ("pain_now_out_of_range", {"pain_now": 12}, "pain_now"),
    ("pain_usual_inf", {"pain_usual": float("-inf")}, "pain_usual"),
    ("pain_usual_list", {"pain_usual": [5]}, "pain_usual"),
    ("trend_unknown_word", {"soreness_trend": "improving"}, "soreness_trend"),
    ("trend_wrong_case", {"soreness_trend": "Better"}, "soreness_trend"),
    ("trend_number", {"soreness_trend": 1}, "soreness_trend"),
    ("regions_not_a_list", {"needled_regions": "lumbar"}, "needled_regions"),
    ("regions_unknown", {"needled_regions": ["lower_back"]}, "needled_regions"),
    ("regions_duplicate", {"needled_regions": ["neck", "neck"]}, "needled_regions"),
    ("regions_non_text", {"needled_regions": [1]}, "needled_regions"),
    ("symptoms_unknown", {"symptoms": ["headache"]}, "symptoms"),
    ("symptoms_duplicate", {"symptoms": ["fever", "fever"]}, "symptoms"),
    ("symptoms_null", {"symptoms": None}, "symptoms"),
    ("symptoms_not_a_list", {"symptoms": "fever"}, "symptoms"),
    ("symptoms_dict", {"symptoms": {"fever": True}}, "symptoms"),
    ("temperature_too_low", {"temperature_c": 33.9}, "temperature_c"),
    ("temperature_too_high", {"temperature_c": 43.1}, "temperature_c"),
    ("temperature_fahrenheit", {"temperature_c": 101.3}, "temperature_c"),
    ("temperature_typing_slip", {"temperature_c": 385}, "temperature_c"),
    ("temperature_text", {"temperature_c": "38"}, "temperature_c"),
    ("temperature_bool", {"temperature_c": True}, "temperature_c"),
    ("temperature_nan", {"temperature_c": float("nan")}, "temperature_c"),
    ("temperature_huge", {"temperature_c": 10**400}, "temperature_c"),
    ("hours_huge", {"hours_since_needling": 10**400}, "hours_since_needling"),
    ("score_huge", {"pain_now": 10**400}, "pain_now"),
    ("risk_factor_unknown", {"risk_factors": ["smoker"]}, "risk_factors"),
    ("risk_factor_duplicate", {"risk_factors": ["age_over_50", "age_over_50"]}, "risk_factors"),
    ("risk_factors_not_a_list", {"risk_factors": "blood_thinners"}, "risk_factors"),
]


@pytest.mark.parametrize(
    ("changes", "field"), [(c, f) for _, c, f in INVALID], ids=[i for i, _, _ in INVALID]
)
def test_invalid_field_is_named(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_report({**VALID, **changes})
    assert caught.value.field == field
    assert field in str(caught.value)
    assert isinstance(caught.value, InvalidInput)


def test_missing_symptoms_key_is_refused() -> None:
    raw = {k: v for k, v in VALID.items() if k != "symptoms"}
    with pytest.raises(ReportError) as caught:
        parse_report(raw)
    assert caught.value.field == "symptoms"


@pytest.mark.parametrize("raw", [[], "text", 3, None])
def test_report_must_be_an_object(raw: object) -> None:
    with pytest.raises(ReportError) as caught:
        parse_report(raw)
    assert caught.value.field == "report"


def test_missing_keys_mean_null() -> None:
    report = parse_report({"symptoms": []})
    assert report.hours_since_needling is None
    assert report.needled_regions is None
    assert report.soreness_now is None
    assert report.soreness_trend is None
    assert report.pain_now is None and report.pain_usual is None


def test_whole_floats_are_accepted_as_scores_and_round_trip() -> None:
    report = parse_report({**VALID, "soreness_now": 4.0, "hours_since_needling": 30.0})
    assert report.soreness_now == 4 and isinstance(report.soreness_now, int)
    assert parse_report(report.to_json()) == report
    assert report.to_json()["hours_since_needling"] == 30


def test_fractional_hours_are_kept() -> None:
    assert parse_report({**VALID, "hours_since_needling": 24.5}).hours_since_needling == 24.5


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"symptoms": [], "soreness_now": NaN}', "report"),
        ('{"symptoms": [], "hours_since_needling": Infinity}', "report"),
        ('{"symptoms": [], "soreness_now": 2, "soreness_now": 9}', "soreness_now"),
        ('{"symptoms": [', "report"),
        ("", "report"),
        ('{"symptoms": [], "extra": 1}', "extra"),
    ],
    ids=["nan_literal", "infinity_literal", "repeated_key", "truncated", "empty", "unknown_key"],
)
def test_json_text_is_parsed_strictly(text: str, field: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_report_json(text)
    assert caught.value.field == field


def test_new_keys_are_optional_and_old_reports_stay_valid() -> None:
    old = parse_report(VALID)
    assert old.risk_factors == () and old.temperature_c is None
    new = parse_report(
        {**VALID, "risk_factors": ["blood_thinners"], "temperature_c": 34,
         "symptoms": ["both_legs", "pain_on_breathing_in", "arm_weakness", "worried_other"]}
    )
    assert new.temperature_c == 34.0 and new.risk_factors == ("blood_thinners",)
    assert parse_report(new.to_json()) == new
    assert parse_report({**VALID, "temperature_c": 43, "risk_factors": None}).temperature_c == 43


@pytest.mark.parametrize(
    "text",
    [
        '{"pain_now": ' + "9" * 400 + ', "symptoms": []}',
        '{"pain_now": ' + "9" * 5000 + ', "symptoms": []}',
        "[" * 1000 + "]" * 1000,
        '{"symptoms": ' + "[" * 1000 + "]" * 1000 + "}",
    ],
    ids=["400_digits", "5000_digits", "nested_1000", "nested_1000_in_symptoms"],
)
def test_oversized_numbers_and_deep_nesting_are_refused_not_crashed(text: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_report_json(text)
    assert len(str(caught.value)) < 300
