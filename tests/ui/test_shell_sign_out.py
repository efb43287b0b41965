"""A sign-out reaches every tab of the session through the shared channel (issue 17), on
any app server, in process on a stand-in page: the shell watches AuthService's sign-outs
from its start, draws the sign-in screen when its own session is the one signed out, and
stops watching when Flet closes its session."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from app.main import Services, build_services
from app.store.postgres.store import PostgresStore
from app.store.shared_state import MemorySharedState
from app.ui import shell as shell_module
from app.ui.shell import Shell
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.ui.test_error_boundary import PASSWORD, StandInPage, patient, texts


class StartablePage(StandInPage):
    """What Shell.start touches besides what render does."""

    def __init__(self) -> None:
        super().__init__()
        self.title = ""
        self.session = SimpleNamespace(error=None)
        self.services: list[Any] = []
        self.on_close: Any = None


class Remembers:
    """The browser's kept token (RememberedSignIn without a browser)."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    async def recall(self) -> str | None:
        return self.token

    async def remember(self, token: str) -> None:
        self.token = token

    async def forget(self) -> None:
        self.token = None


def subscribers(services: Services) -> int:
    shared = services.shared
    assert isinstance(shared, MemorySharedState)
    return sum(len(channel.callbacks) for channel in shared._channels.values())


def test_a_tab_shows_the_sign_in_when_another_signs_its_session_out(
        services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    alex = patient(services, "Alex")
    token = services.auth.sign_in(alex.email, PASSWORD).token
    other = services.auth.sign_in(alex.email, PASSWORD).token  # another browser of Alex's
    monkeypatch.setattr(shell_module, "RememberedSignIn", lambda: Remembers(token))
    page = StartablePage()
    tab = Shell(page, services.screens)  # type: ignore[arg-type]  # a stand-in page

    async def scenario() -> None:
        await tab.start()
        assert tab.token == token
        assert subscribers(services) == 1
        services.auth.sign_out(other)  # another session: this tab stays
        await asyncio.sleep(0.05)
        assert tab.token == token
        services.auth.sign_out(token)  # its session, signed out in another tab
        await asyncio.sleep(0.05)
        assert tab.token is None
        shown = " ".join(texts(page.views[-1]))
        assert "Sign in" in shown and "You were signed out." in shown  # and why
        assert not tab.closed
        page.on_close(None)  # Flet closed the session: no more callbacks for it
        assert subscribers(services) == 0
        assert tab.closed  # and screens' own loops (an open caseload) let go

    asyncio.run(scenario())


def test_a_sign_out_on_one_app_server_reaches_a_tab_on_another(
        pg_url: str, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two app servers on one PostgreSQL database: a tab on the second shows the sign-in
    when its session is signed out in a tab on the first (LISTEN/NOTIFY)."""
    a = build_services(FAST_SETTINGS, PostgresStore.open(pg_url), clock=clock)
    b = build_services(FAST_SETTINGS, PostgresStore.open(pg_url), clock=clock)
    try:
        alex = patient(a, "Alex")
        token = a.auth.sign_in(alex.email, PASSWORD).token
        monkeypatch.setattr(shell_module, "RememberedSignIn", lambda: Remembers(token))
        page = StartablePage()
        tab_on_b = Shell(page, b.screens)  # type: ignore[arg-type]  # a stand-in page

        async def scenario() -> None:
            await tab_on_b.start()
            assert tab_on_b.token == token  # the session opened on a, resumed on b
            a.auth.sign_out(token)
            for _ in range(200):
                if tab_on_b.token is None:
                    break
                await asyncio.sleep(0.05)
            assert tab_on_b.token is None
            assert "Sign in" in " ".join(texts(page.views[-1]))
            page.on_close(None)

        asyncio.run(scenario())
    finally:
        a.close()
        b.close()


def test_a_screens_own_look_at_the_sign_in_is_not_activity(
        services: Services, clock: FakeClock) -> None:
    """What a screen does on its own (an open list drawn again) asks whether the sign-in
    still holds without refreshing it, so an unattended screen still times out."""
    alex = patient(services, "Alex")
    tab = Shell(StartablePage(), services.screens)  # type: ignore[arg-type]
    assert not tab.still_signed_in()  # nobody signed in
    tab.token = services.auth.sign_in(alex.email, PASSWORD).token
    idle = services.auth.idle_timeout
    clock.now += idle * 0.4
    assert tab.still_signed_in()
    clock.now += idle * 0.4
    assert tab.still_signed_in()
    clock.now += idle * 0.4  # 1.2 timeouts after the sign-in, 0.4 after the last look
    assert not tab.still_signed_in()


def test_the_sign_in_screen_says_why_for_as_long_as_it_is_shown(
        services: Services, clock: FakeClock) -> None:
    """An unattended screen's sign-in ends; the sign-in screen says so, drawn again and
    again, until the person signs in (a toast would be gone before they are back)."""
    alex = patient(services, "Alex")
    page = StartablePage()
    tab = Shell(page, services.screens)  # type: ignore[arg-type]
    tab.remembered = Remembers(None)  # type: ignore[assignment]  # no browser
    tab.token = services.auth.sign_in(alex.email, PASSWORD).token
    tab.render()
    assert "You were signed out" not in " ".join(texts(page.views[-1]))
    clock.now += services.auth.idle_timeout * 1.1
    for _ in range(2):
        tab.render()
        assert "You were signed out after a period of inactivity." in " ".join(
            texts(page.views[-1]))
    signed = services.auth.sign_in(alex.email, PASSWORD)
    tab.signed_in(signed.token, signed.account)
    assert tab.ended is None
