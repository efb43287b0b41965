"""Daily check-in (and its correction): pain now, worst in 24 h, where, PSFS ability,
a note. Built to take under 30 seconds on a phone: tap, tap, save."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft
from flet.messaging.session_store import SessionStore

from app.domain.accounts import Account
from app.domain.errors import Conflict, InvalidInput
from app.domain.regions import PAIN_REGIONS
from app.domain.scales import NOTE_MAX_CHARS, NRS_ANCHORS, PSFS_ANCHORS
from app.ui import theme
from app.ui.components import ChipChoice, form_body, go_to, run_with_progress
from app.ui.frame import muted, scaffold
from app.ui.score_row import ScoreRow

if TYPE_CHECKING:
    from app.domain.entries import CheckIn, PsfsActivity
    from app.services.base import Versioned
    from app.ui.shell import Shell

# A new check-in's form, kept in the tab's Flet session between visits and cleared on
# each: building its ~170 controls was a fifth of the server's CPU per check-in (issue
# 17), and a clinic's evening reminder sends every patient to it in the same minutes.
# Kept only while the questions are the same (the patient's activities); a correction is
# built anew. It goes with the session.
KEPT_FORM = "backtrack.checkin.form"


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    logbook = shell.services.logbook
    edit_id = shell.query.get("edit")
    current = logbook.get_check_in(account, edit_id) if edit_id else None
    activities = logbook.activities_of(account, account.id)
    if current is not None:
        form = _Form(shell, account, activities, current)
    else:
        store = _session_store(shell)
        kept = store.get(KEPT_FORM) if store is not None else None
        if isinstance(kept, _Form) and kept.questions == _questions(account, activities):
            form = kept
            form.clear(account)
        else:
            form = _Form(shell, account, activities, None)
            if store is not None:
                store.set(KEPT_FORM, form)
    title = "Correct check-in" if current else "Daily check-in"
    return scaffold(shell, "/checkin", title, [form.row],
                    back="/history" if current else None)


def _session_store(shell: Shell) -> SessionStore | None:
    """The tab's Flet session storage (None for a page without one, as in unit tests)."""
    try:
        store = shell.page.session.store
    except (AttributeError, RuntimeError):  # no session, or it is over
        return None
    return store if isinstance(store, SessionStore) else None


def _questions(account: Account, activities: list[PsfsActivity]) -> tuple[object, ...]:
    return account.id, tuple((a.id, a.name) for a in activities)


class _Form:
    """The check-in form's controls and its save."""

    def __init__(self, shell: Shell, account: Account, activities: list[PsfsActivity],
                 current: Versioned[CheckIn] | None) -> None:
        self.shell, self.account, self.current = shell, account, current
        self.questions = _questions(account, activities)
        self.visit = 0  # which visit to the form a save belongs to (see clear)
        existing = current.value if current else None
        self.pain = ScoreRow("Pain right now", value=existing.pain_now if existing else None,
                             anchors=NRS_ANCHORS)
        self.worst = ScoreRow("Worst pain in the last 24 hours",
                              value=existing.worst_24h if existing else None,
                              anchors=NRS_ANCHORS)
        self.regions = ChipChoice("Tap every area that hurts.", PAIN_REGIONS,
                                  existing.regions if existing else ())
        # Twelve areas take five rows of chips on a phone: folded until opened, so the
        # scores, the activities and Save stay near each other.
        picked = ", ".join(PAIN_REGIONS[r] for r in self.regions.selected if r in PAIN_REGIONS)
        # The chips (24 controls) join the tile when it is first opened, not with every
        # visit to the form: most check-ins never open it (issue 17: CPU per check-in).
        self.where = ft.ExpansionTile(
            title=ft.Text("Where does it hurt?", size=17, weight=ft.FontWeight.W_600),
            subtitle=ft.Text(picked or "Optional — tap to choose", size=14),
            controls=[], maintain_state=True, tile_padding=ft.Padding.only(right=8),
            expanded_cross_axis_alignment=ft.CrossAxisAlignment.START,
            min_tile_height=theme.TOUCH, on_change=self._show_regions)
        self.psfs = {a.id: ScoreRow(f"Today, how well can you do: {a.name}?",
                                    value=existing.psfs.get(a.id) if existing else None,
                                    anchors=PSFS_ANCHORS)
                     for a in activities}
        # The counter under the field shows the limit as the patient types.
        self.note = ft.TextField(label="Note (optional)", multiline=True, min_lines=2,
                                 max_lines=5, max_length=NOTE_MAX_CHARS,
                                 value=existing.note if existing else "")
        self.problem = ft.Text("", color=ft.Colors.ERROR, visible=False)
        self.saving = False
        # In the form, after the note (not floating): a floating button covered the note
        # while the patient typed in it.
        self.button = ft.FilledButton("Save correction" if current else "Save check-in",
                                      icon=ft.Icons.CHECK, height=theme.TOUCH,
                                      on_click=self.save)
        self.busy = ft.ProgressRing(width=24, height=24, visible=False)
        self.body: list[ft.Control] = [
            muted("Correct this check-in. The original stays in your history." if current
                  else "Tap a number for each question, then save."),
            self.pain, self.worst, self.where,
            *self.psfs.values(),
            *([] if activities else [ft.TextButton(
                "Add the activities you want to get back to",
                on_click=go_to(shell, "/activities"))]),
            self.note, self.problem, ft.Row([self.button, self.busy]),
        ]
        self.column = form_body(list(self.body))
        self.row = ft.ResponsiveRow([self.column])

    def clear(self, account: Account) -> None:
        """As built for a new check-in: nothing tapped, typed, folded open or confirmed. A
        save still running from the last visit no longer touches the form."""
        self.account = account
        self.visit += 1
        self.saving = False
        for row in (self.pain, self.worst, *self.psfs.values()):
            row.clear()
        self.regions.clear()
        self.where.controls, self.where.expanded = [], False
        self.note.value, self.note.error = "", None
        self.problem.value, self.problem.visible = "", False
        self.button.visible, self.button.disabled, self.busy.visible = True, False, False
        self.column.controls = list(self.body)

    def _show_regions(self, _: Any = None) -> None:
        if not self.where.controls:
            self.where.controls = [self.regions]
            self.where.update()

    def _hide_problems(self) -> None:
        for picker in (self.pain, self.worst, *self.psfs.values()):
            picker.show_error(None)
        self.regions.show_error(None)
        self.note.error = None
        self.problem.visible = False

    async def save(self, _: Any) -> None:
        shell, current, account = self.shell, self.current, self.account
        logbook = shell.services.logbook
        self._hide_problems()
        if self.pain.value is None:
            self.pain.show_error("Tap a number for your pain right now.")
            shell.page.update()
            return
        if self.saving:
            return  # a double tap must not save twice
        self.saving, visit = True, self.visit
        fields: dict[str, Any] = dict(
            pain_now=self.pain.value, worst_24h=self.worst.value,
            regions=list(self.regions.selected),
            psfs={k: p.value for k, p in self.psfs.items() if p.value is not None},
            note=self.note.value,
        )

        def store() -> object:
            if current is not None:
                return logbook.correct_check_in(account, current.value.id,
                                                expected_version=current.version, **fields)
            return logbook.check_in(account, account.id, **fields)

        def show_busy(on: bool) -> None:
            self.button.disabled, self.busy.visible = on, on

        try:
            await run_with_progress(shell.page, store, show_busy)
        except InvalidInput as exc:
            if visit != self.visit:
                return
            _show_problems(exc, self.pain, self.worst, self.regions, self.psfs, self.note)
            if "regions" in exc.problems:  # its message is under the chips: open them
                self.where.controls, self.where.expanded = [self.regions], True
            self.saving = False
            shell.page.update()
            return
        except Conflict:
            if visit != self.visit:
                return
            self.problem.value = ("This check-in was changed somewhere else. Go back to "
                                  "History and open it again.")
            self.problem.visible = True
            self.saving = False
            shell.page.update()
            return
        if visit != self.visit:
            return  # saved; the patient has since left the form and come back to it
        if current is not None:
            shell.flash = "Check-in corrected — the original stays in your history."
            shell.go("/history")
            return
        # Confirm right here, in the same update: no route change stands between the tap
        # and the confirmation (docs/performance.md).
        panel, back = saved_panel(shell, self.pain.value, self.worst.value)
        self.column.controls = [panel]
        self.button.visible = False
        # Only the form changed (the button went with it): diff that column, not the
        # whole page with its app bar and navigation (issue 17: CPU per check-in).
        self.column.update()
        # Move focus off the form that just went away (else the next tap only unfocuses
        # it), onto the next step: keyboard and screen-reader users land there too.
        await back.focus()


def saved_panel(shell: Shell, pain: int | None,
                worst: int | None) -> tuple[ft.Control, ft.FilledButton]:
    worst_text = f", worst in 24 hours {worst}/10" if worst is not None else ""
    back = ft.FilledButton("Back to Today", height=theme.TOUCH, on_click=go_to(shell, "/"))
    panel = ft.Column([
        ft.Row([ft.Icon(ft.Icons.CHECK_CIRCLE, color=ft.Colors.GREEN_700, size=40),
                ft.Text("Check-in saved. Thank you!", size=22, weight=ft.FontWeight.BOLD,
                        expand=True)]),
        ft.Text(f"Pain now {pain}/10{worst_text}.", size=16),
        muted("You can correct it from History; the original is kept."),
        ft.Row([
            back,
            ft.OutlinedButton("See my progress", height=theme.TOUCH,
                              on_click=go_to(shell, "/progress")),
        ], wrap=True),
    ], spacing=16)
    return panel, back


def _show_problems(exc: InvalidInput, pain: ScoreRow, worst: ScoreRow,
                   regions: ChipChoice, psfs: dict[str, ScoreRow],
                   note: ft.TextField) -> None:
    for field, message in exc.problems.items():
        if field == "pain_now":
            pain.show_error(message)
        elif field == "worst_24h":
            worst.show_error(message)
        elif field == "regions":
            regions.show_error(message)
        elif field == "note":
            note.error = message
        elif field.startswith("psfs.") and field[5:] in psfs:
            psfs[field[5:]].show_error(message)
        else:
            pain.show_error(message)
