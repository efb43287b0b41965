""""Is this normal?" answers after the fact: the patient's follow-up on Today (for 72 h
after an urgent answer: "Did you get help? How are you now?") and, for a clinician, each
answer's details (what was reported, when, the tier, what the patient did since) with an
acknowledgement and its note."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

import flet as ft

from app.domain.errors import InvalidInput
from app.domain.followup import FEELING, GOT_HELP, URGENT_TIERS
from app.domain.scales import NOTE_MAX_CHARS
from app.domain.zones import to_local
from app.services.caseload import RECENT_ASSESSMENT
from app.services.followup import AnswerRecord
from app.ui import format as fmt
from app.ui import theme
from app.ui.frame import card, muted

if TYPE_CHECKING:
    from app.domain.accounts import Account
    from app.domain.entries import CheckIn, NeedlingSession, SorenessEntry
    from app.domain.guidance import Rulebook
    from app.services.guidance import PastAssessment
    from app.ui.shell import Shell

TIER_COLOURS: Final = theme.TIER_COLOURS
SHOWN_ANSWERS: Final = 5  # the clinician's card lists this many of the latest answers


def tier_label(rulebook: Rulebook, level: str) -> str:
    tier = rulebook.tiers.get(level)  # type: ignore[call-overload]
    return tier.label if tier is not None else level


def follow_up_card(shell: Shell, account: Account,
                   due: Sequence[PastAssessment]) -> ft.Control:
    """Today's question after urgent answers (newest first): asked once about the person,
    the reply is kept with each answer it follows up, for the therapist."""
    answer = due[0]
    rulebook = shell.services.rulebook
    got_help = ft.RadioGroup(content=ft.Column(
        [ft.Radio(value=k, label=v) for k, v in GOT_HELP.items()], spacing=0))
    feeling = ft.RadioGroup(content=ft.Column(
        [ft.Radio(value=k, label=v) for k, v in FEELING.items()], spacing=0))
    note = ft.TextField(label="Anything to add? (optional)", multiline=True, min_lines=1,
                        max_length=NOTE_MAX_CHARS, expand=True)
    problem = ft.Text("", color=ft.Colors.ERROR, visible=False)

    async def save(_: Any) -> None:
        problem.visible = False
        def record_all() -> None:
            for each in due:
                shell.services.followups.record(
                    account, account.id, each.record_id, got_help=got_help.value,
                    feeling=feeling.value, note=note.value)

        try:
            await asyncio.to_thread(record_all)
        except InvalidInput as exc:
            problem.value = " ".join(exc.problems.values())
            problem.visible = True
            shell.page.update()
            return
        shell.flash = ("Thank you — saved for your therapist. If you feel worse or a warning "
                       "sign appears, get help straight away."
                       if feeling.value == "worse" else
                       "Thank you — saved for your therapist.")
        shell.go("/")

    level = answer.assessment.level
    return card(
        ft.Row([ft.Icon(ft.Icons.HEALTH_AND_SAFETY, color=TIER_COLOURS.get(level)),
                ft.Text("Did you get help? How are you now?", size=18,
                        weight=ft.FontWeight.W_600, expand=True)],
               vertical_alignment=ft.CrossAxisAlignment.START),
        ft.Text(f"On {fmt.when(answer.assessed_at, account.timezone)} you asked "
                f"\"Is this normal?\" and the answer was: {tier_label(rulebook, level)}.",
                size=15),
        ft.Text("Did you get help?", size=16, weight=ft.FontWeight.W_600), got_help,
        ft.Text("How are you now?", size=16, weight=ft.FontWeight.W_600), feeling,
        ft.Row([note]), problem,
        ft.Row([
            ft.FilledButton("Save my answer", height=theme.TOUCH, on_click=save),
            ft.OutlinedButton("See the answer again", height=theme.TOUCH,
                              on_click=lambda _: shell.go(
                                  f"/guidance/result?id={answer.record_id}")),
        ], wrap=True),
        col={"xs": 12},
    )


def reported(rulebook: Rulebook, answer: PastAssessment) -> str:
    """What the patient reported, in the rulebook's words."""
    r = answer.report
    parts: list[str] = []
    if r.symptoms:
        parts.append(", ".join(rulebook.symptom_labels.get(s, s) for s in r.symptoms))
    if r.soreness_now is not None:
        parts.append(f"soreness {r.soreness_now}/10"
                     + (f" ({r.soreness_trend})" if r.soreness_trend else ""))
    if r.hours_since_needling is not None:
        regions = ", ".join(rulebook.region_labels.get(x, x).lower()
                            for x in r.needled_regions or ())
        parts.append(f"{int(r.hours_since_needling)} hours after needling"
                     + (f" ({regions})" if regions else ""))
    if r.pain_now is not None:
        parts.append(f"pain {r.pain_now}/10")
    return "; ".join(parts) or "nothing ticked"


def since(answer: PastAssessment, check_ins: Sequence[CheckIn],
          sessions: Sequence[NeedlingSession], soreness: Sequence[SorenessEntry],
          timezone: str) -> str:
    """What the patient logged after the answer. The progress record's times are the
    patient's wall-clock times (naive), so the answer's moment is moved there first."""
    local = to_local(answer.assessed_at, timezone).replace(tzinfo=None)

    def after(moment: datetime) -> bool:
        return moment > (local if moment.tzinfo is None else answer.assessed_at)

    later = [c for c in check_ins if after(c.recorded_at)]
    parts = [f"{len(later)} check-in{'s' if len(later) != 1 else ''}"]
    if later:
        parts[0] += f" (latest pain {later[-1].pain_now}/10)"
    sore = [s for s in soreness if after(s.recorded_at)]
    if sore:
        parts.append(f"soreness logged {len(sore)}× (latest {sore[-1].soreness}/10)")
    new_sessions = [s for s in sessions if after(s.performed_at)]
    if new_sessions:
        parts.append(f"{len(new_sessions)} needling session"
                     f"{'s' if len(new_sessions) != 1 else ''}")
    return "Logged since: " + ", ".join(parts) + "."


def clinician_answers(shell: Shell, viewer: Account, patient: Account,
                      records: Sequence[AnswerRecord], check_ins: Sequence[CheckIn],
                      sessions: Sequence[NeedlingSession],
                      soreness: Sequence[SorenessEntry]) -> ft.Control:
    """The latest answers with their details; urgent ones can be acknowledged."""
    rulebook = shell.services.rulebook
    zone = patient.timezone
    rows: list[ft.Control] = []
    for record in list(records)[:SHOWN_ANSWERS]:
        answer = record.answer
        level = answer.assessment.level
        lines: list[ft.Control] = [
            ft.Row([ft.Container(
                content=ft.Text(tier_label(rulebook, level), size=13,
                                color=theme.on_tier(level) if level in TIER_COLOURS
                                else ft.Colors.WHITE,
                                weight=ft.FontWeight.W_600),
                bgcolor=TIER_COLOURS.get(level, ft.Colors.BLUE_GREY_600), border_radius=12,
                padding=ft.Padding.symmetric(horizontal=10, vertical=4)),
                muted(fmt.when(answer.assessed_at, zone), 14)], wrap=True),
            ft.Text(f"Reported: {reported(rulebook, answer)}.", size=15),
            ft.Text("Why: " + " ".join(r.text for r in answer.assessment.reasons),
                    size=14),
        ]
        for f in record.follow_ups:
            lines.append(ft.Text(
                f"Follow-up {fmt.when(f.recorded_at, zone)}: got help — "
                f"{GOT_HELP.get(f.got_help, f.got_help)}; now "
                f"{FEELING.get(f.feeling, f.feeling).lower()}"
                + (f" — “{f.note}”" if f.note else ""), size=14))
        if not record.follow_ups and level in URGENT_TIERS:
            lines.append(muted("No follow-up from the patient yet.", 14))
        lines.append(muted(since(answer, check_ins, sessions, soreness, zone), 14))
        ack = record.acknowledgement
        if ack is not None:
            lines.append(ft.Text(
                f"Acknowledged by {ack.clinician_name}, {fmt.when(ack.at, viewer.timezone)}"
                + (f": “{ack.note}”" if ack.note else "."), size=14,
                color=ft.Colors.TERTIARY))
        rows.append(ft.Container(
            content=ft.Column(lines, spacing=6),
            padding=ft.Padding.symmetric(vertical=8),
            border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT))))
    now = shell.services.accounts.clock()
    flagged = [r for r in records if r.answer.assessment.level in URGENT_TIERS
               and now - r.answer.assessed_at <= RECENT_ASSESSMENT]
    return card(
        ft.Text("\"Is this normal?\" answers", size=18, weight=ft.FontWeight.W_600),
        *([_acknowledge(shell, viewer, patient, flagged)] if flagged else []),
        *(rows or [muted("No answers yet.")]),
        col={"xs": 12},
    )


def _acknowledge(shell: Shell, viewer: Account, patient: Account,
                 flagged: Sequence[AnswerRecord]) -> ft.Control:
    """One acknowledgement for the flag: it covers every urgent answer behind it (the
    caseload shows it with the newest)."""
    held = flagged[0].acknowledgement
    note = ft.TextField(label="Note: what you did (optional)", max_length=NOTE_MAX_CHARS,
                        value=held.note if held else "", expand=True)
    problem = ft.Text("", color=ft.Colors.ERROR, visible=False)

    def acknowledge_all() -> None:
        for record in flagged:
            shell.services.followups.acknowledge(viewer, patient.id,
                                                 record.answer.record_id, note.value)

    async def acknowledge(_: Any) -> None:
        try:
            await asyncio.to_thread(acknowledge_all)
        except InvalidInput as exc:
            problem.value, problem.visible = " ".join(exc.problems.values()), True
            shell.page.update()
            return
        shell.flash = f"The flag on {patient.name}'s answer is acknowledged."
        shell.go(shell.page.route or "/")

    return ft.Column([
        ft.Text("Acknowledge the flag" if held is None else
                "Acknowledged — you can update the note", size=16,
                weight=ft.FontWeight.W_600),
        ft.Row([note]),  # full width: beside the button its label wrapped on a phone
        problem,
        ft.Row([ft.FilledButton("Update acknowledgement" if held else "Acknowledge",
                                height=theme.TOUCH, on_click=acknowledge)]),
    ], spacing=4)
