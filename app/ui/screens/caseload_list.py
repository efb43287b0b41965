"""The clinician's list of patients on the home screen, worked out off the event loop.

Building it reads every shared patient whose status is not known yet (Caseload keeps the
rest) and writes the view's audit entries: with 300 patients that took 1.4-2.1 s on the
event loop, and every other user's screen froze meanwhile. The screen now shows a progress
ring at once, works the list out in a thread (asyncio.to_thread) and swaps the cards in
when they are ready, if the clinician is still on this screen.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import flet as ft

from app.domain.accounts import Account
from app.services.caseload import Caseload, PatientStatus
from app.ui.frame import muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

log = logging.getLogger(__name__)

LOADING_WORDS = "Listing your patients…"
FAILED_WORDS = ("Your patients could not be listed just now. Please try again in a moment; "
                "their records are safe.")
EMPTY_WORDS = "No patient has shared with you yet."


def caseload_section(shell: Shell, clinician: Account,
                     patient_card: Callable[[Shell, PatientStatus], ft.Control],
                     deleted_card: Callable[[Account, datetime], ft.Control],
                     ) -> list[ft.Control]:
    """The heading and the cards (a progress ring until they are worked out)."""
    grid = ft.ResponsiveRow(
        [ft.Row([ft.ProgressRing(width=24, height=24), muted(LOADING_WORDS)], spacing=12,
                col={"xs": 12})],
        spacing=16, run_spacing=16)

    async def load() -> None:
        try:
            statuses, deleted = await asyncio.to_thread(_work_out, shell.services.caseload,
                                                        clinician)
            cards = [patient_card(shell, s) for s in statuses] + [
                deleted_card(clinician, at) for at in deleted]
        except Exception:
            log.exception("The caseload list failed")  # no names, no health data
            cards = [muted(FAILED_WORDS)]
        if not _on_screen(shell, grid):
            return  # the clinician moved on: nothing to draw
        grid.controls = cards or [muted(EMPTY_WORDS)]
        shell.page.update()

    shell.page.run_task(load)
    return [ft.Text("Patients who share with you, most urgent first", size=16), grid]


def _work_out(caseload: Caseload,
              clinician: Account) -> tuple[list[PatientStatus], list[datetime]]:
    return caseload.for_clinician(clinician), caseload.deleted_at_request(clinician)


def _on_screen(shell: Shell, control: ft.Control) -> bool:
    """Whether the view holding `control` is still the one shown (a control not mounted
    yet, or on a stand-in page in tests, counts as shown: drawing it is harmless)."""
    views = getattr(shell.page, "views", None)
    parent = control.parent
    while parent is not None and not isinstance(parent, ft.View):
        parent = parent.parent
    if views is None or parent is None:
        return True
    return bool(views) and parent is views[-1]
