"""What an open caseload list looks at every LIVE_SECONDS (caseload_list._look): the
list's basis while the sign-in holds and the role is the one it was drawn for; None, so
the screen is drawn anew, once the sign-in ended or an admin gave the account another
role (a care team member must not go on seeing a therapist's list)."""

from __future__ import annotations

from app.domain.accounts import Role
from app.main import Services, seed_demo_if_empty
from app.services.demo import DEMO_PASSWORD
from app.ui.screens.caseload_list import _look
from app.ui.shell import Shell
from tests.conftest import FakeClock
from tests.ui.test_shell_sign_out import StartablePage


def signed_in_tab(services: Services, email: str) -> Shell:
    tab = Shell(StartablePage(), services.screens)  # type: ignore[arg-type]
    tab.token = services.auth.sign_in(email, DEMO_PASSWORD).token
    return tab


def test_the_look_holds_while_signed_in_and_lets_go_when_the_sign_in_ends(
        services: Services, clock: FakeClock) -> None:
    seed_demo_if_empty(services, lambda _: None)
    tab = signed_in_tab(services, "taylor@example.com")
    taylor = services.accounts.by_email("taylor@example.com")
    assert taylor is not None
    basis = _look(tab, services.caseload, taylor)
    assert basis is not None and basis == services.caseload.basis(taylor)
    clock.now += services.auth.idle_timeout * 1.1
    assert _look(tab, services.caseload, taylor) is None


def test_the_look_lets_go_when_an_admin_changes_the_role(services: Services) -> None:
    seed_demo_if_empty(services, lambda _: None)
    tab = signed_in_tab(services, "taylor@example.com")
    taylor = services.accounts.by_email("taylor@example.com")
    admin = services.accounts.by_email("admin@example.com")
    assert taylor is not None and admin is not None
    assert _look(tab, services.caseload, taylor) is not None
    services.account_admin.change_role(admin, taylor.id, Role.CARE_TEAM)
    assert tab.still_signed_in()  # the sign-in holds ...
    assert _look(tab, services.caseload, taylor) is None  # ... the therapist's list does not
