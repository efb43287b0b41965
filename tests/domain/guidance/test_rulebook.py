"""The shipped rulebook loads, is complete, and broken rulebooks are refused clearly."""

from __future__ import annotations

import copy
import re
from datetime import date
from typing import Any

import pytest

from app.domain.guidance import (
    REGION_KEYS,
    SYMPTOM_KEYS,
    TIERS,
    RulebookError,
    assess,
    parse_report,
    parse_rulebook,
)
from app.domain.guidance.engine import _CONDITIONS
from app.domain.guidance.rulebook import KINDS
from app.domain.regions import NEEDLING_REGIONS

from .conftest import RULEBOOK, raw_rulebook


def test_rulebook_loads_with_review_metadata() -> None:
    assert RULEBOOK.schema_version == 1
    assert isinstance(RULEBOOK.reviewed_on, date)
    assert RULEBOOK.reviewed_by
    raw = raw_rulebook()
    assert raw["reviewed_on"] and raw["reviewed_by"]


def test_the_fingerprint_follows_content_not_layout() -> None:
    raw = raw_rulebook()
    assert re.fullmatch(r"[0-9a-f]{16}", RULEBOOK.fingerprint)
    assert parse_rulebook(raw).fingerprint == RULEBOOK.fingerprint
    reordered = dict(reversed(list(raw.items())))
    assert parse_rulebook(reordered).fingerprint == RULEBOOK.fingerprint
    edited = copy.deepcopy(raw)
    edited["thresholds"]["first_day_hours"]["value"] = 30
    assert parse_rulebook(edited).fingerprint != RULEBOOK.fingerprint
    reworded = copy.deepcopy(raw)
    reworded["rules"][0]["text"] = reworded["rules"][0]["text"] + " "
    assert parse_rulebook(reworded).fingerprint != RULEBOOK.fingerprint


def test_every_rule_has_text_sources_and_a_known_tier() -> None:
    for rule in (*RULEBOOK.rules, RULEBOOK.fallback):
        assert rule.text.strip(), rule.id
        assert rule.sources, rule.id
        assert all(source.citation and source.short for source in rule.sources), rule.id
        assert rule.tier in TIERS


def test_no_placeholder_is_left_unfilled() -> None:
    for rule in RULEBOOK.rules:
        leftovers = set(re.findall(r"\{([a-z_]+)\}", rule.text))
        assert leftovers <= ({"missing"} if rule.kind == "answers_missing" else set()), rule.id


def test_every_tier_has_advice_and_a_check_again_time() -> None:
    for tier in TIERS:
        assert RULEBOOK.tiers[tier].advice
        assert RULEBOOK.tiers[tier].check_again_hours >= 0
    assert RULEBOOK.fallback.tier != "self_care"


def test_every_symptom_and_region_has_a_plain_label() -> None:
    assert set(RULEBOOK.symptom_labels) == set(SYMPTOM_KEYS)
    assert set(RULEBOOK.region_labels) == set(REGION_KEYS)
    assert all(label and "_" not in label for label in RULEBOOK.symptom_labels.values())


def test_region_vocabulary_matches_the_domain_regions() -> None:
    assert set(REGION_KEYS) == set(NEEDLING_REGIONS)


def test_every_kind_has_engine_logic() -> None:
    assert set(_CONDITIONS) == set(KINDS)


def test_every_symptom_is_handled_by_some_rule() -> None:
    used = {key for rule in RULEBOOK.rules for key in rule.symptoms | rule.with_symptoms}
    assert used == set(SYMPTOM_KEYS)


def _broken(edit: Any) -> dict[str, Any]:
    raw = copy.deepcopy(raw_rulebook())
    edit(raw)
    return raw


def _rule(raw: dict[str, Any], rule_id: str) -> dict[str, Any]:
    rule: dict[str, Any] = next(r for r in raw["rules"] if r["id"] == rule_id)
    return rule


BROKEN = [
    ("wrong_schema_version", lambda r: r.update(schema_version=2), "schema_version"),
    ("no_reviewed_on", lambda r: r.pop("reviewed_on"), "reviewed_on"),
    ("bad_reviewed_on", lambda r: r.update(reviewed_on="last week"), "reviewed_on"),
    ("no_reviewed_by", lambda r: r.update(reviewed_by=" "), "reviewed_by"),
    ("unknown_kind", lambda r: _rule(r, "fever")["when"].update(kind="magic"), "kind"),
    ("unknown_source", lambda r: _rule(r, "fever").update(sources=["nobody"]), "nobody"),
    ("no_sources", lambda r: _rule(r, "fever").update(sources=[]), "sources"),
    ("empty_text", lambda r: _rule(r, "fever").update(text=""), "text"),
    ("unknown_symptom", lambda r: _rule(r, "fever")["when"].update(symptoms=["flu"]), "flu"),
    ("unknown_placeholder", lambda r: _rule(r, "fever").update(text="{hours}"), "placeholder"),
    ("duplicate_id", lambda r: _rule(r, "night_pain").update(id="fever"), "unique"),
    ("threshold_order", lambda r: r["thresholds"]["plateau_hours"].update(value=80), "<"),
    ("threshold_fraction", lambda r: r["thresholds"]["severe_pain"].update(value=6.5), "whole"),
    ("threshold_missing", lambda r: r["thresholds"].pop("settle_hours"), "settle_hours"),
    (
        "wrong_uses_thresholds",
        lambda r: _rule(r, "pain_above_usual").update(uses_thresholds=[]),
        "uses_thresholds",
    ),
    ("tier_missing", lambda r: r["tiers"].pop("self_care"), "tiers"),
    (
        "bad_check_again",
        lambda r: r["tiers"]["emergency"].update(check_again_hours=-1),
        "check_again_hours",
    ),
    ("label_missing", lambda r: r["symptom_labels"].pop("fever"), "symptom_labels"),
    ("self_care_fallback", lambda r: r["fallback"].update(tier="self_care"), "fallback"),
    (
        "extra_condition_param",
        lambda r: _rule(r, "fever")["when"].update(regions=["neck"]),
        "fever",
    ),
]


@pytest.mark.parametrize(
    ("edit", "needle"), [(e, n) for _, e, n in BROKEN], ids=[i for i, _, _ in BROKEN]
)
def test_broken_rulebook_is_refused_naming_the_problem(edit: Any, needle: str) -> None:
    with pytest.raises(RulebookError) as caught:
        parse_rulebook(_broken(edit))
    assert needle in str(caught.value)


def test_thresholds_come_from_the_rulebook_not_the_code() -> None:
    report = parse_report(
        {
            "hours_since_needling": 30,
            "needled_regions": ["lumbar"],
            "soreness_now": 6,
            "soreness_trend": "better",
            "pain_now": 5,
            "pain_usual": 5,
            "symptoms": [],
        }
    )
    assert assess(report, RULEBOOK).level == "self_care"
    stricter = parse_rulebook(_broken(lambda r: r["thresholds"]["severe_soreness"].update(value=6)))
    result = assess(report, stricter)
    assert result.level == "call_clinic"
    assert "6 out of 10" in result.reasons[0].text


def test_fallback_answers_when_no_rule_speaks_to_the_soreness() -> None:
    """A rulebook with a gap must never reassure: the fallback (call_clinic) takes over."""
    gap = {"soreness_first_day", "soreness_easing", "soreness_settled", "answers_missing"}
    trimmed = parse_rulebook(
        _broken(lambda r: r.update(rules=[rule for rule in r["rules"] if rule["id"] not in gap]))
    )
    tired = parse_report(
        {
            "hours_since_needling": 5,
            "needled_regions": ["lumbar"],
            "soreness_now": 3,
            "soreness_trend": "better",
            "pain_now": 5,
            "pain_usual": 5,
            "symptoms": ["fatigue"],
        }
    )
    result = assess(tired, trimmed)
    assert result.level == "call_clinic"
    # the reassuring rule that also fired is not shown under the urgent answer
    assert result.rule_ids == ("no_rule_matched",)
