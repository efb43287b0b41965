"""The education page says the same numbers the engine uses, from the same rulebook."""

from __future__ import annotations

import copy
import re

import pytest

from app import paths
from app.domain.guidance import RulebookError, parse_rulebook
from app.domain.guidance.education import fill_education, span

from .conftest import RULEBOOK, raw_rulebook

PAGE = paths.EDUCATION_PAGE.read_text(encoding="utf-8")


@pytest.mark.parametrize(("hours", "words"), [
    (24, "day"), (48, "two days"), (72, "three days"), (168, "seven days"),
    (240, "10 days"), (30, "30 hours"), (36.5, "36.5 hours"),
])
def test_span_in_words(hours: float, words: str) -> None:
    assert span(hours) == words


def test_the_shipped_page_is_filled_from_the_rulebook() -> None:
    text = fill_education(PAGE, RULEBOOK)
    assert "{" not in text and "}" not in text
    th = RULEBOOK.thresholds
    assert f"soreness is {th.severe_soreness} out of 10 or more after the first day" in text
    assert f"pain is {th.severe_pain} out of 10 or more and well above your usual level" in text
    assert "not easing after two days" in text
    assert "still sore after three days, unless it is mild and fading" in text
    assert f"first {th.lung_window_hours:g} hours after needling near the chest" in text


def test_the_page_follows_an_edited_rulebook() -> None:
    raw = copy.deepcopy(raw_rulebook())
    raw["thresholds"]["severe_soreness"]["value"] = 6
    raw["thresholds"]["severe_pain"]["value"] = 8
    raw["thresholds"]["settle_hours"]["value"] = 96
    raw["thresholds"]["fading_tail_hours"]["value"] = 120
    raw["thresholds"]["lung_window_hours"]["value"] = 96
    text = fill_education(PAGE, parse_rulebook(raw))
    assert "soreness is 6 out of 10 or more" in text
    assert "pain is 8 out of 10 or more" in text
    assert "still sore after four days" in text
    assert "three days" not in text
    assert not re.search(r"\b7 out of 10", text)


def test_an_unknown_placeholder_is_refused_by_name() -> None:
    with pytest.raises(RulebookError, match=r"\{severe_sorenes\}"):
        fill_education("Soreness of {severe_sorenes} or more", RULEBOOK)
