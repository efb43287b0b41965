"""Sharing codes typed the way people type them."""

from __future__ import annotations

import pytest

from app.domain.sharing_codes import format_code, normalise_code


@pytest.mark.parametrize("typed", [
    "B392-A923-F4F8", "b392 a923 f4f8", "b392a923f4f8", " B392 - A923 - F4F8 ",
    "b392–a923–f4f8", "B392A923-F4F8\n",
])
def test_case_spaces_and_dashes_do_not_matter(typed: str) -> None:
    assert normalise_code(typed) == "B392-A923-F4F8"


def test_a_wrong_length_stays_wrong() -> None:
    assert normalise_code("b392 a923") == "B392 A923"


def test_format_code_groups_twelve_characters() -> None:
    assert format_code("b392a923f4f8") == "B392-A923-F4F8"
