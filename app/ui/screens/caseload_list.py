"""The clinician's list of patients on the home screen, worked out off the event loop.

Building it reads every shared patient whose status is not known yet (Caseload keeps the
rest) and writes the view's audit entries: with 300 patients that took 1.4-2.1 s on the
event loop, and every other user's screen froze meanwhile. The screen now shows a progress
ring at once, works the list out in a thread (asyncio.to_thread) and swaps the cards in
when they are ready, if the clinician is still on this screen.

While the screen stays open it looks every LIVE_SECONDS whether what the list was worked
out from changed (Caseload.basis: grants, owner stamps, days; no records read) and draws
it again if so, so a red-flag report shows up without a reload. It stops when the
clinician moves on or the browser's session ends; when the sign-in has ended (inactivity:
looking does not count as activity) it shows the sign-in screen instead of the list.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

import flet as ft

from app.domain.accounts import Account
from app.services.caseload import LIVE_SECONDS, Caseload, PatientStatus
from app.ui.frame import muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

log = logging.getLogger(__name__)

LOADING_WORDS = "Listing your patients…"
FAILED_WORDS = ("Your patients could not be listed just now. Please try again in a moment; "
                "their records are safe.")
EMPTY_WORDS = "No patient has shared with you yet."


def caseload_section(shell: Shell, clinician: Account,
                     patient_card: Callable[[Shell, Account, PatientStatus], ft.Control],
                     deleted_card: Callable[[Account, datetime], ft.Control],
                     ) -> list[ft.Control]:
    """The heading and the cards (a progress ring until they are worked out)."""
    grid = ft.ResponsiveRow(
        [ft.Row([ft.ProgressRing(width=24, height=24), muted(LOADING_WORDS)], spacing=12,
                col={"xs": 12})],
        spacing=16, run_spacing=16)

    caseload = shell.services.caseload

    async def draw() -> bool:
        """Work the list out and show it; False once the clinician moved on."""
        try:
            statuses, deleted = await asyncio.to_thread(_work_out, caseload, clinician)
            cards = [patient_card(shell, clinician, s) for s in statuses] + [
                deleted_card(clinician, at) for at in deleted]
        except Exception:
            log.exception("The caseload list failed")  # no names, no health data
            cards = [muted(FAILED_WORDS)]
        if not _on_screen(shell, grid):
            return False  # the clinician moved on: nothing to draw
        grid.controls = cards or [muted(EMPTY_WORDS)]
        shell.page.update()
        return True

    async def load_and_follow() -> None:
        """Draw the list, then draw it again whenever what it shows changed (a patient
        saved, shared or stopped sharing), while this screen is the one shown."""
        # Taken before the work: a change while it runs is seen on the next look.
        basis = await asyncio.to_thread(caseload.basis, clinician)
        if not await draw():
            return
        while _following(shell, grid):
            await asyncio.sleep(LIVE_SECONDS)
            if not _following(shell, grid):
                return
            try:
                now = await asyncio.to_thread(_look, shell, caseload, clinician)
            except Exception:
                log.exception("Looking for changes to the caseload failed")
                continue
            if now is None:
                # The sign-in ended (inactivity, signed out elsewhere): no list is drawn
                # for nobody, the sign-in screen says why. Or an admin gave the account
                # another role: the screen is drawn anew for it.
                try:
                    shell.render()
                except Exception:  # e.g. the browser is away: it draws anew on return
                    log.exception("Drawing the screen anew failed")
                return
            if now != basis:
                basis = now
                if not await draw():
                    return

    shell.page.run_task(load_and_follow)
    return [ft.Text("Patients who share with you, most urgent first", size=16), grid]


def _look(shell: Shell, caseload: Caseload,
          clinician: Account) -> frozenset[tuple[object, ...]] | None:
    """The list's basis now; None when the screen must be drawn anew: this tab is no
    longer signed in, or the account's role changed (what it may see is the role's)."""
    if not shell.still_signed_in():
        return None
    if shell.services.accounts.get(clinician.id).role is not clinician.role:
        return None
    return caseload.basis(clinician)


def _work_out(caseload: Caseload,
              clinician: Account) -> tuple[list[PatientStatus], list[datetime]]:
    return caseload.for_clinician(clinician), caseload.deleted_at_request(clinician)


def _following(shell: Shell, grid: ft.Control) -> bool:
    """Whether the list is still drawn on the view shown now (strictly: mounted, not on a
    stand-in page) in a live browser session."""
    return grid.parent is not None and _on_screen(shell, grid) and not shell.closed


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
