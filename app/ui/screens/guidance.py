""""Is this normal?": confirm what the app knows, tick any symptoms in plain words, then a
clear verdict with reasons, what to do, and a one-tap call button when it matters."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import flet as ft

from app import paths
from app.domain.guidance import Assessment, parse_report
from app.services.guidance import load_education
from app.services.guidance_prefill import prefill
from app.ui import format as fmt
from app.ui import theme
from app.ui.components import ScorePicker, form_column, save_button
from app.ui.frame import card, muted, scaffold

if TYPE_CHECKING:
    from app.ui.shell import Shell

TIER_ICONS = {"emergency": ft.Icons.EMERGENCY, "call_clinic": ft.Icons.PHONE_IN_TALK,
              "self_care": ft.Icons.CHECK_CIRCLE}
TRENDS = {"better": "Getting better", "same": "About the same", "worse": "Getting worse"}


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
        facts.append(ft.Text("No recent needling session is logged.", size=16))
    soreness = ScorePicker("How sore is it now?", value=known.soreness_now,
                           anchors={0: "Not sore", 10: "Worst imaginable"})
    trend = ft.RadioGroup(
        value=known.soreness_trend or "",
        content=ft.Column([
            ft.Text("Since it started, the soreness is …", size=17, weight=ft.FontWeight.W_600),
            *[ft.Radio(value=k, label=v) for k, v in TRENDS.items()],
            ft.Radio(value="", label="I'm not sure"),
        ]),
    )
    checks = {key: ft.Checkbox(semantics_label=text) for key, text in
              labels.symptom_labels.items()}
    checklist: list[ft.Control] = [
        ft.ListTile(leading=box, title=ft.Text(labels.symptom_labels[key]), toggle_inputs=True,
                    content_padding=ft.Padding.only(left=4), min_height=theme.TOUCH)
        for key, box in checks.items()]
    problem = ft.Text("", color=ft.Colors.ERROR, visible=False)

    async def check(_: Any) -> None:
        problem.visible = False
        raw = {
            "hours_since_needling": known.hours_since_needling,
            "needled_regions": list(known.needled_regions) if known.needled_regions else None,
            "soreness_now": soreness.value,
            "soreness_trend": trend.value or None,
            "pain_now": known.pain_now,
            "pain_usual": known.pain_usual,
            "symptoms": [k for k, box in checks.items() if box.value],
        }
        button.disabled, busy.visible = True, True
        shell.page.update()
        try:
            report = parse_report(raw)
            _, record = await asyncio.to_thread(services.guidance.assess, account, account.id,
                                                report)
        except Exception as exc:  # a report the engine refuses: say so, keep the answers
            problem.value = f"Something in the answers could not be checked: {exc}"
            problem.visible = True
            button.disabled, busy.visible = False, False
            shell.page.update()
            return
        shell.go(f"/guidance/result?id={record.id}")

    button, busy = save_button("Check my symptoms", check)
    body: list[ft.Control] = [form_column([
        *facts, soreness, trend,
        ft.Text("Do you have any of these right now?", size=17, weight=ft.FontWeight.W_600),
        muted("Tick all that apply. If none apply, leave them empty."),
        ft.Column(checklist, spacing=0),
        problem, ft.Row([button, busy]),
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


def verdict_panel(shell: Shell, assessment: Assessment) -> ft.Control:
    clinic = shell.services.clinic.current()
    colour = theme.TIER_COLOURS[assessment.level]
    tier = shell.services.rulebook.tiers[assessment.level]
    actions: list[ft.Control] = []
    if assessment.level == "emergency":
        actions.append(ft.FilledButton(
            f"Call {clinic.emergency_number} now", icon=ft.Icons.CALL, height=64,
            url=f"tel:{clinic.emergency_number}",
            style=ft.ButtonStyle(bgcolor=colour, color=ft.Colors.WHITE)))
    if assessment.level in ("emergency", "call_clinic") and clinic.phone:
        actions.append(ft.FilledButton(
            f"Call {clinic.name}", icon=ft.Icons.PHONE, height=theme.TOUCH * 1.2,
            url=f"tel:{clinic.phone.replace(' ', '')}",
            style=ft.ButtonStyle(bgcolor=colour if assessment.level == "call_clinic"
                                 else None)))
    tier_of = {rule.id: rule.tier for rule in shell.services.rulebook.rules}
    # The reasons behind the answer first; milder observations after them.
    ordered = sorted(assessment.reasons,
                     key=lambda r: tier_of.get(r.rule, assessment.level) != assessment.level)
    reasons: list[ft.Control] = [
        ft.Row([ft.Icon(ft.Icons.CHEVRON_RIGHT),
                ft.Column([ft.Text(r.text, size=16), muted(f"Source: {r.source}", 12)],
                          spacing=2, expand=True)],
               vertical_alignment=ft.CrossAxisAlignment.START)
        for r in ordered]
    follow_up = (
        "Don't wait to check again: act on this now. This is guidance, not a diagnosis."
        if assessment.check_again_hours <= 0 else
        f"Check again in {assessment.check_again_hours} hours, or sooner if anything gets "
        f"worse. This is guidance, not a diagnosis.")
    banner = ft.Container(
        bgcolor=colour, border_radius=16, padding=20,
        content=ft.Row([ft.Icon(TIER_ICONS[assessment.level], color=ft.Colors.WHITE, size=48),
                        ft.Text(tier.label, size=24, weight=ft.FontWeight.BOLD,
                                color=ft.Colors.WHITE, expand=True)]),
    )
    return form_column([
        banner,
        ft.Text(assessment.advice, size=18),
        ft.Column(actions, spacing=12),
        ft.Text("Why", size=17, weight=ft.FontWeight.W_600),
        ft.Column(reasons, spacing=12),
        muted(follow_up),
        ft.Row([ft.OutlinedButton("Check again later", height=theme.TOUCH,
                                  on_click=lambda _: shell.go("/guidance")),
                ft.TextButton("Back to today", on_click=lambda _: shell.go("/"))], wrap=True),
    ])


def verdict_summary(shell: Shell, session_id: str) -> list[ft.Control]:
    """A one-line look at the soreness just logged, from what the app knows (no symptoms
    asked yet); the full check is one tap away."""
    account = shell.require_account()
    data = shell.services.logbook.load(account, account.id)
    known = prefill(data, shell.services.accounts.clock(), session_id)
    report = parse_report({
        "hours_since_needling": known.hours_since_needling,
        "needled_regions": list(known.needled_regions) if known.needled_regions else None,
        "soreness_now": known.soreness_now, "soreness_trend": known.soreness_trend,
        "pain_now": known.pain_now, "pain_usual": known.pain_usual, "symptoms": [],
    })
    from app.domain.guidance import assess

    result = assess(report, shell.services.rulebook)
    tier = shell.services.rulebook.tiers[result.level]
    return [ft.Row([ft.Icon(TIER_ICONS[result.level], color=theme.TIER_COLOURS[result.level]),
                    ft.Text(tier.label, weight=ft.FontWeight.W_600, expand=True)]),
            muted(result.reasons[0].text)]


def build_learn(shell: Shell) -> ft.View:
    text = load_education(paths.EDUCATION_PAGE, shell.services.rulebook)
    body: list[ft.Control] = [card(ft.Markdown(text, selectable=True), col={"xs": 12})]
    return scaffold(shell, "/learn", "After dry needling", [form_column(body)],
                    back="/guidance")
