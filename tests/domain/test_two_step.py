"""Two-step sign-in rules (app.domain.two_step): who must use it, who may turn it off, and
the recovery codes (ten, unguessable, stored as digests, typed any way)."""

from __future__ import annotations

import pytest

from app.domain import two_step as rules
from app.domain.accounts import Role


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.CARE_TEAM, Role.ADMIN])
def test_staff_must_use_it_when_the_clinic_requires_it(role: Role) -> None:
    assert rules.required_for(role, clinic_requires_staff=True)
    assert not rules.may_turn_off(role, clinic_requires_staff=True)
    assert not rules.required_for(role, clinic_requires_staff=False)
    assert rules.may_turn_off(role, clinic_requires_staff=False)


def test_it_is_optional_for_patients_whatever_the_clinic_says() -> None:
    for requires in (True, False):
        assert not rules.required_for(Role.PATIENT, requires)
        assert rules.may_turn_off(Role.PATIENT, requires)


def test_ten_recovery_codes_all_different_and_readable() -> None:
    codes = rules.new_recovery_codes()
    assert len(codes) == rules.RECOVERY_CODES == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert len(code) == 11 and code[5] == "-"
        assert not set(code.replace("-", "")) & set("01OIL")  # no look-alikes


def test_a_recovery_code_matches_its_digest_typed_any_way() -> None:
    code = rules.new_recovery_codes()[0]
    digests = (rules.recovery_digest(code), rules.recovery_digest("ABCDE-FGHJK"))
    assert code not in "".join(digests)  # only the digest is kept
    typed = f"  {code.lower().replace('-', ' ')} "
    assert rules.matching_recovery_digest(typed, digests) == digests[0]
    assert rules.matching_recovery_digest("ZZZZZ-ZZZZZ", digests) is None


def test_app_codes_are_six_digits_spaces_allowed() -> None:
    assert rules.looks_like_app_code("123456")
    assert rules.looks_like_app_code("123 456")
    assert not rules.looks_like_app_code("12345")
    assert not rules.looks_like_app_code("12345a")
    assert not rules.looks_like_app_code("١٢٣٤٥٦")  # digits, but not ASCII ones


def test_tickets_are_short_lived() -> None:
    assert rules.CODE_TICKET_LIFETIME.total_seconds() == 300
    assert rules.ENROLMENT_TICKET_LIFETIME > rules.CODE_TICKET_LIFETIME
