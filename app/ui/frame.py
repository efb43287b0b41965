"""The frame around every signed-in screen: app bar, role navigation (bottom bar on a
phone, rail on a desktop), and a content column that uses the width it is given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.accounts import Role
from app.ui.components import icon_button

if TYPE_CHECKING:
    from app.ui.shell import Shell


@dataclass(frozen=True)
class Destination:
    route: str
    label: str
    icon: ft.IconData


NAVIGATION: dict[Role, tuple[Destination, ...]] = {
    Role.PATIENT: (
        Destination("/", "Today", ft.Icons.HOME_OUTLINED),
        Destination("/checkin", "Check in", ft.Icons.ADD_CIRCLE_OUTLINE),
        Destination("/progress", "Progress", ft.Icons.SHOW_CHART),
        Destination("/history", "History", ft.Icons.HISTORY),
        Destination("/settings", "Settings", ft.Icons.SETTINGS_OUTLINED),
    ),
    Role.THERAPIST: (
        Destination("/", "Patients", ft.Icons.PEOPLE_OUTLINE),
        Destination("/settings", "Settings", ft.Icons.SETTINGS_OUTLINED),
    ),
    Role.CARE_TEAM: (
        Destination("/", "Patients", ft.Icons.PEOPLE_OUTLINE),
        Destination("/settings", "Settings", ft.Icons.SETTINGS_OUTLINED),
    ),
    Role.ADMIN: (
        Destination("/", "Clinic", ft.Icons.LOCAL_HOSPITAL_OUTLINED),
        Destination("/settings", "Settings", ft.Icons.SETTINGS_OUTLINED),
    ),
}


def scaffold(shell: Shell, route: str, title: str, body: list[ft.Control], *,
             back: str | None = None,
             action: ft.FloatingActionButton | None = None) -> ft.View:
    """`action` is the screen's main action, kept in reach without scrolling."""
    account = shell.require_account()
    destinations = NAVIGATION[account.role]
    selected = next((i for i, d in enumerate(destinations) if d.route == route), None)

    def navigate(event: Any) -> None:
        shell.go(destinations[int(event.control.selected_index)].route)

    appbar = ft.AppBar(
        title=ft.Text(title),
        leading=icon_button(ft.Icons.ARROW_BACK, "Back",
                            lambda _: shell.go(back)) if back else None,
        automatically_imply_leading=False,
        actions=[
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
            destinations=[ft.NavigationRailDestination(icon=d.icon, label=d.label)
                          for d in destinations],
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
        destinations=[ft.NavigationBarDestination(icon=d.icon, label=d.label)
                      for d in destinations],
        on_change=navigate,
    ) if len(destinations) > 1 else None
    if action is not None:  # room under the last field for the floating button
        content.padding = ft.Padding.only(left=16, right=16, top=12, bottom=88)
    return ft.View(route=route, appbar=appbar, navigation_bar=bar,
                   controls=[content], scroll=ft.ScrollMode.AUTO, padding=0,
                   floating_action_button=action)


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
    """What a clinician sees for a patient who did not share with them (or a wrong link):
    no data, a way back."""
    return scaffold(shell, route, title, [muted(
        "This patient's record is not shared with you, or the link is wrong.")], back="/")


def heading(text: str, size: int = 22) -> ft.Text:
    return ft.Text(text, size=size, weight=ft.FontWeight.BOLD)


def muted(text: str, size: int = 14) -> ft.Text:
    return ft.Text(text, size=size, color=ft.Colors.ON_SURFACE_VARIANT)
