"""Invitation codes as people type them, and the rules of an invitation (single use,
72 hours, withdrawn)."""

from __future__ import annotations

import re
from datetime import timedelta

from app.domain.accounts import Role
from app.domain.invitations import (
    ALPHABET,
    VALID_FOR,
    Invitation,
    InvitationState,
    code_digest,
    compact_code,
    expiry,
    new_code,
)
from tests.conftest import START


def test_a_code_is_twelve_crockford_characters_in_three_groups() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-"
                            r"[0-9A-HJKMNP-TV-Z]{4}", code), code
    assert len(ALPHABET) == 32 and not set("ILOU") & set(ALPHABET)  # 5 bits each: 60


def test_case_spaces_dashes_and_look_alikes_do_not_matter() -> None:
    shown = "K7QM-4XPD-9RT1"
    for typed in ("k7qm-4xpd-9rt1", "K7QM4XPD9RT1", " k7qm 4xpd 9rt1 ", "K7QM–4XPD–9RTl",
                  "k7qm.4xpd.9rti"):
        assert code_digest(typed) == code_digest(shown), typed
    assert compact_code("o0") == "00"
    assert code_digest("K7QM-4XPD-9RT2") != code_digest(shown)


def test_the_digest_is_not_the_code() -> None:
    code = new_code()
    assert compact_code(code) not in code_digest(code)
    assert len(code_digest(code)) == 64


def _invitation(state: InvitationState = InvitationState.PENDING) -> Invitation:
    return Invitation("i1", code_digest("AAAA-BBBB-CCCC"), "new@example.com",
                      Role.THERAPIST, "admin", START, expiry(START), state)


def test_usable_for_72_hours_only_while_pending() -> None:
    assert timedelta(hours=72) == VALID_FOR
    pending = _invitation()
    assert pending.usable(START + VALID_FOR - timedelta(seconds=1))
    assert not pending.usable(START + VALID_FOR)
    assert pending.expired(START + VALID_FOR)
    assert not _invitation(InvitationState.ACCEPTED).usable(START)
    assert not _invitation(InvitationState.REVOKED).usable(START)
    assert not _invitation(InvitationState.REVOKED).expired(START + VALID_FOR)
