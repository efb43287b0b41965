"""The frame around every signed-in screen: app bar, role navigation (bottom bar on a
phone, rail on a desktop), and a content column that uses the width it is given.

A patient's frame also carries their unread reminders: a bell in the app bar (named
"Reminders: N new" for screen readers) and the same count as a badge on Today."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Account, Role
from app.domain.policy import Operation
from app.ui.components import icon_button

if TYPE_CHECKING:
    from app.ui.shell import Shell


def scaffold(shell: Shell, route: str, title: str, body: list[ft.Control], *,
             back: str | None = None,
             action: ft.FloatingActionButton | None = None,
             unread: int | None = None) -> ft.View:
    """`action` is the screen's main action, kept in reach without scrolling. `unread`:
    the patient's unread reminders when the screen knows better than the store (the inbox
    has just been read); by default they are counted."""
    from app.ui.routes import navigation  # the table imports the screens, which use this

    account = shell.require_account()
    destinations = navigation(account.role)
    selected = next((i for i, (path, _) in enumerate(destinations) if path == route), None)
    if unread is None:
        unread = unread_reminders(shell, account)

    def tab_icon(path: str, icon: ft.IconData) -> ft.IconData | ft.Icon:
        return ft.Icon(icon, badge=_badge(unread)) if path == "/" and unread else icon

    def navigate(event: Any) -> None:
        shell.go(destinations[int(event.control.selected_index)][0])

    appbar = ft.AppBar(
        title=ft.Text(title),
        leading=icon_button(ft.Icons.ARROW_BACK, "Back",
                            lambda _: shell.go(back)) if back else None,
        automatically_imply_leading=False,
        actions=[
            *([reminders_bell(shell, unread)] if account.role is Role.PATIENT else []),
            icon_button(ft.Icons.LOGOUT, "Sign out", lambda _: shell.sign_out()),
        ],
    )
    content = ft.Container(
        padding=ft.Padding.symmetric(horizontal=16, vertical=12),
        content=ft.Column(body, spacing=16),
    )
    if shell.is_wide:
        rail = ft.NavigationRail(
            selected_index=selected,
            label_type=ft.NavigationRailLabelType.ALL,
            destinations=[ft.NavigationRailDestination(icon=tab_icon(path, tab.icon),
                                                     label=tab.label)
                          for path, tab in destinations],
            on_change=navigate,
        )
        controls: list[ft.BaseControl] = [ft.Row(
            [rail, ft.VerticalDivider(width=1),
             ft.Column([content], expand=True, scroll=ft.ScrollMode.AUTO)],
            expand=True, vertical_alignment=ft.CrossAxisAlignment.START,
        )]
        return ft.View(route=route, appbar=appbar, controls=controls, padding=0,
                       floating_action_button=action)
    bar = ft.NavigationBar(
        selected_index=selected if selected is not None else 0,
        destinations=[ft.NavigationBarDestination(icon=tab_icon(path, tab.icon), label=tab.label)
                      for path, tab in destinations],
        on_change=navigate,
    ) if len(destinations) > 1 else None
    if action is not None:  # room under the last field for the floating button
        content.padding = ft.Padding.only(left=16, right=16, top=12, bottom=88)
    return ft.View(route=route, appbar=appbar, navigation_bar=bar,
                   controls=[content], scroll=ft.ScrollMode.AUTO, padding=0,
                   floating_action_button=action)


def unread_reminders(shell: Shell, account: Account) -> int:
    """The patient's unread reminders (0 for every other role: only patients get them)."""
    if account.role is not Role.PATIENT:
        return 0
    return shell.services.reminders.unread_count(account, account.id)


def bell_label(unread: int) -> str:
    return f"Reminders: {unread} new" if unread else "Reminders"


def reminders_bell(shell: Shell, unread: int) -> ft.IconButton:
    """The app bar's way to the inbox; its name says how many are new (the badge alone
    is a picture)."""
    label = bell_label(unread)
    icon = ft.Icon(ft.Icons.NOTIFICATIONS_OUTLINED, semantics_label=label)
    return ft.IconButton(icon=icon, tooltip=label, on_click=lambda _: shell.go("/reminders"),
                         badge=_badge(unread) if unread else None)


def _badge(count: int) -> ft.Badge:
    """The count as a picture only: screen readers get it from the bell's name, and the
    Today tab keeps its name "Today" (a badge's text would be read into it: "3 Today")."""
    return ft.Badge(label=ft.Semantics(content=ft.Text(str(count) if count < 100 else "99+"),
                                       exclude_semantics=True))


Columns = dict[str | ft.ResponsiveRowBreakpoint, int | float]


def card(*controls: ft.Control, col: Columns | None = None,
         on_click: Any = None) -> ft.Container:
    return ft.Container(
        col=col or {"xs": 12, "md": 6, "xl": 4},
        padding=16,
        border_radius=16,
        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        on_click=on_click,
        content=ft.Column(list(controls), spacing=8),
    )


def not_shared(shell: Shell, route: str, title: str) -> ft.View:
    """What a clinician sees for a patient who did not share with them (or a wrong link),
    or who shares reminders and logging only: no data, why, a way back."""
    viewer = shell.require_account()
    patient_id = shell.query.get("patient", "")
    narrow = bool(patient_id) and viewer.id != patient_id and \
        shell.services.access.may(viewer, patient_id, Operation.READ_REMINDERS)
    text = ("This patient shares reminders and logging only with you, not their scores, "
            "notes or answers. They can change that on their Sharing screen." if narrow
            else "This patient's record is not shared with you, or the link is wrong.")
    return scaffold(shell, route, title, [muted(text)], back="/")


def heading(text: str, size: int = 22) -> ft.Text:
    return ft.Text(text, size=size, weight=ft.FontWeight.BOLD)


def muted(text: str, size: int = 14) -> ft.Text:
    return ft.Text(text, size=size, color=ft.Colors.ON_SURFACE_VARIANT)
