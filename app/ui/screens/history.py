"""Everything the patient logged, newest first, filterable; corrections show as versions.

Soreness is listed under the session it follows (not by its own time, where it could land
under a later session), milestones by their date (they have no time of day), and every
"Is this normal?" answer is listed with its tier: an urgent answer must not vanish.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.entries import Milestone, NeedlingSession, SorenessEntry, hours_since
from app.domain.regions import NEEDLING_REGIONS, PAIN_REGIONS
from app.services.base import Versioned
from app.services.logbook import MILESTONE, SESSION, SORENESS, PatientData
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import icon_button
from app.ui.frame import muted, scaffold

if TYPE_CHECKING:
    from app.services.guidance import PastAssessment
    from app.ui.shell import Shell

FILTERS = {"all": "All", "check_in": "Check-ins", "session": "Sessions",
           "soreness": "Soreness", "milestone": "Milestones", "answer": "Answers"}
PAGE_SIZE = 60
# Where the pencil of each kind leads (the screen that corrects or withdraws it).
EDIT_ROUTES = {"check_in": "/checkin", "session": "/session", "soreness": "/soreness",
               "milestone": "/milestones"}
STORE_KINDS = {"session": SESSION, "soreness": SORENESS, "milestone": MILESTONE}
ICONS = {"check_in": ft.Icons.EDIT_NOTE, "session": ft.Icons.ADD_LOCATION_ALT,
         "soreness": ft.Icons.HEALING, "milestone": ft.Icons.FLAG,
         "answer": ft.Icons.HEALTH_AND_SAFETY}


@dataclass(frozen=True)
class Item:
    kind: str
    at: datetime
    title: str
    detail: str
    entry_id: str = ""
    version: int = 1
    date_only: bool = False  # a milestone: a day, not a moment
    under: tuple[Item, ...] = ()  # soreness listed under its session
    withdrawn_at: datetime | None = None  # withdrawn: listed, never counted


def _soreness_item(data: PatientData, entry: SorenessEntry, version: int,
                   timezone: str, with_session: bool) -> Item:
    session = data.session(entry.session_id)
    hours = int(hours_since(session, entry.recorded_at)) if session else 0
    after = f"{hours} hour{'s' if hours != 1 else ''} after the session"
    if with_session and session is not None:
        after += f" of {fmt.day(session.performed_at, timezone)}"
    return Item("soreness", entry.recorded_at, f"Soreness {entry.soreness}/10",
                after + (f" — “{entry.note}”" if entry.note else ""), entry.id, version)


def timeline(data: PatientData, timezone: str, show: str = "all",
             answers: list[PastAssessment] | None = None,
             tier_labels: dict[str, str] | None = None) -> list[Item]:
    """The listing for one filter, newest first."""
    items: list[Item] = []
    if show in ("all", "check_in"):
        for c in data.check_ins:
            v = c.value
            where = ", ".join(PAIN_REGIONS.get(r, r) for r in v.regions) or "no area picked"
            worst = f", worst {v.worst_24h}/10" if v.worst_24h is not None else ""
            items.append(Item("check_in", v.recorded_at,
                              f"Check-in: pain {v.pain_now}/10{worst}",
                              where + (f" — “{v.note}”" if v.note else ""), v.id, c.version))
    if show in ("all", "session"):
        for s in data.sessions:
            under = tuple(sorted(
                (_soreness_item(data, so.value, so.version, timezone, False)
                 for so in data.soreness if so.value.session_id == s.value.id),
                key=lambda i: i.at, reverse=True))
            regions = ", ".join(NEEDLING_REGIONS[r] for r in s.value.regions)
            items.append(Item("session", s.value.performed_at, "Needling session",
                              regions + (f" — “{s.value.note}”" if s.value.note else ""),
                              s.value.id, s.version, under=under))
    if show == "soreness":
        items += [_soreness_item(data, so.value, so.version, timezone, True)
                  for so in data.soreness]
    if show in ("all", "milestone"):
        zone = fmt.local(data.patient.created_at, timezone).tzinfo
        for m in data.milestones:
            at = datetime.combine(m.value.achieved_on, datetime.min.time(), zone)
            items.append(Item("milestone", at, f"Milestone: {m.value.text}", m.value.note,
                              m.value.id, m.version, date_only=True))
    if show in ("all", "answer"):
        labels = tier_labels or {}
        for past in answers or []:
            level = past.assessment.level
            items.append(Item("answer", past.assessed_at,
                              f"“Is this normal?”: {labels.get(level, level)}",
                              past.assessment.reasons[0].text if past.assessment.reasons
                              else "", past.record_id))
    return sorted(items, key=lambda i: i.at, reverse=True)


def withdrawn_items(data: PatientData, withdrawn: list[tuple[str, Versioned[Any]]],
                    timezone: str, show: str) -> list[Item]:
    """What the patient withdrew, as it was, marked withdrawn (listed with its kind)."""
    kinds = {SESSION: "session", SORENESS: "soreness", MILESTONE: "milestone"}
    items: list[Item] = []
    for store_kind, version in withdrawn:
        kind = kinds[store_kind]
        if show not in ("all", kind):
            continue
        value = version.value
        when = datetime.fromisoformat(version.saved_at) if version.saved_at else None
        if isinstance(value, NeedlingSession):
            at, title = value.performed_at, "Needling session"
        elif isinstance(value, SorenessEntry):
            at, title = value.recorded_at, f"Soreness {value.soreness}/10"
        elif isinstance(value, Milestone):
            zone = fmt.local(data.patient.created_at, timezone).tzinfo
            at = datetime.combine(value.achieved_on, datetime.min.time(), zone)
            title = f"Milestone: {value.text}"
        else:
            continue
        items.append(Item(kind, at, f"{title} (withdrawn)", describe_version(value),
                          value.id, version.version, date_only=kind == "milestone",
                          withdrawn_at=when))
    return items


def describe_version(value: object) -> str:
    """One version of an entry in a line ("pain 5", "lower back", "soreness 3")."""
    if isinstance(value, NeedlingSession):
        return ", ".join(NEEDLING_REGIONS[r] for r in value.regions) + (
            f" — “{value.note}”" if value.note else "")
    if isinstance(value, SorenessEntry):
        return f"soreness {value.soreness}"
    if isinstance(value, Milestone):
        return f"{value.text}, {value.achieved_on:%a %-d %b %Y}"
    return str(value)


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    data = shell.services.logbook.load(account, account.id)
    chosen = shell.query.get("show", "all")
    if chosen not in FILTERS:
        chosen = "all"
    limit = int(shell.query.get("limit", PAGE_SIZE)) if shell.query.get(
        "limit", "").isdigit() else PAGE_SIZE
    rulebook = shell.services.rulebook
    answers = shell.services.guidance.history(account, account.id) \
        if chosen in ("all", "answer") else []
    items = timeline(data, account.timezone, chosen, answers,
                     {k: v.label for k, v in rulebook.tiers.items()})
    if chosen in ("all", "session", "soreness", "milestone"):
        gone = shell.services.logbook.withdrawn(account, account.id)
        items = sorted(items + withdrawn_items(data, gone, account.timezone, chosen),
                       key=lambda i: i.at, reverse=True)

    def open_versions(item: Item) -> ft.Control:
        rows: list[ft.Control] = []
        if item.kind == "check_in":
            versions = shell.services.logbook.check_in_history(account, item.entry_id)
            for v in reversed(versions):
                label = "Current" if v is versions[-1] else f"Version {v.version}"
                worst = f", worst {v.value.worst_24h}" if v.value.worst_24h is not None else ""
                rows.append(ft.Text(f"{label}: pain {v.value.pain_now}{worst}"
                                    + (f" — “{v.value.note}”" if v.value.note else ""),
                                    size=14))
        else:
            history = shell.services.logbook.entry_history(account, STORE_KINDS[item.kind],
                                                           item.entry_id)
            for old in reversed(history):
                label = "Current" if old is history[-1] else f"Version {old.version}"
                rows.append(ft.Text(f"{label}: {describe_version(old.value)}", size=14))
        return ft.Column(rows, spacing=2)

    def row(item: Item, indent: int = 0) -> ft.Control:
        moment = (f"{item.at:%a %-d %b %Y}" if item.date_only
                  else fmt.when(item.at, account.timezone))
        subtitle: list[ft.Control] = [muted(moment + (f" · {item.detail}" if item.detail
                                                      else ""))]
        if item.withdrawn_at is not None:
            subtitle.append(ft.Text(f"Withdrawn {fmt.when(item.withdrawn_at, account.timezone)}"
                                    " — not counted anywhere", size=13,
                                    color=ft.Colors.TERTIARY))
        if item.version > 1 and item.withdrawn_at is None:
            subtitle.append(ft.Text(f"Corrected ({item.version} versions)", size=13,
                                    color=ft.Colors.TERTIARY))
            subtitle.append(open_versions(item))
        # The button says which entry it opens (title and time): a screen reader lists
        # many "Correct Needling session" buttons otherwise.
        if item.withdrawn_at is not None:
            trailing: ft.Control | None = None
        elif item.kind == "answer":
            trailing = icon_button(
                ft.Icons.CHEVRON_RIGHT, f"Open {item.title}, {moment}",
                lambda _, i=item.entry_id: shell.go(f"/guidance/result?id={i}"))
        elif item.kind in EDIT_ROUTES:
            trailing = icon_button(
                ft.Icons.EDIT, f"Correct {item.title}, {moment}",
                lambda _, k=item.kind, i=item.entry_id: shell.go(f"{EDIT_ROUTES[k]}?edit={i}"))
        else:
            trailing = None
        line = ft.Container(
            padding=ft.Padding.only(left=indent, top=8, bottom=8),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
            content=ft.Row([
                ft.Icon(ICONS[item.kind], color=ft.Colors.OUTLINE if item.withdrawn_at
                        else ft.Colors.PRIMARY),
                ft.Column([ft.Text(item.title, size=16), *subtitle], spacing=2, expand=True),
                *([trailing] if trailing else []),
            ], vertical_alignment=ft.CrossAxisAlignment.START, spacing=16),
        )
        if not item.under:
            return line
        return ft.Column([line, *(row(u, indent + 24) for u in item.under)], spacing=0)

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
