"""The one digest every secret handed to a person is kept under, and how long one works
in words."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from app.domain.invitations import VALID_FOR as INVITATION_VALID_FOR
from app.domain.invitations import code_digest
from app.domain.tokens import token_digest, valid_for_words
from app.domain.two_step import recovery_digest


def test_a_secret_is_kept_as_its_sha256() -> None:
    assert token_digest("abc") == token_digest("abc") != token_digest("abd")
    assert token_digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert len(token_digest("abc")) == 64


def test_a_lone_surrogate_from_a_url_is_digested_not_raised() -> None:
    assert len(token_digest("ab\udc80")) == 64


def test_typed_codes_are_digested_in_their_compact_form() -> None:
    assert code_digest("k7qm-4xpd-9rta") == token_digest("K7QM4XPD9RTA")
    assert recovery_digest("abcde-fghjk") == token_digest("ABCDEFGHJK")


def test_how_long_a_link_works_in_words() -> None:
    assert valid_for_words(timedelta(hours=1)) == "1 hour"
    assert valid_for_words(INVITATION_VALID_FOR) == "72 hours"
    assert valid_for_words(timedelta(hours=2, minutes=59)) == "2 hours"
