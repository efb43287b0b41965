"""The route table: path → screen builder, which roles may open it, and its place in each
role's navigation. The one source for all three: frame.py draws the navigation from
`navigation(role)`, the shell gates roles, the every-route tests walk the table."""

from __future__ import annotations

import flet as ft

from app.domain import policy
from app.domain.accounts import Role
from app.domain.policy import Operation
from app.ui.screens import (
    accounts,
    activities,
    adherence,
    audit_log,
    care_reminders,
    checkin,
    guidance,
    history,
    home,
    inbox,
    join,
    login,
    password,
    progress,
    sessions,
    setup,
    sharing,
)
from app.ui.screens import settings as settings_screen
from app.ui.shell import Route, Tab

PATIENT = frozenset({Role.PATIENT})
# Routes about a patient's record take their roles from app.domain.policy: a clinician
# opens one patient's progress, or records a session for them (?patient=ID), when that
# patient shared with them (the services check the sharing).
CLINICIANS = frozenset({Role.THERAPIST, Role.CARE_TEAM})
EVERYONE = frozenset(Role)

ROUTES: dict[str, Route] = {r.path: r for r in (
    Route("/login", login.build),
    Route("/reset", password.build_reset),  # a password reset link; open signed out too
    Route("/join", join.build),  # an invitation's link (issue 14); open signed out too
    Route("/setup", setup.build),  # an empty clinic's first admin; open signed out too
    Route("/", home.build, tabs=(
        Tab("Today", ft.Icons.HOME_OUTLINED, PATIENT),
        Tab("Patients", ft.Icons.PEOPLE_OUTLINE, CLINICIANS),
        Tab("Clinic", ft.Icons.LOCAL_HOSPITAL_OUTLINED, frozenset({Role.ADMIN})),
    )),
    Route("/checkin", checkin.build, PATIENT,
          tabs=(Tab("Check in", ft.Icons.ADD_CIRCLE_OUTLINE, PATIENT),)),
    Route("/progress", progress.build, policy.roles_allowed(Operation.READ_PROGRESS),
          tabs=(Tab("Progress", ft.Icons.SHOW_CHART, PATIENT),)),
    Route("/history", history.build, PATIENT, numbers=("limit",),
          tabs=(Tab("History", ft.Icons.HISTORY, PATIENT),)),
    Route("/care/reminders", care_reminders.build,
          policy.roles_allowed(Operation.SCHEDULE_REMINDERS) & CLINICIANS,
          tabs=(Tab("Reminders", ft.Icons.NOTIFICATIONS_OUTLINED, CLINICIANS),)),
    Route("/care/adherence", adherence.build,
          policy.roles_allowed(Operation.READ_REMINDERS) & CLINICIANS,
          tabs=(Tab("Adherence", ft.Icons.FACT_CHECK_OUTLINED, CLINICIANS),)),
    # The admin's tabs before Settings, which stays last for everyone.
    Route(accounts.ROUTE, accounts.build, policy.roles_allowed(Operation.MANAGE_ACCOUNTS),
          tabs=(Tab("Accounts", ft.Icons.MANAGE_ACCOUNTS_OUTLINED, frozenset({Role.ADMIN})),)),
    Route(audit_log.ROUTE, audit_log.build, policy.roles_allowed(Operation.READ_ACCOUNT_LOG),
          tabs=(Tab("Audit log", ft.Icons.POLICY_OUTLINED, frozenset({Role.ADMIN})),)),
    Route("/settings", settings_screen.build,
          tabs=(Tab("Settings", ft.Icons.SETTINGS_OUTLINED, EVERYONE),)),
    Route("/session", sessions.build_session,
          policy.roles_allowed(Operation.RECORD_SESSION)),
    Route("/soreness", sessions.build_soreness, PATIENT),
    Route("/activities", activities.build_activities, PATIENT),
    Route("/milestones", activities.build_milestones, PATIENT),
    Route("/guidance", guidance.build, PATIENT),
    Route("/guidance/result", guidance.build_result, PATIENT),
    Route("/learn", guidance.build_learn),
    Route("/reminders", inbox.build, PATIENT),
    Route("/sharing", sharing.build, policy.roles_allowed(Operation.SHARE)),
)}


def navigation(role: Role) -> list[tuple[str, Tab]]:
    """The role's navigation destinations: (path, tab), in the table's order."""
    return [(route.path, tab) for route in ROUTES.values() for tab in route.tabs
            if role in tab.roles and (route.roles is None or role in route.roles)]


def resolve(path: str) -> Route:
    return ROUTES.get(path, ROUTES["/"])
