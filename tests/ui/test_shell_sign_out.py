"""A sign-out reaches every tab of the session through the shared channel (issue 17), in
process on a stand-in page: the shell watches AuthService's sign-outs from its start,
draws the sign-in screen when its own session is the one signed out, and stops watching
when Flet closes its session."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from app.main import Services
from app.store.shared_state import MemorySharedState
from app.ui import shell as shell_module
from app.ui.shell import Shell
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
        assert "Sign in" in " ".join(texts(page.views[-1]))
        page.on_close(None)  # Flet closed the session: no more callbacks for it
        assert subscribers(services) == 0

    asyncio.run(scenario())
