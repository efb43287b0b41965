"""docs/guidance.md lists every rule, key and source of the shipped rulebook, says what
each source shows, and keeps saying the rulebook awaits clinical sign-off."""

from __future__ import annotations

from pathlib import Path

from app.domain.guidance import RISK_FACTOR_KEYS, SYMPTOM_KEYS

from .conftest import RULEBOOK

DOC = (Path(__file__).resolve().parents[3] / "docs" / "guidance.md").read_text("utf-8")


def test_every_rule_key_and_source_is_documented() -> None:
    for rule in (*RULEBOOK.rules, RULEBOOK.fallback):
        assert f"| `{rule.id}`" in DOC, rule.id
    for key in (*SYMPTOM_KEYS, *RISK_FACTOR_KEYS, *RULEBOOK.thresholds.__dataclass_fields__):
        assert f"`{key}`" in DOC, key
    for source in RULEBOOK.sources.values():
        assert f"| {source.short} | {source.citation} | {source.shows} |" in DOC, source.key


def test_the_rulebook_still_awaits_clinical_sign_off() -> None:
    assert "awaiting sign-off" in RULEBOOK.reviewed_by
    assert "awaiting clinical sign-off" in DOC
