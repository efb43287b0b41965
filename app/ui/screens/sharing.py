"""Sharing, for the patient: who can see their progress (and stop it), a one-time code to
give their therapist, and who looked at their record (the audit trail)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

import flet as ft

from app.domain.errors import NotFound
from app.services.access import INVITE_VALID_FOR
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import form_column
from app.ui.confirm import confirm
from app.ui.frame import card, muted, scaffold

if TYPE_CHECKING:
    from app.domain.accounts import Account
    from app.services.access import AuditEvent
    from app.ui.shell import Shell

RECENT_READS: Final = 20  # how many of the latest reads the screen lists

# What each audited event did, in the patient's words; an action without words here reads
# as a plain "looked at your record", never as the raw key.
UNKNOWN_READ_WORDS: Final = "looked at your record"
# Events that are not someone's read: said whole, without a reader's name.
EVENT_WORDS: Final = {
    "sign-in:paused": "Sign-in to your account was paused for a while after repeated wrong "
                      "passwords (from one device or network).",
}
READ_WORDS: Final = {
    "read:record": "looked at what you logged",
    "read:reminders": "looked at your reminders",
    "read:check_in": "looked at a check-in",
    "read:entry": "looked at an entry",
    "export": "downloaded your record",
    "export:csv": "downloaded your data for spreadsheets",
    "read:progress": "looked at your progress",
    "read:guidance": "looked at your \"Is this normal?\" answers",
    "read:history": "looked at the history of an entry",
    "read:activities": "looked at your activities",
    "read:dashboard": "looked at your progress",
    "export:report": "downloaded your progress report",
    "export:json": "exported your data",
}


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    services = shell.services
    code_box = ft.Column(visible=False, spacing=8)

    def stop(clinician: Account) -> Any:
        """Ask once before stopping: one mistaken tap would cut the therapist off until
        the patient makes a new code."""
        def finished() -> None:
            shell.flash = f"{clinician.name} can no longer see your progress."
            shell.go("/sharing")

        def ask(_: Any) -> None:
            confirm(shell.page, title=f"Stop sharing with {clinician.name}?",
                    text=f"{clinician.name.split()[0]} will no longer see your progress. "
                         f"To share again you will need a new code.",
                    keep="Keep sharing", act="Stop sharing",
                    work=lambda: services.access.revoke(account, clinician.id),
                    then=finished)
        return ask

    async def new_code(_: Any) -> None:
        code = await asyncio.to_thread(services.access.create_invite, account)
        days = INVITE_VALID_FOR.days
        code_box.controls = [
            ft.Text("Your sharing code", size=16, weight=ft.FontWeight.W_600),
            ft.Text(code, size=28, weight=ft.FontWeight.BOLD,
                    semantics_label=f"Your sharing code: {' '.join(code)}"),
            muted(f"Give it to your therapist or the clinic's care team. It works once, "
                  f"within {days} days."),
        ]
        code_box.visible = True
        shell.page.update()

    people = services.access.clinicians_with_access(account, account.id)
    rows: list[ft.Control] = [
        ft.Column([
            ft.Text(c.name, size=16, weight=ft.FontWeight.W_600),
            muted(c.role.label, 14),
            ft.OutlinedButton(f"Stop sharing with {c.name.split()[0]}", height=theme.TOUCH,
                              on_click=stop(c)),
        ], spacing=4)
        for c in people
    ] or [muted("Nobody yet. Only you can see your entries.")]
    reads = services.access.audit_trail(account, account.id)[:RECENT_READS]
    names = {c.id: c.name for c in people}
    body: list[ft.Control] = [form_column([
        card(ft.Text("Who can see your progress", size=18, weight=ft.FontWeight.W_600),
             *rows),
        card(ft.Text("Share with your therapist", size=18, weight=ft.FontWeight.W_600),
             muted("Your therapist sees your check-ins, sessions, soreness, activities, "
                   "\"Is this normal?\" answers and charts, and can record your needling "
                   "sessions. You can stop sharing at any time; every look is listed "
                   "below."),
             ft.Row([ft.FilledButton("Get a sharing code", icon=ft.Icons.KEY,
                                     height=theme.TOUCH, on_click=new_code)]),
             code_box),
        card(ft.Text("Who looked at your record", size=18, weight=ft.FontWeight.W_600),
             *(_read_line(shell, event, names, account.timezone) for event in reads),
             *([] if reads else [muted("Nobody but you so far.")])),
    ])]
    return scaffold(shell, "/settings", "Sharing", body, back="/settings")


def _read_line(shell: Shell, event: AuditEvent, names: dict[str, str], zone: str) -> ft.Control:
    return ft.Column([ft.Text(audit_line(event, names.get(event.actor_id)
                                          or _name(shell, event.actor_id)), size=15),
                      muted(fmt.when(event.at, zone), 13)], spacing=0)


def audit_line(event: AuditEvent, who: str) -> str:
    """One audit event in the patient's words."""
    if event.action in EVENT_WORDS:
        return EVENT_WORDS[event.action]
    what = READ_WORDS.get(event.action, UNKNOWN_READ_WORDS)
    return f"{who} ({event.actor_role.replace('_', ' ')}) {what}"


def _name(shell: Shell, account_id: str) -> str:
    """Someone who no longer has access (or no longer an account here)."""
    try:
        return shell.services.accounts.get(account_id).name
    except NotFound:
        return "Someone from the clinic"
