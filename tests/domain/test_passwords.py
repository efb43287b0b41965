"""The password policy: long enough, and not among the commonly guessed ones."""

from __future__ import annotations

import pytest

from app.domain.errors import InvalidInput
from app.domain.passwords import (
    MIN_CHARS,
    TOO_EASY,
    TOO_SHORT,
    check_new_password,
    password_problem,
)


@pytest.mark.parametrize("password", ["", "short", "x" * (MIN_CHARS - 1)])
def test_a_short_password_is_refused_with_the_length(password: str) -> None:
    assert password_problem(password) == TOO_SHORT == "Use at least 10 characters."


@pytest.mark.parametrize("password", ["password12", "1234567890", "qwertyuiop", "aaaaaaaaaaaa",
                                      "iloveyou2024", "Password123!"])
def test_commonly_guessed_passwords_are_refused_in_plain_words(password: str) -> None:
    assert password_problem(password) == TOO_EASY
    assert "add a few unrelated words" in TOO_EASY


def test_the_persons_own_email_and_name_make_a_password_easy() -> None:
    assert password_problem("zelinskyquentin") is None
    assert password_problem("zelinskyquentin",
                            ["qzelinsky@example.com", "Quentin Zelinsky"]) == TOO_EASY


@pytest.mark.parametrize("password", ["correct horse battery", "backtrack-test-pw",
                                      "backtrack-demo", "a-new-password", "x" * 64])
def test_unrelated_words_pass(password: str) -> None:
    assert password_problem(password) is None


def test_check_names_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_password("password12", field="new")
    assert caught.value.problems == {"new": TOO_EASY}
