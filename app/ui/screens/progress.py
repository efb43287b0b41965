"""The patient's Progress screen: the plain-language summary, a time-range choice and the
four charts (pain, soreness after sessions, function and milestones, logging), and the
progress report download.

The route carries the range (/progress?range=4w|3m|all), so a choice is a navigation like
any other. The view is built at once with the summary waiting and, in the browser, the
chart frame already there: a WebView (an iframe) showing a chart page opened in
app.ui.chart_pages.PAGES before the figures exist, so the browser loads plotly.js (the
copy the app serves once) while the figures are built (or taken from ProgressService's
cache) off the event loop; the page then fetches them from its token URL and draws all
four. Nothing on this screen re-renders a chart on an unrelated update: the iframe keeps
its document.

Where plotly.js cannot run in the frame, the page shows each chart as a static picture
the server draws (app.charts.static; words if that fails too). Where there is no frame at
all (not served over the web: a desktop window) the boxes show the numbers behind the
summary as a short table, and the report keeps the charts.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

import flet as ft
import flet_webview as fwv

from app.charts.figures import ADHERENCE, CHART_KEYS, FUNCTION, PAIN, Figures
from app.charts.theme import palette
from app.charts.wording import Audience
from app.domain.progress import ResponseSummary, Verdict
from app.services.report import VERDICT_LABELS
from app.services.shared_pages import PageHolder
from app.ui import format as fmt
from app.ui import theme
from app.ui.chart_pages import (
    PAGES,
    PREFIX,
    ChartSpec,
    chart_base_url,
    chart_data,
    chart_frame,
    date_window,
    page_height,
)
from app.ui.fhir_download import fhir_button
from app.ui.flags import flag_chip
from app.ui.frame import card, muted, not_shared, scaffold
from app.ui.screens.answers import clinician_answers

if TYPE_CHECKING:
    from app.domain.accounts import Account
    from app.ui.shell import Shell


@dataclass(frozen=True)
class TimeRange:
    key: str
    label: str
    days: int | None  # None: everything logged


RANGES: Final = (TimeRange("4w", "4 weeks", 28), TimeRange("3m", "3 months", 91),
                 TimeRange("all", "All", None))
DEFAULT_RANGE: Final = "3m"
CHART_HEIGHT_PHONE: Final = 400  # px: readable at 360–412 px wide, legend included
CHART_HEIGHT_WIDE: Final = 400
CHART_GAP: Final = 16
log = logging.getLogger(__name__)
_CALENDAR_CHARTS: Final = (PAIN, FUNCTION)  # the range narrows these (date x-axis)


def build(shell: Shell) -> ft.View:
    viewer = shell.require_account()
    account = shell.patient_in_view(viewer)  # the patient's own, or one shared
    if account is None:
        return not_shared(shell, "/progress", "Progress")
    own = account.id == viewer.id
    chosen = _range(shell.query.get("range"))
    layout = _Layout.for_width(shell.is_wide)
    dark = _dark(shell)

    headline = ft.Text("Looking at your entries…" if own else
                       f"Looking at {account.name}'s entries…",
                       size=20, weight=ft.FontWeight.W_600)
    detail = muted("")
    reassess = ft.Container(visible=False)
    charts = _waiting_box(layout.frame_height, "Drawing your charts…" if own else
                          "Drawing the charts…")
    base = chart_base_url(shell.page.url) if shell.page.web else None
    token_owner = shell.token

    def still_valid() -> bool:
        # The same sign-in in this tab, not ended by the idle timeout meanwhile, and (for
        # a clinician) the patient has not stopped sharing since.
        return (token_owner is not None and shell.token == token_owner
                and shell.services.auth.is_active(token_owner)
                and (own or shell.services.access.may_read(viewer, account.id)))

    token: str | None = None
    # For another app server that gets the frame's request (issue 17).
    holder = PageHolder(token_owner, viewer, account.id) if token_owner is not None else None
    if base is not None:
        # The frame first: its plotly.js loads while the figures are built.
        title = "Your progress" if own else f"{account.name}'s progress"
        token = PAGES.open(chart_frame(len(CHART_KEYS), dark=dark, title=title,
                                       height_px=layout.chart_height,
                                       columns=layout.columns, gap_px=CHART_GAP),
                           still_valid, holder=holder)
        charts.alignment, charts.padding = None, None
        charts.content = fwv.WebView(url=f"{base}{PREFIX}{token}",
                                     height=layout.frame_height, expand=True,
                                     bgcolor=palette(dark).paper)
    report_busy = ft.ProgressRing(width=24, height=24, visible=False)

    ranges = ft.SegmentedButton(
        selected=[chosen.key],
        show_selected_icon=False,  # the fill marks the choice; "3 months" fits at 360 px
        segments=[ft.Segment(value=r.key, label=ft.Text(r.label)) for r in RANGES],
        on_change=lambda e: shell.go(_route(e.control.selected[0],
                                            None if own else account.id)),
    )

    async def download(_: Any) -> None:
        report_busy.visible = True
        shell.page.update()
        try:
            report_file = await asyncio.to_thread(shell.services.exports.export, viewer,
                                                  account.id, "report")
            await shell.file_picker.save_file(file_name=report_file.file_name,
                                              src_bytes=report_file.content)
        finally:
            report_busy.visible = False
            shell.page.update()
        shell.toast("The progress report was saved as an HTML file.")

    summary_card = card(headline, detail, reassess, col={"xs": 12})
    report = card(
        ft.Text("Progress report", size=18, weight=ft.FontWeight.W_600),
        muted("One file with your summary, charts, sessions and activity scores, to keep "
              "or show your therapist. It opens in any browser, also offline." if own else
              "One file with the summary, charts, sessions, activity scores and "
              "\"Is this normal?\" answers, for the record. Opens in any browser, offline."),
        ft.Row([ft.OutlinedButton("Download report", icon=ft.Icons.DOWNLOAD,
                                  height=theme.TOUCH, on_click=download), report_busy,
                *([] if own else [fhir_button(shell, viewer, account.id)])],
               wrap=True, spacing=8, run_spacing=8),
        col={"xs": 12},
    )
    record_session = [] if own else [ft.Row([ft.FilledButton(
        "Record a needling session", icon=ft.Icons.ADD, height=theme.TOUCH,
        on_click=lambda _: shell.go(f"/session?patient={account.id}"))])]
    answers_row = ft.ResponsiveRow([], spacing=16)  # a clinician's: filled once loaded
    body: list[ft.Control] = [
        ft.ResponsiveRow([summary_card], spacing=16),
        *record_session,
        *([] if own else [answers_row]),
        ft.Row([ft.Text("Show", size=16), ranges], wrap=True, spacing=12),
        charts,
        ft.ResponsiveRow([report], spacing=16),
    ]
    view = scaffold(shell, "/progress", "Progress" if own else f"Progress · {account.name}",
                    body, back=None if own else "/")

    def current() -> bool:
        return bool(shell.page.views) and shell.page.views[-1] is view

    async def load() -> None:
        try:
            summary, flags, answers = await asyncio.to_thread(
                _prepare, shell, viewer, account, chosen, dark, token)
        except Exception:
            log.exception("progress charts failed for %s", account.id)
            if token is not None:
                PAGES.fail(token)
            if current():
                headline.value = ("Your progress could not be shown just now." if own else
                                  f"{account.name}'s progress could not be shown just now.")
                charts.alignment, charts.padding = None, 16
                charts.content = muted("Please try again in a moment. "
                                       + ("Your entries are safe." if own else
                                          "The entries are safe."))
                shell.page.update()
            return
        if not current():
            if token is not None:
                PAGES.revoke(token)
            return
        if own:
            _show_summary(summary, headline, detail, reassess)
        else:
            _show_clinician_summary(summary, flags, account, headline, detail, reassess)
            answers_row.controls = [answers] if answers is not None else []
        if token is None:
            charts.alignment = None
            charts.height = None
            charts.padding = 16
            charts.content = _numbers_table(summary)
        shell.page.update()

    shell.page.run_task(load)
    return view


# -- work done off the event loop -------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """How the charts sit: one column on a phone, two side by side on a wide screen."""

    columns: int
    chart_height: int

    @classmethod
    def for_width(cls, wide: bool) -> _Layout:
        return cls(2, CHART_HEIGHT_WIDE) if wide else cls(1, CHART_HEIGHT_PHONE)

    @property
    def frame_height(self) -> int:
        return page_height(len(CHART_KEYS), height_px=self.chart_height,
                           columns=self.columns, gap_px=CHART_GAP)


def _prepare(shell: Shell, viewer: Account, account: Account, chosen: TimeRange, dark: bool,
             token: str | None) -> tuple[ResponseSummary, tuple[str, ...],
                                         ft.Control | None]:
    """Summary, the caseload's flags and the "Is this normal?" answers (for a clinician)
    and figures (cached by ProgressService) of `account`, read by `viewer` (access-checked;
    a clinician's reads are audited); with a chart frame open, its data. The charts speak
    to the patient on their own screen, about the patient on a clinician's. Runs in a
    worker thread."""
    services = shell.services
    record = services.progress.record(viewer, account.id)
    audience = Audience.PATIENT if viewer.id == account.id else Audience.CLINICIAN
    summary, figures = services.progress.progress_of(account.id, record, dark=dark,
                                                     audience=audience)
    flags: tuple[str, ...] = ()
    answers: ft.Control | None = None
    if viewer.id != account.id:
        records = services.followups.answers(viewer, account.id)
        flags = services.caseload.status_of(viewer, account, record, summary,
                                             records).flags
        answers = clinician_answers(shell, viewer, account, records, record.check_ins,
                                    record.sessions, record.soreness)
    if token is not None:
        today = shell.services.logbook.local_today(account.id)
        windows = _windows(figures, chosen, today)
        PAGES.fill(token, chart_data([ChartSpec(figures[key].to_json(), windows.get(key))
                                      for key in CHART_KEYS]))
    return summary, flags, answers


def _windows(figures: Figures, chosen: TimeRange, today: date) -> dict[str, tuple[str, str]]:
    """The x-axis window of each calendar chart for the chosen range (none: everything).
    The window never starts before the first entry, so a short history fills the chart."""
    if chosen.days is None:
        return {}
    start = today - timedelta(days=chosen.days - 1)
    first = _first_day(figures)
    if first is not None:
        start = max(start, first)
    result = {key: date_window(start, today) for key in _CALENDAR_CHARTS}
    # The logging calendar has one column per week, centred on its Monday.
    monday = start - timedelta(days=start.weekday())
    last_monday = today - timedelta(days=today.weekday())
    result[ADHERENCE] = date_window(monday - timedelta(days=4), last_monday + timedelta(days=3))
    return result


def _first_day(figures: Figures) -> date | None:
    """The first day the pain chart shows (its first check-in), if any."""
    for trace in figures[PAIN].data:
        xs = getattr(trace, "x", None)
        if xs:
            try:
                return date.fromisoformat(str(xs[0])[:10])
            except ValueError:
                return None
    return None


# -- pieces of the view -----------------------------------------------------------------


def _range(key: str | None) -> TimeRange:
    return next((r for r in RANGES if r.key == key),
                next(r for r in RANGES if r.key == DEFAULT_RANGE))


def _route(key: str, patient_id: str | None = None) -> str:
    """The route of a range choice; `patient_id` for a clinician's view of one patient."""
    query = {**({"patient": patient_id} if patient_id else {}),
             **({} if key == DEFAULT_RANGE else {"range": key})}
    return "/progress" + (f"?{urlencode(query)}" if query else "")


def _dark(shell: Shell) -> bool:
    if shell.theme_mode in ("light", "dark"):
        return shell.theme_mode == "dark"
    return shell.page.platform_brightness == ft.Brightness.DARK


def _waiting_box(height: int, words: str) -> ft.Container:
    return ft.Container(
        height=height,
        border_radius=12,
        clip_behavior=ft.ClipBehavior.HARD_EDGE,
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
        alignment=ft.Alignment.TOP_CENTER,
        padding=ft.Padding.only(top=48),
        content=ft.Column([ft.ProgressRing(width=28, height=28), muted(words)],
                          horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                          alignment=ft.MainAxisAlignment.CENTER, tight=True),
    )


def _show_summary(summary: ResponseSummary, headline: ft.Text, detail: ft.Text,
                  reassess: ft.Container) -> None:
    headline.value = summary.headline
    detail.value = summary.detail
    detail.size = 16
    if summary.needs_reassessment:
        # The detail already says it in the clinic's words; this makes it easy to act on.
        worse = summary.verdict is Verdict.WORSE
        reassess.content = ft.Row([
            ft.Icon(ft.Icons.FORUM_OUTLINED, color=ft.Colors.PRIMARY),
            ft.Text("Bring this screen or the progress report to your next appointment: "
                    "your therapist can look at the plan with you."
                    + (" If you are worried, call the clinic sooner." if worse else ""),
                    expand=True, size=15),
        ], vertical_alignment=ft.CrossAxisAlignment.START)
        reassess.padding = 12
        reassess.border_radius = 12
        reassess.bgcolor = ft.Colors.SECONDARY_CONTAINER
        reassess.visible = True


def _show_clinician_summary(summary: ResponseSummary, flags: tuple[str, ...],
                            patient: Account, headline: ft.Text, detail: ft.Text,
                            flagged: ft.Container) -> None:
    """The clinician's words: the verdict, the numbers behind it and the caseload's flags
    (most urgent first), not the patient's wording."""
    headline.value = f"{patient.name}: {VERDICT_LABELS[summary.verdict].lower()}"
    detail.value = fmt.clinician_numbers(summary)
    detail.size = 16
    if flags:
        flagged.content = ft.Row([flag_chip(flag) for flag in flags], wrap=True,
                                 spacing=6, run_spacing=6)
        flagged.visible = True


def _numbers_table(summary: ResponseSummary) -> ft.Control:
    """The static fallback: the numbers behind the summary, as text."""
    def number(value: float | None, unit: str = "/10") -> str:
        return "–" if value is None else f"{value:.1f}{unit}"

    rows = [("Average pain at the start", number(summary.pain_baseline)),
            ("Average pain now", number(summary.pain_current)),
            ("Activities at the start", number(summary.psfs_baseline)),
            ("Activities now", number(summary.psfs_current)),
            ("Needling sessions", str(summary.sessions))]
    return ft.Column([
        muted("Interactive charts show in the browser version and in the progress report."),
        *[ft.Row([ft.Text(label, expand=True), ft.Text(value, weight=ft.FontWeight.W_600)])
          for label, value in rows],
    ], spacing=6, scroll=ft.ScrollMode.AUTO)
