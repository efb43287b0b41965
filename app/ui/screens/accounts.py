"""The admin's Accounts screen (/admin/accounts, issue 14): helper B's Invite staff card,
then every account, found by name, email, role or status. Per account: deactivate (asked
first), reactivate, change a staff role (asked first), give a password-reset link to pass
on by hand, email one when the clinic has a mail server, and reset two-step sign-in (asked
first) where it is on, for a lost phone.

Each account is a card: name, email, role, status and its buttons, one column on a phone,
two or three on a desktop. A refusal (the last admin, oneself, a patient's role) is said
in the words of app.domain.account_admin, in a banner above the list; nothing typed in
the search is lost. The reset link is shown once, in a dialog with a Copy button (copied
inside the tap: Safari refuses a clipboard write that waits for the server).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeVar

import flet as ft

from app.domain.account_admin import AccountSearch, AccountSummary, Status
from app.domain.accounts import STAFF_ROLES, Account, Role
from app.domain.errors import DomainError, InvalidInput
from app.domain.tokens import valid_for_words
from app.services.password_reset import VALID_FOR, GivenLink
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import choice_list
from app.ui.confirm import confirm
from app.ui.frame import card, heading, muted, scaffold
from app.ui.screens.invitations import staff_invitations

if TYPE_CHECKING:
    from app.ui.shell import Shell

T = TypeVar("T")
ROUTE: Final = "/admin/accounts"
TITLE: Final = "Accounts"
ALL: Final = "all"
LINK_NOTE: Final = ("Anyone who has this link can set the account's password: give it "
                    "only to the person, not through a shared channel. Using it signs them "
                    "out everywhere else. A new link replaces this one.")


def build(shell: Shell) -> ft.View:
    admin = shell.require_account()
    return scaffold(shell, ROUTE, f"BackTrack · {TITLE}", _AccountsScreen(shell, admin).body)


class _AccountsScreen:
    def __init__(self, shell: Shell, admin: Account) -> None:
        self.shell, self.admin = shell, admin
        self.service = shell.services.account_admin
        self.mail_server = shell.services.password_reset.email_available()
        self.text = ft.TextField(label="Search name or email", prefix_icon=ft.Icons.SEARCH,
                                 on_submit=self._search, expand=True)
        role_box, self.role = choice_list(
            "Role", ALL, [ft.dropdown.Option(key=ALL, text="All roles"),
                          *(ft.dropdown.Option(key=r.value, text=r.label) for r in Role)],
            on_select=self._search, expand=True)
        status_box, self.status = choice_list(
            "Status", ALL, [ft.dropdown.Option(key=ALL, text="Any status"),
                            *(ft.dropdown.Option(key=s.value, text=s.label) for s in Status)],
            on_select=self._search, expand=True)
        self.banner = ft.Text("", color=ft.Colors.ERROR, visible=False, size=15)
        self.count = muted("")
        self.cards = ft.ResponsiveRow(spacing=12, run_spacing=12)
        filters = ft.ResponsiveRow([
            ft.Container(ft.Row([self.text]), col={"xs": 12, "md": 6}),
            ft.Container(ft.Row([role_box]), col={"xs": 6, "md": 3}),
            ft.Container(ft.Row([status_box]), col={"xs": 6, "md": 3}),
        ], spacing=12, run_spacing=12)
        self.body: list[ft.Control] = [
            heading(TITLE),
            muted("Everyone with a BackTrack account at this clinic. Deactivating signs "
                  "the person out at once and keeps their data; reactivate to let them "
                  "back in."),
            ft.ResponsiveRow([staff_invitations(shell, admin)]),  # helper B's card
            filters,
            ft.Row([ft.OutlinedButton("Search", icon=ft.Icons.SEARCH, height=theme.TOUCH,
                                      on_click=self._search), self.count], wrap=True),
            self.banner,
            self.cards,
        ]
        self._fill()

    # -- the list ----------------------------------------------------------------------

    def _wanted(self) -> AccountSearch:
        role = self.role.value if self.role.value and self.role.value != ALL else None
        status = self.status.value if self.status.value and self.status.value != ALL \
            else None
        return AccountSearch(text=self.text.value or "",
                             role=Role(role) if role else None,
                             status=Status(status) if status else None)

    def _fill(self) -> None:
        found = self.service.search(self.admin, self._wanted())
        self.count.value = f"{len(found)} account{'s' if len(found) != 1 else ''}"
        self.cards.controls = [self._card(a) for a in found] or [
            muted("No account matches. Clear the search or choose All roles.")]

    def _search(self, _: Any = None) -> None:
        self.banner.visible = False
        self._fill()
        self.shell.page.update()

    def _card(self, account: AccountSummary) -> ft.Control:
        you = account.id == self.admin.id
        status_colour = ft.Colors.PRIMARY if account.active else ft.Colors.ERROR

        # Handlers are async functions of their own: a lambda returning a coroutine is
        # called by Flet and the coroutine dropped, unrun.
        async def reactivate(_: Any) -> None:
            await self._reactivate(account)

        async def reset_link(_: Any) -> None:
            await self._reset_link(account)

        async def email_link(_: Any) -> None:
            await self._email_link(account)

        buttons: list[ft.Control] = []
        if account.active and not you:
            buttons.append(self._button("Deactivate", ft.Icons.BLOCK,
                                        lambda _: self._deactivate(account)))
        if not account.active:
            buttons.append(self._button("Reactivate", ft.Icons.CHECK_CIRCLE_OUTLINE,
                                        reactivate))
        if account.role is not Role.PATIENT:
            buttons.append(self._button("Change role", ft.Icons.BADGE_OUTLINED,
                                        lambda _: self._change_role(account)))
        if account.active:
            buttons.append(self._button("Give reset link", ft.Icons.LINK, reset_link))
            if self.mail_server:
                buttons.append(self._button("Email reset link", ft.Icons.OUTGOING_MAIL,
                                            email_link))
        if self.shell.services.two_step.is_on(account.id):
            buttons.append(self._button("Reset two-step sign-in", ft.Icons.PHONELINK_LOCK,
                                        lambda _: self._reset_two_step(account)))
        name = account.name + (" (you)" if you else "")
        return card(
            ft.Text(name, size=17, weight=ft.FontWeight.W_600),
            ft.Text(account.email, size=14, selectable=True),
            ft.Row([
                ft.Text(account.role.label, size=14),
                ft.Text("·", size=14),
                ft.Text(account.status.label, size=14, color=status_colour,
                        weight=ft.FontWeight.W_600),
            ], spacing=6, wrap=True),
            ft.Row(buttons, wrap=True, spacing=8, run_spacing=8),
            col={"xs": 12, "lg": 6, "xxl": 4},
        )

    @staticmethod
    def _button(text: str, icon: ft.IconData, on_click: Any) -> ft.OutlinedButton:
        return ft.OutlinedButton(text, icon=icon, height=theme.TOUCH, on_click=on_click)

    # -- acting ------------------------------------------------------------------------

    async def _act(self, work: Callable[[], T]) -> T | None:
        """Run a change off the event loop; a refusal goes in the banner (None)."""
        try:
            return await asyncio.to_thread(work)
        except InvalidInput as refused:
            self._refused(next(iter(refused.problems.values())))
        except DomainError as refused:  # NotAllowed, NotFound: say why
            self._refused(str(refused))
        return None

    def _refused(self, message: str) -> None:
        self.banner.value, self.banner.visible = message, True
        self._fill()
        self.shell.page.update()

    def _done(self, message: str) -> None:
        self.banner.visible = False
        self._fill()
        self.shell.page.update()
        self.shell.toast(message)

    def _confirmed(self, *, title: str, text: str, keep: str, act: str,
                   work: Callable[[], object], done: str) -> None:
        """Ask first (app.ui.confirm); then the outcome: `done` as a toast, or the
        refusal in the banner."""
        refusal: list[str] = []

        def attempt() -> None:
            try:
                work()
            except InvalidInput as refused:
                refusal.append(next(iter(refused.problems.values())))
            except DomainError as refused:
                refusal.append(str(refused))

        def then() -> None:
            if refusal:
                self._refused(refusal[0])
            else:
                self._done(done)

        confirm(self.shell.page, title=title, text=text, keep=keep, act=act, work=attempt,
                then=then)

    def _deactivate(self, account: AccountSummary) -> None:
        self._confirmed(
            title=f"Deactivate {account.name}?",
            text=(f"{account.name} ({account.email}) is signed out at once and can't sign "
                  "in until you reactivate the account. Nothing they hold is deleted."),
            keep="Keep active", act="Deactivate",
            work=lambda: self.service.deactivate(self.admin, account.id),
            done=f"{account.name} is deactivated and was signed out everywhere.")

    def _reset_two_step(self, account: AccountSummary) -> None:
        self._confirmed(
            title=f"Reset {account.name}'s two-step sign-in?",
            text=("For a lost or replaced phone. Their codes and recovery codes stop "
                  "working and they are signed out everywhere; at their next sign-in they "
                  "set up two-step sign-in again if the clinic requires it."),
            keep="Cancel", act="Reset two-step",
            work=lambda: self.shell.services.two_step.reset(self.admin, account.id),
            done=f"{account.name}'s two-step sign-in was reset.")

    async def _email_link(self, account: AccountSummary) -> None:
        sent_to = await self._act(lambda: self.service.email_reset_link(self.admin,
                                                                        account.id))
        if sent_to is not None:
            self._done(f"A reset link was emailed to {sent_to}. It works once, for "
                       f"{valid_for_words(VALID_FOR)}.")

    async def _reactivate(self, account: AccountSummary) -> None:
        if await self._act(lambda: self.service.reactivate(self.admin, account.id)):
            self._done(f"{account.name} can sign in again with their password.")

    def _change_role(self, account: AccountSummary) -> None:
        page = self.shell.page
        box, chosen = choice_list(
            "New role", account.role.value,
            [ft.dropdown.Option(key=r.value, text=r.label) for r in STAFF_ROLES],
            expand=True)

        async def change(_: Any) -> None:
            role = Role(chosen.value or account.role.value)
            page.pop_dialog()
            if role is account.role:
                return
            if await self._act(lambda: self.service.change_role(self.admin, account.id,
                                                                  role)):
                self._done(f"{account.name} is now {role.label.lower()}.")

        page.show_dialog(ft.AlertDialog(
            modal=True,
            title=ft.Text(f"Change {account.name}'s role?"),
            content=ft.Column([
                ft.Text(f"Now: {account.role.label}. What they can open changes at their "
                        "next step; their sign-in stays."),
                ft.Row([box]),
            ], tight=True, spacing=12, width=420),
            actions=[
                ft.TextButton("Cancel", height=theme.TOUCH,
                              on_click=lambda _: page.pop_dialog()),
                ft.FilledButton("Change role", height=theme.TOUCH, on_click=change),
            ],
        ))

    async def _reset_link(self, account: AccountSummary) -> None:
        given = await self._act(lambda: self.service.give_reset_link(self.admin, account.id))
        if given is not None:
            self._show_link(account, given)

    def _show_link(self, account: AccountSummary, given: GivenLink) -> None:
        page = self.shell.page
        until = fmt.when(given.expires_at, self.admin.timezone)
        page.show_dialog(ft.AlertDialog(
            modal=True,
            title=ft.Text(f"Reset link for {account.name}"),
            content=ft.Column([
                # A SelectionArea keeps the text readable by screen readers and by hand.
                ft.Container(ft.SelectionArea(content=ft.Text(given.url, size=14)),
                             padding=12, border_radius=8,
                             bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST),
                ft.Text(f"Valid for {valid_for_words(VALID_FOR)} (until {until}), once.",
                        weight=ft.FontWeight.W_600),
                muted(LINK_NOTE),
            ], tight=True, spacing=12, width=480),
            actions=[
                ft.FilledButton("Copy link", icon=ft.Icons.COPY, height=theme.TOUCH,
                                action=ft.CopyToClipboard(given.url),
                                on_click=lambda _: self.shell.toast("Link copied.")),
                ft.TextButton("Done", height=theme.TOUCH,
                              on_click=lambda _: page.pop_dialog()),
            ],
        ))

