"""Sharing, for the patient: who can see their progress and how much (per person:
"Everything" or "Reminders and logging only"; or stop sharing), a one-time code to give
their therapist or the care team, and who looked at their record (the audit trail)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

import flet as ft

from app.domain.accounts import Scope
from app.domain.errors import NotFound
from app.services.access import INVITE_VALID_FOR
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import form_column
from app.ui.confirm import confirm
from app.ui.frame import card, muted, scaffold

if TYPE_CHECKING:
    from app.domain.accounts import Account
    from app.services.access import AuditEvent, SharedWith
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
    "read:reminders:read_plans": "looked at your reminders",
    "read:reminders:read_inbox": "looked at your reminders",
    "read:reminders:read_activity": "looked at whether you logged and answered reminders",
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
    "read:caseload": "saw you in their list of patients",  # one line a day, counted
}


# What each choice lets a person see, in the patient's words (app.domain.policy.SCOPES).
SCOPE_WORDS: Final = {
    Scope.FULL: "Your check-ins with their pain scores and notes, sessions, soreness, "
                "activities, \"Is this normal?\" answers and charts. They can also record "
                "your needling sessions.",
    Scope.REMINDERS_AND_LOGGING: "Whether you logged and answered their reminders, so "
                                 "they can remind you. Not your pain scores, notes or "
                                 "\"Is this normal?\" answers.",
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

    def choose(clinician: Account) -> Any:
        """A change holds at once (the next thing they open is checked against it)."""
        async def changed(event: ft.Event[ft.RadioGroup]) -> None:
            if not event.control.value:
                return
            scope = Scope(event.control.value)
            first = clinician.name.split()[0]
            try:
                await asyncio.to_thread(services.access.set_scope, account, clinician.id,
                                        scope)
            except NotFound:  # stopped in another tab meanwhile: show how things stand
                shell.flash = f"You no longer share with {first}."
                shell.go("/sharing")
                return
            shell.toast(f"{first} now sees everything you share." if scope is Scope.FULL
                        else f"{first} now sees reminders and logging only.")
        return changed

    shared = services.access.sharing(account, account.id)
    people = [s.clinician for s in shared]
    rows: list[ft.Control] = []
    for shared_with in shared:
        if rows:  # one person's choice clearly apart from the next one's
            rows.append(ft.Divider(height=16))
        rows.append(_person(shared_with, choose(shared_with.clinician),
                            stop(shared_with.clinician)))
    rows = rows or [muted("Nobody yet. Only you can see your entries.")]
    reads = services.access.audit_trail(account, account.id)[:RECENT_READS]
    names = {c.id: c.name for c in people}
    body: list[ft.Control] = [form_column([
        card(ft.Text("Who can see your progress", size=18, weight=ft.FontWeight.W_600),
             *rows),
        card(ft.Text("Share with your therapist or care team", size=18,
                     weight=ft.FontWeight.W_600),
             muted("Your therapist sees everything you log; the care team sees only "
                   "whether you logged and answered reminders. You can change what each "
                   "person sees above, or stop sharing, at any time; every look is listed "
                   "below."),
             ft.Row([ft.FilledButton("Get a sharing code", icon=ft.Icons.KEY,
                                     height=theme.TOUCH, on_click=new_code)]),
             code_box),
        card(ft.Text("Who looked at your record", size=18, weight=ft.FontWeight.W_600),
             *(_read_line(shell, event, names, account.timezone) for event in reads),
             *([] if reads else [muted("Nobody but you so far.")])),
    ])]
    return scaffold(shell, "/settings", "Sharing", body, back="/settings")


def _person(shared: SharedWith, on_choose: Any, on_stop: Any) -> ft.Control:
    """One person the patient shares with: what they see (a choice with what each choice
    means), and stop sharing."""
    clinician = shared.clinician
    first = clinician.name.split()[0]

    def option(scope: Scope) -> ft.Control:
        return ft.Column([
            ft.Radio(value=scope.value, label=scope.label),
            ft.Container(muted(SCOPE_WORDS[scope], 13), padding=ft.Padding.only(left=48)),
        ], spacing=0)

    return ft.Column([
        ft.Text(clinician.name, size=16, weight=ft.FontWeight.W_600),
        muted(clinician.role.label, 14),
        ft.Text(f"What {first} sees", size=14, weight=ft.FontWeight.W_600),
        ft.RadioGroup(value=shared.scope.value, on_change=on_choose,
                      content=ft.Column([option(scope) for scope in Scope], spacing=4)),
        ft.OutlinedButton(f"Stop sharing with {first}", height=theme.TOUCH, on_click=on_stop),
    ], spacing=4)


def _read_line(shell: Shell, event: AuditEvent, names: dict[str, str], zone: str) -> ft.Control:
    return ft.Column([ft.Text(audit_line(event, names.get(event.actor_id)
                                          or _name(shell, event.actor_id)), size=15),
                      muted(fmt.when(event.at, zone), 13)], spacing=0)


def audit_line(event: AuditEvent, who: str) -> str:
    """One audit event in the patient's words."""
    if event.action in EVENT_WORDS:
        return EVENT_WORDS[event.action]
    what = READ_WORDS.get(event.action, UNKNOWN_READ_WORDS)
    times = f" ({event.count} times that day)" if event.count > 1 else ""  # a list view's
    return f"{who} ({event.actor_role.replace('_', ' ')}) {what}{times}"


def _name(shell: Shell, account_id: str) -> str:
    """Someone who no longer has access (or no longer an account here)."""
    try:
        return shell.services.accounts.get(account_id).name
    except NotFound:
        return "Someone from the clinic"
