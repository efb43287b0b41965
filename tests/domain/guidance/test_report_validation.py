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
