"""First-run setup: only with the server's code, only while the clinic has no account,
all or nothing, once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from app.domain.account_audit import AccountAction
from app.domain.accounts import Role
from app.domain.errors import InvalidInput
from app.main import Services
from app.services.first_run import ALREADY_SET_UP, NOT_SET_UP, NOT_THE_LINK, SetupClosed

PASSWORD = "plum-harbour-lantern-42"
CLINIC = {"clinic_name": "Riverside Physio", "phone": "+1 555 0100",
          "emergency_number": "911"}


def set_up(services: Services, code: str | None = None, **changes: Any) -> Any:
    fields: dict[str, Any] = {**CLINIC, "name": "Morgan Lee", "email": "morgan@clinic.test",
                              "password": PASSWORD, **changes}
    setup = services.first_run
    return setup.create_first_admin(setup.code if code is None else code, **fields)


def test_an_empty_clinic_gets_its_first_admin_and_its_details(services: Services) -> None:
    assert services.first_run.needed()
    admin = set_up(services)
    assert admin.role is Role.ADMIN and admin.email == "morgan@clinic.test"
    clinic = services.clinic.current()
    assert (clinic.name, clinic.phone, clinic.emergency_number) == (
        "Riverside Physio", "+1 555 0100", "911")
    # The password is right; setting up two-step sign-in comes next (a new clinic's rule).
    assert services.auth.password_step("morgan@clinic.test", PASSWORD).account.id == admin.id
    [event] = services.account_audit.all()
    assert (event.action, event.subject, event.actor_id) == (
        AccountAction.FIRST_ADMIN_CREATED, admin.id, "")
    assert not services.first_run.needed()


@pytest.mark.parametrize(("code", "said"), [("", NOT_SET_UP), ("nearly", NOT_THE_LINK),
                                            ("x" * 22, NOT_THE_LINK)])
def test_without_the_servers_code_nothing_is_made(services: Services, code: str,
                                                  said: str) -> None:
    with pytest.raises(SetupClosed, match=said[:20]):
        set_up(services, code=code)
    assert services.first_run.needed() and services.account_audit.all() == []


def test_once_an_account_exists_the_code_opens_nothing(services: Services) -> None:
    services.accounts.create("alex@example.com", "Alex", PASSWORD, Role.PATIENT)
    with pytest.raises(SetupClosed, match=ALREADY_SET_UP):
        set_up(services)
    with pytest.raises(SetupClosed, match=ALREADY_SET_UP):
        services.first_run.check(services.first_run.code)
    assert services.accounts.with_role(Role.ADMIN) == []


def test_a_refused_field_saves_nothing(services: Services) -> None:
    with pytest.raises(InvalidInput) as refused:
        set_up(services, clinic_name="", phone="call us")
    assert set(refused.value.problems) == {"clinic_name", "phone"}
    with pytest.raises(InvalidInput) as weak:
        set_up(services, password="short")
    assert set(weak.value.problems) == {"password"}
    assert services.first_run.needed() and services.clinic.current().name == "Your clinic"


def test_two_tabs_at_once_make_one_admin(services: Services) -> None:
    results: list[object] = []

    def attempt(email: str) -> None:
        try:
            results.append(set_up(services, email=email))
        except SetupClosed as closed:
            results.append(closed)

    threads = [threading.Thread(target=attempt, args=(f"admin{i}@clinic.test",))
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(services.accounts.with_role(Role.ADMIN)) == 1
    assert sum(isinstance(r, SetupClosed) for r in results) == 1


def test_the_link_carries_the_code(services: Services) -> None:
    link = services.first_run.link("http://127.0.0.1:8550/")
    assert link == f"http://127.0.0.1:8550/setup?code={services.first_run.code}"
    assert len(services.first_run.code) >= 20
