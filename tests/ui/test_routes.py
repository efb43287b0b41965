"""The route table is the one source of each role's navigation: labels, order, roles."""

from __future__ import annotations

from app.domain.accounts import Role
from app.ui.routes import ROUTES, navigation


def test_each_roles_navigation_comes_from_the_table() -> None:
    labels = {role: [(path, tab.label) for path, tab in navigation(role)] for role in Role}
    assert labels == {
        Role.PATIENT: [("/", "Today"), ("/checkin", "Check in"), ("/progress", "Progress"),
                       ("/history", "History"), ("/settings", "Settings")],
        Role.THERAPIST: [("/", "Patients"), ("/care/reminders", "Reminders"),
                        ("/care/adherence", "Adherence"), ("/settings", "Settings")],
        Role.CARE_TEAM: [("/", "Patients"), ("/care/reminders", "Reminders"),
                        ("/care/adherence", "Adherence"), ("/settings", "Settings")],
        Role.ADMIN: [("/", "Clinic"), ("/admin/accounts", "Accounts"),
                     ("/admin/audit", "Audit log"), ("/settings", "Settings")],
    }


def test_no_tab_leads_a_role_to_a_route_it_may_not_open() -> None:
    for route in ROUTES.values():
        for tab in route.tabs:
            assert route.roles is None or tab.roles <= route.roles, route.path
