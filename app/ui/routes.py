"""The route table: path → screen builder (and which roles may open it)."""

from __future__ import annotations

from app.domain.accounts import Role
from app.ui.screens import (
    activities,
    checkin,
    guidance,
    history,
    home,
    login,
    progress,
    sessions,
    sharing,
)
from app.ui.screens import settings as settings_screen
from app.ui.shell import Route

PATIENT = frozenset({Role.PATIENT})
# A clinician opens one patient's progress, or records a session for them (?patient=ID),
# when that patient shared with them.
PATIENT_OR_CLINICIAN = frozenset({Role.PATIENT, Role.THERAPIST, Role.CARE_TEAM})

ROUTES: dict[str, Route] = {r.path: r for r in (
    Route("/login", login.build),
    Route("/", home.build),
    Route("/checkin", checkin.build, PATIENT),
    Route("/session", sessions.build_session, PATIENT_OR_CLINICIAN),
    Route("/soreness", sessions.build_soreness, PATIENT),
    Route("/activities", activities.build_activities, PATIENT),
    Route("/milestones", activities.build_milestones, PATIENT),
    Route("/history", history.build, PATIENT, numbers=("limit",)),
    Route("/progress", progress.build, PATIENT_OR_CLINICIAN),
    Route("/guidance", guidance.build, PATIENT),
    Route("/guidance/result", guidance.build_result, PATIENT),
    Route("/learn", guidance.build_learn),
    Route("/settings", settings_screen.build),
    Route("/sharing", sharing.build, PATIENT),
)}


def resolve(path: str) -> Route:
    return ROUTES.get(path, ROUTES["/"])
