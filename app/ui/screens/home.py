"""Home screens: each role lands on its own. Clinicians see their caseload sorted by
need; the patient's Today screen lives in today.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import flet as ft

from app.domain.accounts import Role
from app.domain.progress import ResponseSummary
from app.services.caseload import FLAGS, PatientStatus
from app.ui.frame import card, heading, muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell

FLAG_COLOURS = {
    "emergency": ft.Colors.RED_700,
    "call_clinic": ft.Colors.AMBER_800,
    "soreness_not_settling": ft.Colors.AMBER_800,
    "reassess": ft.Colors.BLUE_700,
    "stopped_logging": ft.Colors.BLUE_GREY_600,
}


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    if account.role is Role.PATIENT:
        from app.ui.screens.today import build as today

        return today(shell)
    body: list[ft.Control] = [
        heading(f"Hello, {account.name.split()[0]}"),
        muted(f"Signed in as {account.role.label}"),
    ]
    if account.role.is_clinician:
        statuses = shell.services.caseload.for_clinician(account)
        body.append(ft.Text("Patients who shared their progress with you, most urgent first",
                            size=16))
        body.append(ft.ResponsiveRow([_patient_card(s) for s in statuses]
                                     or [muted("No patient has shared with you yet.")],
                                     spacing=16, run_spacing=16))
    return scaffold(shell, "/", f"BackTrack · {account.role.label}", body)


def _patient_card(status: PatientStatus) -> ft.Control:
    chips: list[ft.Control] = [
        ft.Container(
            content=ft.Text(FLAGS[flag][1], size=13, color=ft.Colors.WHITE,
                            weight=ft.FontWeight.W_600),
            bgcolor=FLAG_COLOURS[flag], border_radius=12,
            padding=ft.Padding.symmetric(horizontal=10, vertical=4),
        )
        for flag in status.flags
    ] or [muted("Nothing needs attention", 13)]
    return card(
        ft.Text(status.patient.name, size=18, weight=ft.FontWeight.W_600),
        muted(status.patient.email, 13),
        ft.Row(chips, wrap=True, spacing=6, run_spacing=6),
        ft.Text(_numbers(status.summary), size=14),
    )


def _numbers(summary: ResponseSummary) -> str:
    """The clinician's line: the numbers behind the verdict, not the patient's wording."""
    parts: list[str] = []
    if summary.pain_baseline is not None and summary.pain_current is not None:
        change = summary.pain_current - summary.pain_baseline
        parts.append(f"Pain {summary.pain_baseline:.1f} to {summary.pain_current:.1f} "
                     f"({change:+.1f})")
    if summary.psfs_baseline is not None and summary.psfs_current is not None:
        parts.append(f"PSFS {summary.psfs_baseline:.1f} to {summary.psfs_current:.1f}")
    days = summary.days_since_first_entry
    parts.append(f"{summary.sessions} sessions" + (f" over {days} days" if days else ""))
    return " · ".join(parts)
