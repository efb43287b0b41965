"""Clinic settings: only an admin changes them, and the numbers patients are told to call
must be numbers a phone can dial."""

from __future__ import annotations

import pytest

from app.domain.accounts import Role
from app.domain.errors import InvalidInput, NotAllowed
from app.main import Services

PASSWORD = "clinic-test-pw"


def test_defaults_before_anyone_sets_them(services: Services) -> None:
    current = services.clinic.current()
    assert (current.name, current.phone, current.emergency_number) == (
        "Your clinic", "", "911")


def test_an_admin_sets_the_name_and_numbers(services: Services) -> None:
    admin = services.accounts.create("a@example.com", "Sam", PASSWORD, Role.ADMIN)
    services.clinic.update(admin, name="  Riverside   Physio ", phone="+44 (0)20 7946-0000",
                           emergency_number="999")
    services.clinic.update(admin, name="Riverside Physio", phone="020 7946 0001",
                           emergency_number="112")
    current = services.clinic.current()
    assert (current.name, current.phone, current.emergency_number) == (
        "Riverside Physio", "020 7946 0001", "112")


@pytest.mark.parametrize("role", [Role.PATIENT, Role.THERAPIST, Role.CARE_TEAM])
def test_nobody_else_changes_them(services: Services, role: Role) -> None:
    someone = services.accounts.create("x@example.com", "X", PASSWORD, role)
    with pytest.raises(NotAllowed):
        services.clinic.update(someone, name="Mine", phone="555 0100", emergency_number="911")
    assert services.clinic.current().name == "Your clinic"


@pytest.mark.parametrize(("phone", "emergency", "bad"), [
    ("", "911", {"phone"}),
    ("call us", "911", {"phone"}),
    ("12", "911", {"phone"}),  # too few digits to be a number
    ("+1 555 0100 ext 2", "911", {"phone"}),
    ("555 0100", "", {"emergency_number"}),
    ("555 0100", "9-1-1", {"emergency_number"}),
    ("555 0100", "1", {"emergency_number"}),
    ("555 0100", "1234567", {"emergency_number"}),
    ("x", "y", {"phone", "emergency_number"}),
])
def test_numbers_must_be_dialable(services: Services, phone: str, emergency: str,
                                  bad: set[str]) -> None:
    admin = services.accounts.create("a@example.com", "Sam", PASSWORD, Role.ADMIN)
    with pytest.raises(InvalidInput) as caught:
        services.clinic.update(admin, name="Riverside", phone=phone,
                               emergency_number=emergency)
    assert set(caught.value.problems) == bad
    assert services.clinic.current().phone == ""  # nothing half-saved
