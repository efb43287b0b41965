"""Two-step sign-in on screen (issue 14): the sign-in card's code step and its enrolment
face, the recovery codes shown once, the Settings card (status, set up, new recovery
codes, turn off), the admin's "Staff must use two-step sign-in" card, and the shell's gate
that takes staff through setting it up before any other screen.

The rules and the secret stay in the services (app.services.two_step, AuthService); this
module only shows what they answer. The secret is drawn once, as a QR image and as text,
while the person sets it up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

import flet as ft

from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput, NotAllowed
from app.services.accounts import TICKET_ENDED, SecondStep, SignedIn, SignInFailed
from app.services.two_step import Enrolment
from app.ui import theme
from app.ui.components import form_column, save_button, save_fields
from app.ui.frame import card, muted

if TYPE_CHECKING:
    from app.ui.shell import Shell

CODE_TITLE: Final = "Two-step sign-in"
ENROL_TITLE: Final = "Set up two-step sign-in"
CODES_TITLE: Final = "Your recovery codes"
SAVED: Final = "I have saved them"
USE_RECOVERY: Final = "Use a recovery code"
USE_APP: Final = "Use a code from the app"
VERIFY: Final = "Verify"
CONTINUE: Final = "Continue"
CODE_LABEL: Final = "6-digit code"
RECOVERY_LABEL: Final = "Recovery code"
KEY_LABEL: Final = "Setup key"
CLINIC_SWITCH: Final = "Staff must use two-step sign-in"
STAFF_REQUIRED: Final = ("On: therapists, the care team and admins sign in with a code from an "
                         "authenticator app as well as their password.")
WHY_STAFF: Final = ("Your clinic asks therapists, the care team and admins for a code from "
                    "an authenticator app as well as the password: you see many patients' "
                    "records.")
HOW_TO: Final = ("1. Install an authenticator app on your phone (for example Google "
                 "Authenticator, Microsoft Authenticator or 2FAS).\n"
                 "2. In the app, add an account and scan this code.")
CANT_SCAN: Final = "Can't scan it? Add the account by typing this key:"
KEEP_CODES: Final = ("If you lose your phone, each of these codes signs you in once "
                     "instead of a code from the app. Write them down or keep them in a "
                     "password manager. They are shown only now.")

# The second step a tab is on, kept on its shell until it is done or abandoned: a redraw
# of the sign-in screen (a reload of the session, a window crossing the wide breakpoint)
# comes back to it instead of asking for the password again.
_PENDING: Final = "_two_step_pending"


# -- the shell's gate ------------------------------------------------------------------


def enrolment_gate(shell: Shell) -> bool:
    """True when this tab's session belongs to someone who must set up two-step sign-in
    before anything else: the session ends (the service opens nothing for it anyway) and
    the sign-in screen shows the set-up with an enrolment ticket instead."""
    if shell.token is None:
        return False
    step = shell.services.auth.enrolment_due(shell.token)
    if step is None:
        return False
    shell.token = None
    shell.page.run_task(shell.remembered.forget)
    remember_step(shell, step)
    return True


def continue_sign_in(shell: Shell, step: SecondStep) -> None:
    """Go on to the second step from elsewhere than the sign-in card (e.g. /join, whose
    new staff member sets up two-step sign-in next): the sign-in screen shows it."""
    if shell.token is not None:  # someone else was signed in on this browser: not now
        shell.services.auth.sign_out(shell.token)
        shell.token = None
    remember_step(shell, step)
    shell.go("/login")


def remember_step(shell: Shell, step: SecondStep) -> None:
    setattr(shell, _PENDING, step)


def pending_step(shell: Shell) -> SecondStep | None:
    """The second step this tab is on (from the password, the gate or /join), if any."""
    found = getattr(shell, _PENDING, None)
    return found if isinstance(found, SecondStep) else None


def forget_step(shell: Shell) -> None:
    setattr(shell, _PENDING, None)


def _signed_in(shell: Shell, signed: SignedIn) -> None:
    forget_step(shell)
    shell.signed_in(signed.token, signed.account)


# -- the sign-in card's faces --------------------------------------------------------------


def second_step_form(shell: Shell, step: SecondStep, back: Callable[[str], None],
                     show: Callable[[list[ft.Control]], None]) -> list[ft.Control]:
    """The code step or, for staff who have not set it up, the enrolment. `back(message)`
    returns to the password form (with a message); `show` replaces the card's content."""
    if step.enrol:
        return enrolment_form(shell, step, back, show)
    return code_form(shell, step, back)


def code_form(shell: Shell, step: SecondStep, back: Callable[[str], None]) -> list[ft.Control]:
    code = ft.TextField(label=CODE_LABEL, autofocus=True, keyboard_type=ft.KeyboardType.NUMBER,
                        autofill_hints=[ft.AutofillHint.ONE_TIME_CODE], error_max_lines=3)
    intro = muted("Open your authenticator app and type the 6-digit code it shows for "
                  "BackTrack.", size=15)
    recovery = False

    def toggle(_: Any) -> None:
        nonlocal recovery
        recovery = not recovery
        code.label = RECOVERY_LABEL if recovery else CODE_LABEL
        code.keyboard_type = ft.KeyboardType.TEXT if recovery else ft.KeyboardType.NUMBER
        intro.value = ("Type one of the recovery codes you saved when you set up two-step "
                       "sign-in (like ABCDE-FGHJK). Each works once." if recovery else
                       "Open your authenticator app and type the 6-digit code it shows "
                       "for BackTrack.")
        switch.content = USE_APP if recovery else USE_RECOVERY
        code.value, code.error = "", None
        shell.page.update()

    async def verify(_: Any = None) -> None:
        typed = (code.value or "").strip()
        if not typed:
            code.error = "Type the code." if not recovery else "Type a recovery code."
            shell.page.update()
            return
        code.error, button.disabled, busy.visible = None, True, True
        shell.page.update()
        try:
            signed = await asyncio.to_thread(shell.services.auth.code_step, step.ticket,
                                             typed, shell.client_address)
        except SignInFailed as failed:
            button.disabled, busy.visible = False, False
            if str(failed) == TICKET_ENDED:
                back(str(failed))
                return
            code.error, code.value = str(failed), ""
            shell.page.update()
            return
        _signed_in(shell, signed)

    button, busy = save_button(VERIFY, verify)
    code.on_submit = verify
    switch = ft.TextButton(USE_RECOVERY, height=theme.TOUCH, on_click=toggle)
    return [
        ft.Text(CODE_TITLE, size=22, weight=ft.FontWeight.W_600),
        intro, code, ft.Row([button, busy]),
        ft.Row([switch], wrap=True),
        ft.Row([ft.TextButton("Back to sign in", icon=ft.Icons.ARROW_BACK,
                              height=theme.TOUCH, on_click=lambda _: back(""))]),
    ]


def enrolment_form(shell: Shell, step: SecondStep, back: Callable[[str], None],
                   show: Callable[[list[ft.Control]], None]) -> list[ft.Control]:
    """QR image and key, then the first code; then the recovery codes, once, and only
    "I have saved them" opens the app."""
    try:
        enrolment = shell.services.auth.enrolment(step.ticket)
    except SignInFailed as failed:
        return [ft.Text(str(failed), size=16),
                ft.Row([ft.OutlinedButton("Back to sign in", height=theme.TOUCH,
                                          on_click=lambda _: back(""))])]
    code = _code_field(autofocus=False)

    async def confirm(_: Any = None) -> None:
        signed: list[tuple[SignedIn, list[str]]] = []

        def work() -> None:
            signed.append(shell.services.auth.enrol_step(step.ticket, code.value or "",
                                                         shell.client_address))
        try:
            done = await save_fields(shell.page, {"code": code}, work)
        except SignInFailed as failed:
            back(str(failed))
            return
        if done:
            session, codes = signed[0]
            forget_step(shell)  # the ticket is used: a redraw can't bring this back
            show(recovery_codes_view(shell, codes, lambda: _signed_in(shell, session)))

    button, busy = save_button(CONTINUE, confirm)
    code.on_submit = confirm
    return [
        ft.Text(ENROL_TITLE, size=22, weight=ft.FontWeight.W_600),
        muted(WHY_STAFF if step.account.role is not Role.PATIENT else
              "Sign in with a code from an authenticator app as well as your password.",
              size=15),
        *enrolment_controls(enrolment),
        muted("3. Type the 6-digit code the app now shows.", size=15),
        code, ft.Row([button, busy]),
        ft.Row([ft.TextButton("Back to sign in", icon=ft.Icons.ARROW_BACK,
                              height=theme.TOUCH, on_click=lambda _: back(""))]),
    ]


def enrolment_controls(enrolment: Enrolment) -> list[ft.Control]:
    """How to add the account to an app: steps, the QR image, the key as text."""
    return [
        muted(HOW_TO, size=15),
        ft.Row([ft.Container(
            ft.Image(src=enrolment.qr_png, width=200, height=200,
                     semantics_label="QR code to scan with your authenticator app"),
            bgcolor=ft.Colors.WHITE, padding=8, border_radius=8)],
            alignment=ft.MainAxisAlignment.CENTER),
        muted(CANT_SCAN, size=15),
        # Selectable, and read out as text (see reminder_channels: a SelectionArea keeps
        # the text's own semantics).
        ft.Container(ft.SelectionArea(content=ft.Text(
            enrolment.secret_grouped, size=16, font_family="monospace",
            semantics_label=f"{KEY_LABEL}: {enrolment.secret_grouped}")),
            padding=12, border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST),
    ]


def recovery_codes_view(shell: Shell, codes: list[str],
                        saved: Callable[[], None]) -> list[ft.Control]:
    """The ten codes, once, with Copy; `saved` runs on "I have saved them"."""
    text = "\n".join(codes)
    return [
        ft.Text(CODES_TITLE, size=22, weight=ft.FontWeight.W_600),
        muted(KEEP_CODES, size=15),
        ft.Container(ft.SelectionArea(content=ft.Text(
            text, size=16, font_family="monospace",
            semantics_label=f"{CODES_TITLE}: {', '.join(codes)}")),
            padding=12, border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST),
        ft.Row([ft.OutlinedButton("Copy codes", icon=ft.Icons.COPY, height=theme.TOUCH,
                                  action=ft.CopyToClipboard(text),
                                  on_click=lambda _: shell.toast("Codes copied."))],
               wrap=True),
        ft.Row([ft.FilledButton(SAVED, height=theme.TOUCH, on_click=lambda _: saved())]),
    ]


def _code_field(autofocus: bool = True, label: str = CODE_LABEL) -> ft.TextField:
    return ft.TextField(label=label, autofocus=autofocus, error_max_lines=3,
                        keyboard_type=ft.KeyboardType.NUMBER,
                        autofill_hints=[ft.AutofillHint.ONE_TIME_CODE])


# -- Settings ------------------------------------------------------------------------------


def settings_section(shell: Shell) -> list[ft.Control]:
    """Status; set up (optional for patients); new recovery codes; turn off (when the
    clinic does not require it for this person)."""
    account = shell.require_account()
    body = ft.Column(spacing=12, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)

    def redraw(controls: list[ft.Control] | None = None) -> None:
        body.controls = controls if controls is not None else _settings_face(
            shell, account, redraw)
        shell.page.update()

    body.controls = _settings_face(shell, account, redraw)
    return [ft.Divider(), ft.Text(CODE_TITLE, size=18, weight=ft.FontWeight.W_600), body]


def _settings_face(shell: Shell, account: Account,
                   redraw: Callable[[list[ft.Control] | None], None]) -> list[ft.Control]:
    status = shell.services.two_step.status(account)
    if not status.on:
        def set_up(_: Any) -> None:
            redraw(_settings_enrolment(shell, account, redraw))

        return [muted("Off. With it on, signing in asks for a code from an authenticator "
                      "app on your phone as well as your password."),
                ft.Row([ft.OutlinedButton(ENROL_TITLE, icon=ft.Icons.SECURITY,
                                          height=theme.TOUCH, on_click=set_up)])]
    left = status.recovery_codes_left
    controls: list[ft.Control] = [
        ft.Row([ft.Icon(ft.Icons.VERIFIED_USER, color=ft.Colors.PRIMARY),
                ft.Container(ft.Text("On: signing in asks for a code from your app."),
                             expand=True)]),
        muted(f"{left} recovery code{'s' if left != 1 else ''} left."
              + (" Your clinic requires two-step sign-in for staff." if status.required
                 else "")),
    ]
    new_code = _code_field(autofocus=False, label="Code from your app")

    async def new_codes(_: Any) -> None:
        made: list[list[str]] = []
        if await save_fields(shell.page, {"code": new_code}, lambda: made.append(
                shell.services.two_step.new_recovery_codes(account, new_code.value or ""))):
            redraw(recovery_codes_view(shell, made[0], lambda: redraw(None)))

    controls += [muted("New recovery codes (the old ones stop working):"), new_code,
                 ft.Row([ft.OutlinedButton("Get new recovery codes", height=theme.TOUCH,
                                           on_click=new_codes)])]
    if status.may_turn_off:
        from app.ui.screens.password import password_field

        password = password_field("Current password")
        off_code = _code_field(autofocus=False, label="Code from your app or a recovery code")
        off_code.keyboard_type = ft.KeyboardType.TEXT

        async def turn_off(_: Any) -> None:
            try:
                if await save_fields(shell.page, {"code": off_code, "password": password},
                                     lambda: shell.services.two_step.turn_off(
                                         account, password.value or "",
                                         off_code.value or "")):
                    shell.toast("Two-step sign-in is off.")
                    redraw(None)
            except NotAllowed as refused:
                shell.toast(str(refused))

        controls += [muted("Turn it off with your password and a code:"), password,
                     off_code, ft.Row([ft.OutlinedButton("Turn off two-step sign-in",
                                                         height=theme.TOUCH,
                                                         on_click=turn_off)])]
    return controls


def _settings_enrolment(shell: Shell, account: Account,
                        redraw: Callable[[list[ft.Control] | None], None]
                        ) -> list[ft.Control]:
    try:
        enrolment = shell.services.two_step.start_enrolment(account)
    except InvalidInput:
        return _settings_face(shell, account, redraw)
    code = _code_field(autofocus=False)

    async def confirm(_: Any) -> None:
        made: list[list[str]] = []
        if await save_fields(shell.page, {"code": code}, lambda: made.append(
                shell.services.two_step.confirm_enrolment(account, code.value or ""))):
            redraw(recovery_codes_view(shell, made[0], lambda: redraw(None)))

    button, busy = save_button("Turn on", confirm)
    code.on_submit = confirm
    return [*enrolment_controls(enrolment),
            muted("3. Type the 6-digit code the app now shows."), code,
            ft.Row([button, busy,
                    ft.TextButton("Cancel", height=theme.TOUCH,
                                  on_click=lambda _: redraw(None))], wrap=True)]


# -- the admin's clinic setting ----------------------------------------------------------------


def clinic_two_step_card(shell: Shell, admin: Account) -> ft.Control:
    """The clinic's "Staff must use two-step sign-in" switch (in the account log)."""
    state = muted(_requirement_words(shell.services.clinic.current().staff_two_step))

    def changed(event: Any) -> None:
        wanted = bool(event.control.value)
        shell.services.clinic.set_staff_two_step(admin, wanted)
        state.value = _requirement_words(wanted)
        if wanted and shell.services.two_step.must_enrol(admin):
            state.value += (" You have not set it up yourself yet: you will be asked to "
                            "at your next step.")
        shell.page.update()

    switch = ft.Switch(label=CLINIC_SWITCH, value=shell.services.clinic.current()
                       .staff_two_step, on_change=changed)
    return form_column([card(  # as wide as the clinic settings card above it
        ft.Text(CODE_TITLE, size=18, weight=ft.FontWeight.W_600),
        switch, state,
        muted("Anyone on the staff who has not set it up is taken through it at their "
              "next step. Patients may turn it on for themselves in Settings."),
        col={"xs": 12})])


def _requirement_words(required: bool) -> str:
    return (STAFF_REQUIRED if required else
            "Off: staff sign in with their password alone, unless they turned two-step "
            "sign-in on in Settings.")
