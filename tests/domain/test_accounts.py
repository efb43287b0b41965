"""Sign-up field checks and the rule of who may read a patient's data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.accounts import (
    EMAIL_MAX_CHARS,
    PASSWORD_MIN_CHARS,
    Account,
    Role,
    check_new_account,
    is_valid_email,
    may_read_patient,
    normalise_email,
)
from app.domain.errors import InvalidInput

GOOD_PASSWORD = "correct horse"


def test_valid_account_fields_are_cleaned() -> None:
    assert check_new_account("  Alex@Example.COM ", "  Alex   Morgan ", GOOD_PASSWORD) == (
        "alex@example.com", "Alex Morgan")


def test_normalise_email_is_case_and_space_insensitive() -> None:
    assert normalise_email(" A@B.Co ") == normalise_email("a@b.co") == "a@b.co"


@pytest.mark.parametrize("email", ["", "alex", "alex@", "@example.com", "alex@example",
                                   "alex example@x.com", "a@b@c.com"])
def test_bad_email_is_rejected(email: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_account(email, "Alex", GOOD_PASSWORD)
    assert set(caught.value.problems) == {"email"}
    assert "name@example.com" in caught.value.problems["email"]


def test_the_one_email_rule_is_public_for_imports_too() -> None:
    """app.services.import_checks repeated the pattern and the 254-character limit; sign-up
    had the pattern without the limit."""
    longest = "a" * (EMAIL_MAX_CHARS - len("@example.com")) + "@example.com"
    assert is_valid_email("alex@example.com") and is_valid_email(longest)
    for bad in ("", "alex", "alex@example", "a@b@c.com", "alex@example.com\n",
                "x" + longest):
        assert not is_valid_email(bad), bad
    check_new_account(longest, "Alex", GOOD_PASSWORD)
    with pytest.raises(InvalidInput) as caught:
        check_new_account("x" + longest, "Alex", GOOD_PASSWORD)
    assert set(caught.value.problems) == {"email"}


@pytest.mark.parametrize("password", ["", "short", "x" * (PASSWORD_MIN_CHARS - 1)])
def test_short_password_is_rejected(password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_account("a@example.com", "Alex", password)
    assert set(caught.value.problems) == {"password"}
    assert str(PASSWORD_MIN_CHARS) in caught.value.problems["password"]


def test_password_of_exactly_the_minimum_is_accepted() -> None:
    check_new_account("a@example.com", "Alex", "x" * PASSWORD_MIN_CHARS)


@pytest.mark.parametrize("name", ["", "   ", "n" * 81])
def test_empty_or_overlong_name_is_rejected(name: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_account("a@example.com", name, GOOD_PASSWORD)
    assert set(caught.value.problems) == {"name"}


def test_all_sign_up_problems_are_reported_together() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_account("nope", " ", "123")
    assert set(caught.value.problems) == {"email", "name", "password"}


def test_password_never_appears_in_the_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_new_account("nope", "Alex", "secret1")
    assert "secret1" not in str(caught.value)


def account(account_id: str, role: Role) -> Account:
    return Account(account_id, f"{account_id}@example.com", account_id, role, "h",
                   datetime(2025, 1, 1, tzinfo=UTC))


PATIENT = account("p1", Role.PATIENT)
OTHER_PATIENT = account("p2", Role.PATIENT)
THERAPIST = account("t1", Role.THERAPIST)
CARE_TEAM = account("c1", Role.CARE_TEAM)
ADMIN = account("a1", Role.ADMIN)


def test_patient_reads_own_data() -> None:
    assert may_read_patient(PATIENT, "p1", set())


def test_other_patient_may_not_read_even_if_listed() -> None:
    assert not may_read_patient(OTHER_PATIENT, "p1", set())
    assert not may_read_patient(OTHER_PATIENT, "p1", {"p2"})


@pytest.mark.parametrize("clinician", [THERAPIST, CARE_TEAM], ids=["therapist", "care_team"])
def test_clinician_reads_only_with_a_grant(clinician: Account) -> None:
    assert not may_read_patient(clinician, "p1", set())
    assert not may_read_patient(clinician, "p1", {"someone-else"})
    assert may_read_patient(clinician, "p1", {clinician.id})


def test_admin_never_reads_patient_data_even_with_a_grant() -> None:
    assert not may_read_patient(ADMIN, "p1", set())
    assert not may_read_patient(ADMIN, "p1", {ADMIN.id})


def test_roles_know_who_is_a_clinician() -> None:
    assert {r for r in Role if r.is_clinician} == {Role.THERAPIST, Role.CARE_TEAM}
    assert all(r.label for r in Role)


def test_risk_factors_are_checked_and_kept_in_the_checklists_order() -> None:
    from app.domain.accounts import check_risk_factors

    assert check_risk_factors(["age_over_50", "blood_thinners", "age_over_50"]) == (
        "blood_thinners", "age_over_50")
    assert check_risk_factors([]) == ()
    with pytest.raises(InvalidInput):
        check_risk_factors(["smoker"])


def test_an_account_saved_before_risk_factors_reads_back_with_none() -> None:
    from app.domain.codec import from_json, to_json

    account = Account("a1", "pat@example.com", "Pat", Role.PATIENT, "hash",
                      datetime(2026, 1, 1, tzinfo=UTC))
    old = {k: v for k, v in to_json(account).items() if k != "risk_factors"}
    assert from_json(Account, old).risk_factors == ()
    remembered = Account("a1", "pat@example.com", "Pat", Role.PATIENT, "hash",
                         datetime(2026, 1, 1, tzinfo=UTC), risk_factors=("age_over_50",))
    assert from_json(Account, to_json(remembered)).risk_factors == ("age_over_50",)
