"""The password policy, applied whenever someone *chooses* a password (a new account, a
change, a reset), never at sign-in: an account whose password predates the policy still
signs in, and is asked for a stronger one only when it next changes it.

Two rules (issue 14): at least `MIN_CHARS` characters, and not among the commonly guessed
ones. "Commonly guessed" is zxcvbn's estimate (Dropbox's strength estimator: common
passwords, names, dictionary words, keyboard patterns, dates, l33t spellings); a score of
`MIN_SCORE` (3 of 4) means "safely unguessable: moderate protection from an offline attack"
in its own words, which is what a health app's password should be. The person's own email
and name are given to it too, so "alex@example.com" reversed is not a good password.

A refusal says what to do in plain words, not a score.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from zxcvbn import zxcvbn

from app.domain.errors import InvalidInput

MIN_CHARS: Final = 10
MIN_SCORE: Final = 3  # zxcvbn's 0-4 scale
# zxcvbn's matching grows quickly with length; a password this long is not "commonly
# guessed" whatever its start, so only its start is estimated.
_ESTIMATED_CHARS: Final = 64
TOO_SHORT: Final = f"Use at least {MIN_CHARS} characters."
TOO_EASY: Final = "This password is too easy to guess: add a few unrelated words."


def password_problem(password: str, related: Iterable[str] = ()) -> str | None:
    """Why `password` may not be chosen, in plain words, or None if it may. `related`:
    words about the person (email, name) that make a password easier to guess."""
    if len(password) < MIN_CHARS:
        return TOO_SHORT
    if len(password) >= _ESTIMATED_CHARS:
        return None
    inputs = [w for word in related for w in _pieces(word)]
    if zxcvbn(password, user_inputs=inputs)["score"] < MIN_SCORE:
        return TOO_EASY
    return None


def check_new_password(password: str, related: Iterable[str] = (),
                       field: str = "password") -> None:
    """InvalidInput on `field` with the reason when `password` may not be chosen."""
    problem = password_problem(password, related)
    if problem is not None:
        raise InvalidInput.one(field, problem)


def _pieces(word: str) -> list[str]:
    """An email or a name, and its parts ("alex@example.com" → alex, example, ...)."""
    lowered = word.lower()
    parts = lowered.replace("@", " ").replace(".", " ").replace("-", " ").split()
    return [lowered, *parts]
