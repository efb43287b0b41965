"""Daily check-in (and its correction): pain now, worst in 24 h, where, PSFS ability,
a note. Built to take under 30 seconds on a phone: tap, tap, save."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import flet as ft

from app.domain.errors import Conflict, InvalidInput
from app.domain.regions import PAIN_REGIONS
from app.domain.scales import NOTE_MAX_CHARS, NRS_ANCHORS, PSFS_ANCHORS
from app.ui import theme
from app.ui.components import ChipChoice, form_body, go_to, run_with_progress
from app.ui.frame import muted, scaffold
from app.ui.score_row import ScoreRow

if TYPE_CHECKING:
    from app.ui.shell import Shell


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    logbook = shell.services.logbook
    edit_id = shell.query.get("edit")
    current = logbook.get_check_in(account, edit_id) if edit_id else None
    existing = current.value if current else None
    activities = logbook.activities_of(account, account.id)

    pain = ScoreRow("Pain right now", value=existing.pain_now if existing else None,
                       anchors=NRS_ANCHORS)
    worst = ScoreRow("Worst pain in the last 24 hours",
                        value=existing.worst_24h if existing else None, anchors=NRS_ANCHORS)
    regions = ChipChoice("Tap every area that hurts.", PAIN_REGIONS,
                         existing.regions if existing else ())
    # Twelve areas take five rows of chips on a phone: folded until opened, so the
    # scores, the activities and Save stay near each other.
    picked = ", ".join(PAIN_REGIONS[r] for r in regions.selected if r in PAIN_REGIONS)
    # The chips (24 controls) join the tile when it is first opened, not with every visit
    # to the form: most check-ins never open it (issue 17: CPU per check-in).
    where = ft.ExpansionTile(
        title=ft.Text("Where does it hurt?", size=17, weight=ft.FontWeight.W_600),
        subtitle=ft.Text(picked or "Optional — tap to choose", size=14),
        controls=[], maintain_state=True, tile_padding=ft.Padding.only(right=8),
        expanded_cross_axis_alignment=ft.CrossAxisAlignment.START,
        min_tile_height=theme.TOUCH)

    def show_regions(_: Any = None) -> None:
        if not where.controls:
            where.controls = [regions]
            where.update()

    where.on_change = show_regions
    psfs = {a.id: ScoreRow(f"Today, how well can you do: {a.name}?",
                              value=existing.psfs.get(a.id) if existing else None,
                              anchors=PSFS_ANCHORS)
            for a in activities}
    # The counter under the field shows the limit as the patient types.
    note = ft.TextField(label="Note (optional)", multiline=True, min_lines=2, max_lines=5,
                        max_length=NOTE_MAX_CHARS, value=existing.note if existing else "")
    problem = ft.Text("", color=ft.Colors.ERROR, visible=False)

    saving: list[bool] = []

    async def save(_: Any) -> None:
        for picker in (pain, worst, *psfs.values()):
            picker.show_error(None)
        regions.show_error(None)
        note.error = None
        problem.visible = False
        if pain.value is None:
            pain.show_error("Tap a number for your pain right now.")
            shell.page.update()
            return
        if saving:
            return  # a double tap must not save twice
        saving.append(True)
        fields: dict[str, Any] = dict(
            pain_now=pain.value, worst_24h=worst.value, regions=list(regions.selected),
            psfs={k: p.value for k, p in psfs.items() if p.value is not None},
            note=note.value,
        )

        def store() -> object:
            if current is not None:
                return logbook.correct_check_in(account, current.value.id,
                                                expected_version=current.version, **fields)
            return logbook.check_in(account, account.id, **fields)

        def show_busy(on: bool) -> None:
            button.disabled, busy.visible = on, on

        try:
            await run_with_progress(shell.page, store, show_busy)
        except InvalidInput as exc:
            _show_problems(exc, pain, worst, regions, psfs, note)
            if "regions" in exc.problems:  # its message is under the chips: open them
                where.controls, where.expanded = [regions], True
            saving.clear()
            shell.page.update()
            return
        except Conflict:
            problem.value = ("This check-in was changed somewhere else. Go back to History "
                             "and open it again.")
            problem.visible = True
            saving.clear()
            shell.page.update()
            return
        if current is not None:
            shell.flash = "Check-in corrected — the original stays in your history."
            shell.go("/history")
            return
        # Confirm right here, in the same update: no route change stands between the tap
        # and the confirmation (docs/performance.md).
        panel, back = saved_panel(shell, pain.value, worst.value)
        column.controls = [panel]
        button.visible = False
        # Only the form changed (the button went with it): diff that column, not the
        # whole page with its app bar and navigation (issue 17: CPU per check-in).
        column.update()
        # Move focus off the form that just went away (else the next tap only unfocuses
        # it), onto the next step: keyboard and screen-reader users land there too.
        await back.focus()

    label = "Save correction" if current else "Save check-in"
    # In the form, after the note (not floating): a floating button covered the note
    # while the patient typed in it.
    button = ft.FilledButton(label, icon=ft.Icons.CHECK, height=theme.TOUCH, on_click=save)
    busy = ft.ProgressRing(width=24, height=24, visible=False)
    body: list[ft.Control] = [
        muted("Correct this check-in. The original stays in your history." if current
              else "Tap a number for each question, then save."),
        pain, worst, where,
        *psfs.values(),
        *([] if activities else [ft.TextButton(
            "Add the activities you want to get back to",
            on_click=go_to(shell, "/activities"))]),
        note, problem, ft.Row([button, busy]),
    ]
    title = "Correct check-in" if current else "Daily check-in"
    column = form_body(body)
    form = ft.ResponsiveRow([column])
    return scaffold(shell, "/checkin", title, [form],
                    back="/history" if current else None)


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
