""""Is this normal?": confirm what the app knows, tick any warning signs in plain words, then
a clear verdict with reasons, what to do, and the numbers to call when it matters.

No verdict is shown before the warning-sign checklist has been answered: the summary after
logging soreness only leads here. The report is built once (services.guidance_prefill.
symptom_report) and judged only by the guidance service, which also keeps the answer.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import flet as ft

from app import paths
from app.domain.errors import InvalidInput
from app.domain.guidance import SYMPTOM_KEYS, Assessment, ReportError
from app.services.guidance import load_education
from app.services.guidance_prefill import prefill, symptom_report
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import form_column, save_button
from app.ui.frame import card, muted, scaffold
from app.ui.score_row import ScoreRow

if TYPE_CHECKING:
    from app.ui.shell import Shell

TIER_ICONS = {"emergency": ft.Icons.EMERGENCY, "call_clinic": ft.Icons.PHONE_IN_TALK,
              "self_care": ft.Icons.CHECK_CIRCLE}
TRENDS = {"better": "Getting better", "same": "About the same", "worse": "Getting worse"}
NOT_A_DIAGNOSIS = "This is not a diagnosis. If you are worried, call the clinic."
# The order the checklist is shown in: the most urgent signs first, grouped by body part.
# (Order only; the words come from the rulebook. Any key not listed is shown at the end.)
CHECKLIST_ORDER = (
    "shortness_of_breath", "pain_on_breathing_in", "chest_pain", "coughing_blood",
    "saddle_numbness", "bladder_bowel_change", "sexual_dysfunction_new", "both_legs",
    "leg_weakness_worsening", "leg_weakness", "arm_weakness", "numbness_tingling",
    "bleeding_wont_stop", "large_bruise", "site_redness_warmth", "site_pus",
    "fever", "dizziness_fainting", "headache_severe", "major_trauma",
    "unexplained_weight_loss", "history_of_cancer", "night_pain", "fatigue", "worried_other",
)


def checklist_keys() -> tuple[str, ...]:
    """Every checklist key, in the order shown (each one exactly once)."""
    return (*[k for k in CHECKLIST_ORDER if k in SYMPTOM_KEYS],
            *[k for k in SYMPTOM_KEYS if k not in CHECKLIST_ORDER])


def _tick_list(labels: dict[str, str], chosen: tuple[str, ...] = ()) -> tuple[
        dict[str, ft.Checkbox], list[ft.Control]]:
    boxes = {key: ft.Checkbox(value=key in chosen, semantics_label=text)
             for key, text in labels.items()}
    rows: list[ft.Control] = [
        ft.ListTile(leading=box, title=ft.Text(labels[key], size=16), toggle_inputs=True,
                    content_padding=ft.Padding.only(left=4), min_height=theme.TOUCH)
        for key, box in boxes.items()]
    return boxes, rows


def _heading(text: str) -> ft.Text:
    return ft.Text(text, size=17, weight=ft.FontWeight.W_600)


def build(shell: Shell) -> ft.View:
    account = shell.require_account()
    services = shell.services
    data = services.logbook.load(account, account.id)
    known = prefill(data, services.accounts.clock(), shell.query.get("session"))
    labels = services.rulebook

    facts: list[ft.Control] = []
    if known.session is not None:
        regions = ", ".join(labels.region_labels.get(r, r) for r in known.session.regions)
        facts.append(ft.Text(
            f"Your last needling session: {fmt.when(known.session.performed_at, account.timezone)}"
            f" ({regions}), about {int(known.hours_since_needling or 0)} hours ago.", size=16))
    else:
        facts += [
            ft.Text("No needling session is logged. If you had needling in the last few days, "
                    "log the session first.", size=16),
            ft.TextButton("Log a needling session", icon=ft.Icons.ADD,
                          on_click=lambda _: shell.go("/session")),
        ]
    soreness = ScoreRow("How sore is it now?", value=known.soreness_now,
                        anchors={0: "Not sore", 10: "Worst imaginable"})
    trend = ft.RadioGroup(
        value=known.soreness_trend or "",
        content=ft.Column([
            _heading("Since it started, the soreness is …"),
            *[ft.Radio(value=k, label=v) for k, v in TRENDS.items()],
            ft.Radio(value="", label="I'm not sure"),
        ]),
    )
    pain = ScoreRow("How bad is your back pain now?", value=known.pain_now,
                    anchors={0: "No pain", 10: "Worst imaginable"})
    checks, checklist = _tick_list(
        {key: labels.symptom_labels[key] for key in checklist_keys()})
    remembered = services.guidance.remembered_risk_factors(account, account.id)
    risks, risk_list = _tick_list(dict(labels.risk_factor_labels), remembered)
    temperature = ft.TextField(
        label="Your temperature in °C, if you took it", hint_text="for example 37.2",
        keyboard_type=ft.KeyboardType.NUMBER, width=320, max_length=5)
    problem = ft.Text("", color=ft.Colors.ERROR, visible=False, size=16)

    def refuse(message: str) -> None:
        problem.value, problem.visible = message, True
        button.disabled, busy.visible = False, False
        shell.page.update()

    async def check(_: Any) -> None:
        problem.visible, temperature.error = False, None
        degrees: float | None = None
        typed = (temperature.value or "").strip().replace(",", ".")
        if typed:
            try:
                degrees = float(typed)
            except ValueError:
                temperature.error = "Type a temperature like 37.5, or leave it empty."
                refuse("Please check your temperature.")
                return
        factors = tuple(k for k, box in risks.items() if box.value)
        button.disabled, busy.visible = True, True
        shell.page.update()
        try:
            report = symptom_report(
                known, soreness_now=soreness.value, soreness_trend=trend.value or None,
                pain_now=pain.value, symptoms=[k for k, box in checks.items() if box.value],
                risk_factors=factors, temperature_c=degrees)
            await asyncio.to_thread(services.guidance.remember_risk_factors, account, factors)
            _, record = await asyncio.to_thread(services.guidance.assess, account, account.id,
                                                report)
        except ReportError as exc:
            if exc.field == "temperature_c":
                temperature.error = "Type a temperature from 34 to 43 °C, or leave it empty."
            refuse("Something in the answers could not be checked. Please look at them again.")
            return
        except InvalidInput:
            refuse("Something in the answers could not be checked. Please look at them again.")
            return
        shell.go(f"/guidance/result?id={record.id}")

    button, busy = save_button("Check my symptoms", check)
    body: list[ft.Control] = [form_column([
        *facts, soreness, trend, pain,
        _heading("Do you have any of these right now?"),
        muted("Tick all that apply. If none apply, leave them empty.", 16),
        ft.Column(checklist, spacing=0),
        temperature,
        _heading("Does any of this apply to you?"),
        muted("We remember these for next time. You can change them here.", 16),
        ft.Column(risk_list, spacing=0),
        problem, ft.Row([button, busy]),
        ft.Text(NOT_A_DIAGNOSIS, size=16),
        ft.TextButton("What is normal after dry needling?",
                      on_click=lambda _: shell.go("/learn")),
    ])]
    return scaffold(shell, "/guidance", "Is this normal?", body, back="/")


def build_result(shell: Shell) -> ft.View:
    """A stored assessment (deep-linkable: /guidance/result?id=...)."""
    account = shell.require_account()
    wanted = shell.query.get("id")
    past = next((p for p in shell.services.guidance.history(account, account.id)
                 if p.record_id == wanted), None)
    if past is None:
        body: list[ft.Control] = [muted("This answer is not available. Run the check again."),
                                  ft.FilledButton("Is this normal?",
                                                  on_click=lambda _: shell.go("/guidance"))]
    else:
        body = [verdict_panel(shell, past.assessment)]
    return scaffold(shell, "/guidance/result", "Your answer", body, back="/")


def _call(label: str, number: str, shown: str, colour: str | None, *, big: bool,
          words: str | None = None) -> ft.Control:
    """A call button with the number printed beside it: a tel: link does nothing on a
    desktop, so the number must be readable as text."""
    return ft.Row([
        ft.FilledButton(label, icon=ft.Icons.CALL if big else ft.Icons.PHONE,
                        height=64 if big else theme.TOUCH * 1.2, url=f"tel:{number}",
                        style=ft.ButtonStyle(bgcolor=colour,
                                             color=(words or ft.Colors.WHITE) if colour
                                             else None)),
        ft.Text(shown, size=20 if big else 18, weight=ft.FontWeight.BOLD),
    ], wrap=True, spacing=12, vertical_alignment=ft.CrossAxisAlignment.CENTER)


def shown_reasons(shell: Shell, assessment: Assessment) -> tuple[list[Any], list[Any]]:
    """(the reasons behind the answer, other warning signs also noted). Under an urgent
    answer a reassuring (self_care) reason is never shown, nor under an emergency "add the
    missing answers and check again" — even in an answer saved before the engine left
    them out."""
    tier_of = {rule.id: rule.tier for rule in shell.services.rulebook.rules}
    urgent = assessment.level != "self_care"
    shown = [r for r in assessment.reasons
             if not (urgent and tier_of.get(r.rule) == "self_care")
             and not (assessment.level == "emergency" and r.rule == "answers_missing")]
    main = [r for r in shown if tier_of.get(r.rule, assessment.level) == assessment.level]
    return main, [r for r in shown if r not in main]


def verdict_panel(shell: Shell, assessment: Assessment) -> ft.Control:
    clinic = shell.services.clinic.current()
    colour = theme.TIER_COLOURS[assessment.level]
    tier = shell.services.rulebook.tiers[assessment.level]
    urgent = assessment.level != "self_care"
    actions: list[ft.Control] = []
    if assessment.level == "emergency":
        actions.append(_call(f"Call {clinic.emergency_number} now", clinic.emergency_number,
                             f"Emergency number: {clinic.emergency_number}", colour, big=True,
                             words=theme.on_tier(assessment.level)))
    if urgent and clinic.phone:
        actions.append(_call(f"Call {clinic.name}", clinic.phone.replace(" ", ""),
                             f"{clinic.name}: {clinic.phone}",
                             colour if assessment.level == "call_clinic" else None, big=False,
                             words=theme.on_tier(assessment.level)))
    main, also = shown_reasons(shell, assessment)

    def listed(items: list[Any]) -> ft.Column:
        return ft.Column([
            ft.Row([ft.Icon(ft.Icons.CHEVRON_RIGHT),
                    ft.Column([ft.Text(r.text, size=16), muted(f"Source: {r.source}", 13)],
                              spacing=2, expand=True)],
                   vertical_alignment=ft.CrossAxisAlignment.START)
            for r in items], spacing=12)
    banner = ft.Container(
        bgcolor=colour, border_radius=16, padding=20,
        content=ft.Row([ft.Icon(TIER_ICONS[assessment.level],
                                color=theme.on_tier(assessment.level), size=48),
                        ft.Text(tier.label, size=24, weight=ft.FontWeight.BOLD,
                                color=theme.on_tier(assessment.level), expand=True)]),
    )
    if urgent:
        follow_up: list[ft.Control] = [
            ft.Text("Act on this now. Do not wait to check again."
                    if assessment.level == "emergency" else
                    "Do this today. If you get worse, call the emergency number.", size=16,
                    weight=ft.FontWeight.W_600),
            ft.Row([ft.TextButton("Back to today", on_click=lambda _: shell.go("/"))]),
        ]
    else:
        follow_up = [
            ft.Text(f"Check again in {assessment.check_again_hours} hours, or sooner if "
                    "anything gets worse.", size=16),
            ft.Row([ft.OutlinedButton("Check again later", height=theme.TOUCH,
                                      on_click=lambda _: shell.go("/guidance")),
                    ft.TextButton("Back to today", on_click=lambda _: shell.go("/"))],
                   wrap=True),
        ]
    return form_column([
        banner,
        ft.Text(NOT_A_DIAGNOSIS, size=16),
        ft.Text(assessment.advice, size=18),
        ft.Column(actions, spacing=12),
        _heading("Why"),
        listed(main),
        *([_heading("Also noted"), listed(also)] if also else []),
        *follow_up,
    ])


def verdict_summary(shell: Shell, session_id: str) -> list[ft.Control]:
    """What the soreness screen shows after a save: no verdict yet. Whether soreness is
    the usual kind can only be said after the warning-sign checklist, so this leads there
    (the screen's "Is this normal?" button opens it for this session)."""
    return [
        ft.Row([ft.Icon(ft.Icons.HEALTH_AND_SAFETY, color=ft.Colors.PRIMARY),
                ft.Text("Is this soreness normal?", weight=ft.FontWeight.W_600, size=16,
                        expand=True)]),
        ft.Text("Answer a few questions about warning signs first. Then we can tell you "
                "whether this looks like the usual reaction.", size=16),
        ft.Text(NOT_A_DIAGNOSIS, size=16),
    ]


def build_learn(shell: Shell) -> ft.View:
    text = load_education(paths.EDUCATION_PAGE, shell.services.rulebook)
    body: list[ft.Control] = [card(ft.Markdown(text, selectable=True), col={"xs": 12}),
                              ft.Text(NOT_A_DIAGNOSIS, size=16)]
    return scaffold(shell, "/learn", "After dry needling", [form_column(body)],
                    back="/guidance")
