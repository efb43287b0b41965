"""One connected browser tab: who is signed in, routing, and the frame around screens.

The route is the single source of truth for navigation: a screen is a function of
(shell, route) that returns a View; `go(route)` pushes browser history, so the back
button and deep links such as /checkin work.

The sign-in lives in the browser too (app.ui.remembered), so a reload that lands in a
fresh Flet session resumes it; a sign-out ends it on the server and tells every tab of
every app server signed in with it (AuthService.watch_sign_outs), which then shows the
sign-in screen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import flet as ft

from app.domain.accounts import Account, Role
from app.domain.tokens import token_digest
from app.services.accounts import Ended
from app.services.facade import ScreenServices
from app.ui import theme
from app.ui.errors import (
    WENT_WRONG_TEXT,
    WENT_WRONG_TITLE,
    BadParameter,
    build_safely,
    message_view,
)
from app.ui.remembered import RememberedSignIn

ScreenBuilder = Callable[["Shell"], ft.View]


@dataclass(frozen=True)
class Tab:
    """A route's place in the navigation bar (or rail) for some roles."""
    label: str
    icon: ft.IconData
    roles: frozenset[Role]


@dataclass(frozen=True)
class Route:
    path: str
    build: ScreenBuilder
    roles: frozenset[Role] | None = None  # None: anyone signed in
    tabs: tuple[Tab, ...] = ()  # in the navigation, in the table's order
    # Query parameters that must be whole numbers when given (else: "Not found").
    numbers: tuple[str, ...] = ()

    def check_query(self, query: dict[str, str]) -> None:
        for name in self.numbers:
            value = query.get(name)
            if value is not None and not (value.isascii() and value.isdigit()):
                raise BadParameter(name)


_OPEN_SIGNED_OUT = frozenset({"/login", "/reset", "/setup"})  # the rest sends to the sign-in
_OPEN_SIGNED_OUT |= {"/join"}  # an invitation's link (app/ui/screens/join.py)
_CHARTED_ROUTES = frozenset({"/progress"})  # screens with a chart frame (light or dark)
# What a tab says when it finds its session gone (app.services.accounts.Ended).
_ENDED_WORDS: dict[Ended | None, str] = {
    Ended.SIGNED_OUT: "You were signed out.",
    Ended.INACTIVITY: "You were signed out after a period of inactivity.",
    Ended.PASSWORD_CHANGED: "You were signed out because your password was changed. Sign "
                            "in with the new one.",
    Ended.TURNED_OFF: "You were signed out: the clinic turned this account off. Ask them "
                      "if you think this is a mistake.",
    Ended.DELETED: "This account was deleted.",
    Ended.TWO_STEP_RESET: "You were signed out because your two-step sign-in was reset. "
                          "Sign in to set it up again.",
}


class Shell:
    def __init__(self, page: ft.Page, services: ScreenServices) -> None:
        self.page = page
        self.services = services
        self.token: str | None = None
        self._account: Account | None = None
        self.theme_mode = "system"
        self.flash: str | None = None  # a message to show once on the next screen
        # Why the sign-in ended on its own (inactivity, signed out elsewhere ...): said on
        # the sign-in screen for as long as it is shown, not in a toast gone in seconds
        # (the person comes back to an unattended screen later).
        self.ended: str | None = None
        self.after_sign_in = "/"  # a deep link opened while signed out
        self.closed = False  # the browser's session ended: background work lets go

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        self.page.title = "BackTrack"
        theme.apply(self.page, self.theme_mode)
        self.page.on_route_change = self._on_route_change
        self.page.on_view_pop = self._on_view_pop
        self.page.on_resize = self._on_resize
        self.page.on_platform_brightness_change = self._on_brightness_change
        # A reload that finds this session again gets the last screen as it was drawn:
        # draw it anew, so a sign-in that ended meanwhile shows the sign-in screen.
        self.page.on_connect = self._on_route_change
        # A failing event handler: our screen instead of Flet's crash card (errors.py).
        self.page.session.error = self._on_crash  # type: ignore[method-assign,assignment]
        self._wide = self.is_wide
        self.file_picker = ft.FilePicker()
        self.page.services.append(self.file_picker)
        self.remembered = RememberedSignIn()
        # A sign-out of this tab's session in another tab, on this app server or another:
        # the listener may call from another thread, so it hands over to this page's loop.
        # Subscribing may wait for the database (the first tab of a process): off the loop.
        loop = asyncio.get_running_loop()
        stop_watching = await asyncio.to_thread(
            self.services.auth.watch_sign_outs,
            lambda digest: _call_soon(loop, self._on_signed_out(digest)))
        self.page.on_close = lambda _: self._closed(stop_watching)
        await self._resume_remembered()
        self.render()

    def _closed(self, stop_watching: Callable[[], None]) -> None:
        """The browser's session expired: let go of what watched on its behalf."""
        self.closed = True
        stop_watching()

    def still_signed_in(self) -> bool:
        """Whether this tab's sign-in still holds, without counting as activity: for
        what a screen does on its own (a list drawn again), which must not keep an
        unattended screen signed in. Blocking (the sessions may be in the database)."""
        return self.token is not None and self.services.auth.is_active(self.token)

    async def _resume_remembered(self) -> None:
        """Sign in with the token this browser kept, if the server still honours it."""
        token = await self.remembered.recall()
        if token is None:
            return
        account = self.services.auth.resume(token)
        if account is None:
            await self.remembered.forget()
            return
        self.token, self._account = token, account

    async def _on_signed_out(self, digest: str) -> None:
        if self.token is not None and digest == token_digest(self.token):
            self.token, self._account = None, None
            self.ended = _ENDED_WORDS[Ended.SIGNED_OUT]
            self.render()

    @property
    def account(self) -> Account | None:
        """The signed-in account, or None when signed out or the session expired."""
        if self.token is None:
            return None
        account = self.services.auth.resume(self.token)
        from app.ui.screens.two_step import enrolment_gate

        if account is None and enrolment_gate(self):  # two-step to set up: not inactivity
            return None
        if account is None:
            why = self.services.auth.ended_because(self.token)
            self.token, self._account = None, None
            self.ended = _ENDED_WORDS.get(why, _ENDED_WORDS[Ended.INACTIVITY])
            self.page.run_task(self.remembered.forget)
        return account

    def require_account(self) -> Account:
        account = self.account
        if account is None:
            raise PermissionError("signed out")
        return account

    def patient_in_view(self, viewer: Account) -> Account | None:
        """Whose record a patient screen shows: a patient's own; for a clinician, the
        patient in the route (?patient=ID) if they shared with them, else None (also for
        an unknown id). Deciding this is not a read of their data, so it is not audited."""
        if viewer.role is Role.PATIENT:
            return viewer
        patient_id = self.query.get("patient", "")
        if not patient_id or not self.services.access.may_read(viewer, patient_id):
            return None
        return self.services.accounts.get(patient_id)

    @property
    def query(self) -> dict[str, str]:
        """The current route's query parameters (e.g. /checkin?edit=ID)."""
        _, _, raw = (self.page.route or "").partition("?")
        return {k: v[-1] for k, v in parse_qs(raw).items()}

    @property
    def path(self) -> str:
        """The current route without its query or a trailing slash ("/progress/" comes
        from the server redirecting a reload of /progress, where assets/progress exists)."""
        return (self.page.route or "/").split("?")[0].rstrip("/") or "/"

    @property
    def client_address(self) -> str:
        """Where this tab connects from (the browser's IP address as the server sees
        it), for sign-in protection; "" when unknown."""
        return self.page.client_ip or ""

    @property
    def is_wide(self) -> bool:
        return (self.page.width or 0) >= theme.WIDE_BREAKPOINT

    def signed_in(self, token: str, account: Account) -> None:
        self.token, self._account, self.ended = token, account, None
        self.page.run_task(self.remembered.remember, token)
        target, self.after_sign_in = self.after_sign_in, "/"
        self.go(target)

    def sign_out(self) -> None:
        if self.token:
            self.services.auth.sign_out(self.token)  # tells this session's other tabs
        self.token, self._account, self.ended = None, None, None
        self.page.run_task(self.remembered.forget)
        self.go("/login")

    def set_theme(self, mode: str) -> None:
        self.theme_mode = mode
        theme.apply(self.page, mode)
        self.page.update()

    # -- navigation ------------------------------------------------------------------

    def go(self, route: str) -> None:
        if route == self.page.route:
            self.render()
        else:
            self.page.navigate(route)

    def _on_route_change(self, _: Any = None) -> None:
        self.render()

    async def _on_view_pop(self, event: Any) -> None:
        if len(self.page.views) > 1:
            self.page.views.pop()
            await self.page.push_route(self.page.views[-1].route or "/")

    def _on_resize(self, _: Any = None) -> None:
        if self.is_wide != self._wide:
            self._wide = self.is_wide
            self.render()

    def _on_brightness_change(self, _: Any = None) -> None:
        # Flutter recolours the app itself; the charts are pages of their own, drawn in
        # light or dark: redraw them when the system switches and the app follows it.
        if self.theme_mode == "system" and self.path in _CHARTED_ROUTES:
            self.render()

    def render(self) -> None:
        from app.ui.routes import resolve
        from app.ui.screens.two_step import enrolment_gate

        path = self.path
        if enrolment_gate(self):  # staff who must set up two-step sign-in: that first
            path = "/login"
        account = self.account
        if account is None and path not in _OPEN_SIGNED_OUT:
            if path != "/":
                self.after_sign_in = self.page.route or path
            # An empty clinic has nobody to sign in: say how it is set up.
            route = resolve("/setup" if self.services.first_run.needed() else "/login")
        else:
            route = resolve(path)
            if route.roles is not None and account is not None and account.role not in \
                    route.roles:
                route = resolve("/")

        def build() -> ft.View:
            route.check_query(self.query)
            return route.build(self)

        view = build_safely(self, route.path, build)
        self.page.views.clear()
        self.page.views.append(view)
        if self.flash:
            self.toast(self.flash)
            self.flash = None
        self.page.update()

    def _on_crash(self, _message: str) -> None:
        """Flet's report that a handler failed (already logged, type only): the message
        and traceback stay on the server; the person gets a way on."""
        self.page.views.clear()
        self.page.views.append(message_view(self, self.path, WENT_WRONG_TITLE,
                                            WENT_WRONG_TEXT, retry=True))
        self.page.update()

    def toast(self, message: str) -> None:
        self.page.show_dialog(ft.SnackBar(ft.Text(message), show_close_icon=True))


def _call_soon(loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, None]) -> None:
    """Run `work` on `loop` from any thread; dropped if the loop has stopped (the server
    is shutting down)."""
    try:
        asyncio.run_coroutine_threadsafe(work, loop)
    except RuntimeError:
        work.close()
