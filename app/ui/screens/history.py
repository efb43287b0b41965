"""Everything the patient logged, newest first, filterable; corrections show as versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.entries import hours_since
from app.domain.regions import NEEDLING_REGIONS, PAIN_REGIONS
from app.services.logbook import PatientData
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import icon_button
from app.ui.frame import muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell

FILTERS = {"all": "All", "check_in": "Check-ins", "session": "Sessions",
           "soreness": "Soreness", "milestone": "Milestones"}
PAGE_SIZE = 60


@dataclass(frozen=True)
class Item:
    kind: str
    at: datetime
    title: str
    detail: str
    entry_id: str = ""
    version: int = 1


def timeline(data: PatientData, timezone: str) -> list[Item]:
    items: list[Item] = []
    for c in data.check_ins:
        v = c.value
        where = ", ".join(PAIN_REGIONS.get(r, r) for r in v.regions) or "no area picked"
        worst = f", worst {v.worst_24h}/10" if v.worst_24h is not None else ""
        items.append(Item("check_in", v.recorded_at, f"Check-in: pain {v.pain_now}/10{worst}",
                          where + (f" — “{v.note}”" if v.note else ""), v.id, c.version))
    for s in data.sessions:
        items.append(Item("session", s.value.performed_at, "Needling session",
                          ", ".join(NEEDLING_REGIONS[r] for r in s.value.regions)))
    for so in data.soreness:
        session = data.session(so.value.session_id)
        hours = int(hours_since(session, so.value.recorded_at)) if session else 0
        items.append(Item("soreness", so.value.recorded_at,
                          f"Soreness {so.value.soreness}/10",
                          f"{hours} hours after the session"))
    for m in data.milestones:
        at = datetime.combine(m.value.achieved_on, datetime.min.time(),
                              fmt.local(data.patient.created_at, timezone).tzinfo)
        items.append(Item("milestone", at, f"Milestone: {m.value.text}", m.value.note))
    return sorted(items, key=lambda i: i.at, reverse=True)


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    data = shell.services.logbook.load(account, account.id)
    chosen = shell.query.get("show", "all")
    limit = int(shell.query.get("limit", PAGE_SIZE))
    items = [i for i in timeline(data, account.timezone) if chosen in ("all", i.kind)]

    def open_versions(entry_id: str) -> ft.Control:
        versions = shell.services.logbook.check_in_history(account, entry_id)
        rows: list[ft.Control] = []
        for v in reversed(versions):
            label = "Current" if v is versions[-1] else f"Version {v.version}"
            worst = f", worst {v.value.worst_24h}" if v.value.worst_24h is not None else ""
            rows.append(ft.Text(f"{label}: pain {v.value.pain_now}{worst}"
                                + (f" — “{v.value.note}”" if v.value.note else ""), size=14))
        return ft.Column(rows, spacing=2)

    def row(item: Item) -> ft.Control:
        icon = {"check_in": ft.Icons.EDIT_NOTE, "session": ft.Icons.ADD_LOCATION_ALT,
                "soreness": ft.Icons.HEALING, "milestone": ft.Icons.FLAG}[item.kind]
        subtitle: list[ft.Control] = [muted(fmt.when(item.at, account.timezone)
                                            + (f" · {item.detail}" if item.detail else ""))]
        if item.version > 1:
            subtitle.append(ft.Text(f"Corrected ({item.version} versions)", size=13,
                                    color=ft.Colors.TERTIARY))
            subtitle.append(open_versions(item.entry_id))
        trailing = icon_button(
            ft.Icons.EDIT, f"Correct {item.title}",
            lambda _, i=item.entry_id: shell.go(f"/checkin?edit={i}"),
        ) if item.kind == "check_in" else None
        return ft.Container(
            padding=ft.Padding.symmetric(vertical=8),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
            content=ft.Row([
                ft.Icon(icon, color=ft.Colors.PRIMARY),
                ft.Column([ft.Text(item.title, size=16), *subtitle], spacing=2, expand=True),
                *([trailing] if trailing else []),
            ], vertical_alignment=ft.CrossAxisAlignment.START, spacing=16),
        )

    def choose(event: Any) -> None:
        shell.go(f"/history?show={event.control.data}")

    filters = ft.Row([ft.Chip(label=ft.Text(text), data=key, selected=key == chosen,
                              on_select=choose, height=theme.TOUCH)
                      for key, text in FILTERS.items()], wrap=True, spacing=6)
    listing: list[ft.Control] = [row(i) for i in items[:limit]]
    if len(items) > limit:
        listing.append(ft.TextButton(
            f"Show older ({len(items) - limit} more)",
            on_click=lambda _: shell.go(f"/history?show={chosen}&limit={limit + PAGE_SIZE}")))
    if not items:
        listing.append(muted("Nothing here yet. Your check-ins and sessions will show up "
                             "here."))
    return scaffold(shell, "/history", "History", [filters, ft.Column(listing, spacing=0)])
