"""The sign-in a browser remembers, so a reload or a link opened in a new tab stays signed in.

Why: Flet keeps a tab's state in a server-side session that the tab finds again by an id
in its sessionStorage, but only when the server already saw the old connection close.
When it has not (a phone that drops the socket without a close frame, a link opened in a
new tab, a busy server), Flet starts a fresh session — and a sign-in kept only in that
session's memory was lost (issue 12: signed out after 3–5 reloads).

So the browser keeps the session token (Flet's SharedPreferences: the origin's
localStorage) and a new Flet session resumes from it. The token alone decides nothing:
`AuthService.resume` checks it on every use, so the idle timeout and a sign-out (which
ends the token on the server, in every tab) still end it. A failed read or write of the
browser's storage only costs the convenience, never the sign-in in progress.
"""

from __future__ import annotations

import logging
from typing import Final

import flet as ft

log = logging.getLogger(__name__)

KEY: Final = "backtrack.sign_in"


class RememberedSignIn:
    """The session token in the browser's storage (one per origin, shared by its tabs)."""

    def __init__(self) -> None:
        self._prefs = ft.SharedPreferences()

    async def recall(self) -> str | None:
        try:
            value = await self._prefs.get(KEY)
        except Exception as exc:  # a browser without storage: start signed out
            log.info("remembered sign-in unreadable (%s)", type(exc).__name__)
            return None
        return value if isinstance(value, str) and value else None

    async def remember(self, token: str) -> None:
        try:
            await self._prefs.set(KEY, token)
        except Exception as exc:
            log.info("sign-in not remembered (%s)", type(exc).__name__)

    async def forget(self) -> None:
        try:
            await self._prefs.remove(KEY)
        except Exception as exc:
            log.info("remembered sign-in not removed (%s)", type(exc).__name__)
