"""The tier and the words never disagree: every emergency reason says to act now, no
call_clinic reason says "now", and no self_care reason mentions calling anyone."""

from __future__ import annotations

import pytest

from app.domain.guidance import Rule

from .conftest import RULEBOOK

RULES = [*RULEBOOK.rules, RULEBOOK.fallback]
NOW = ("now", "straight away")
URGENT_WORDS = ("call", "emergency", "doctor", "today", "clinic")


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_the_words_match_the_tier(rule: Rule) -> None:
    text = rule.text.lower()
    if rule.tier == "emergency":
        assert any(word in text for word in NOW), rule.text
        assert "today" not in text and "check again" not in text, rule.text
    elif rule.tier == "call_clinic":
        assert "help now" not in text and "checking now" not in text, rule.text
        assert "within hours" not in text, rule.text
    else:
        assert not any(word in text for word in URGENT_WORDS), rule.text


def test_the_tier_advice_matches_the_tier() -> None:
    tiers = RULEBOOK.tiers
    assert "now" in tiers["emergency"].advice.lower()
    assert "today" in tiers["call_clinic"].advice.lower()
    assert "emergency number now" not in tiers["self_care"].advice.lower()
    assert tiers["emergency"].check_again_hours == 0
