"""Every patient-facing sentence of the rulebook and the education page is short and at a
reading level a tired patient can follow (textstat; the Sources section and citations are
for reviewers, not patients, and are left out)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import textstat

from app import paths
from app.domain.guidance.education import fill_education

from .conftest import RULEBOOK

MAX_WORDS = 25
# Flesch-Kincaid grade of one sentence. A single sentence is a small sample (one long word
# moves it a lot), so each may reach grade 9; the whole text must average grade 8 or less.
MAX_SENTENCE_GRADE = 9.0
MAX_TEXT_GRADE = 8.0
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def rulebook_texts() -> Iterator[tuple[str, str]]:
    for tier in RULEBOOK.tiers.values():
        yield f"tiers.{tier.tier}.label", tier.label
        yield f"tiers.{tier.tier}.advice", tier.advice
    for rule in (*RULEBOOK.rules, RULEBOOK.fallback):
        yield f"rules.{rule.id}", rule.text.replace("{missing}", "your back pain now")
    for group in ("symptom_labels", "risk_factor_labels", "region_labels", "field_labels"):
        for key, label in getattr(RULEBOOK, group).items():
            yield f"{group}.{key}", label


def education_texts() -> Iterator[tuple[str, str]]:
    page = fill_education(paths.EDUCATION_PAGE.read_text(encoding="utf-8"), RULEBOOK)
    patient_part = page.split("## Sources")[0]
    paragraph: list[str] = []
    for line in [*patient_part.splitlines(), ""]:
        plain = re.sub(r"[*_#]", "", line).strip()
        if plain.startswith("- "):  # a bullet is read as one sentence
            yield "education", plain[2:].rstrip(",.")
        elif plain:
            paragraph.append(plain)
        elif paragraph:
            yield "education", " ".join(paragraph)
            paragraph = []


ALL = [(where, s) for where, text in (*rulebook_texts(), *education_texts())
       for s in sentences(text)]


def test_there_is_plenty_of_text_to_measure() -> None:
    assert len(ALL) > 150


@pytest.mark.parametrize(("where", "sentence"), ALL, ids=[f"{w}:{s[:30]}" for w, s in ALL])
def test_every_sentence_is_short_and_plain(where: str, sentence: str) -> None:
    words = len(sentence.split())
    assert words <= MAX_WORDS, f"{where}: {words} words: {sentence}"
    grade = textstat.flesch_kincaid_grade(sentence)
    assert grade <= MAX_SENTENCE_GRADE, f"{where}: grade {grade}: {sentence}"


def test_the_whole_text_reads_at_grade_8_or_below() -> None:
    text = " ".join(s if s.endswith((".", "?", "!")) else s + "." for _, s in ALL)
    assert textstat.flesch_kincaid_grade(text) <= MAX_TEXT_GRADE
