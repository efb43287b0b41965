"""Chart pages that any app server can serve (issue 17).

The Progress screen registers its chart frame under an unguessable token in
app.ui.chart_pages, in the memory of the process whose websocket the tab uses. Behind a
reverse proxy with several app servers, the browser's request for `/_charts/<token>` may
reach another one (the frame is a separate HTTP request, and the tab may have
reconnected elsewhere since). With the database as shared state, the page is also kept
there with who registered it, and whichever server gets the request hands it out under
the same checks the screen's own process makes: the registering session still signed in
as the viewer, the viewer still allowed to read the patient, the page younger than its
time to live.

With one process (shared state in memory) nothing is copied: `across_servers` is False
and app.ui.chart_pages keeps pages in its own memory only, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from app.domain.accounts import Account
from app.domain.errors import NotFound
from app.domain.tokens import token_digest
from app.services.access import AccessService
from app.services.accounts import AuthService
from app.services.base import Clock, system_clock
from app.store.shared_state import HeldPage, SharedState

PENDING: Final = "pending"  # the states app.ui.chart_pages.DataState names
READY: Final = "ready"
FAILED: Final = "failed"


@dataclass(frozen=True)
class PageHolder:
    """Who registered a page: the tab's session (its token), the signed-in viewer, and
    whose progress it shows."""

    session_token: str
    viewer: Account
    patient_id: str


@dataclass(frozen=True)
class SharedPage:
    body: bytes
    state: str  # PENDING, READY, FAILED, or "" for a page with its data inline
    data: bytes


class SharedPages:
    def __init__(self, shared: SharedState, auth: AuthService, access: AccessService, *,
                 across_servers: bool, ttl: timedelta = timedelta(minutes=10),
                 clock: Clock = system_clock) -> None:
        """`across_servers`: whether other app servers share `shared` (the composition
        root knows: a database, not memory)."""
        self.shared = shared
        self.auth = auth
        self.access = access
        self.across_servers = across_servers
        self.ttl = ttl
        self.clock = clock

    def keep(self, token: str, body: bytes, holder: PageHolder, *, pending: bool) -> None:
        """Keep a page under `token` for the other servers; only digests of the page's
        and the session's tokens are stored with it."""
        now = self.clock()
        owner = {"session": token_digest(holder.session_token),
                 "viewer": holder.viewer.id, "patient": holder.patient_id}
        page = HeldPage(body, PENDING if pending else "", b"", owner, now + self.ttl)
        self.shared.keep_page(token_digest(token), page, now)

    def settle(self, token: str, data: bytes | None) -> None:
        """A pending page's data (None: it will not come)."""
        state = READY if data is not None else FAILED
        self.shared.settle_page(token_digest(token), state, data or b"")

    def drop(self, token: str) -> None:
        self.shared.drop_page(token_digest(token))

    def page(self, token: str) -> SharedPage | None:
        """The page, if it is young enough and the session that registered it still
        holds: signed in as the viewer, who may still read the patient. A page that
        fails the checks is dropped."""
        key = token_digest(token)
        held = self.shared.page(key, self.clock())
        if held is None:
            return None
        if not self._holds(held.holder):
            self.shared.drop_page(key)
            return None
        return SharedPage(held.body, held.state, held.data)

    def _holds(self, owner: dict[str, str]) -> bool:
        viewer_id, patient_id = owner.get("viewer", ""), owner.get("patient", "")
        if not self.auth.holds(owner.get("session", ""), viewer_id):
            return False
        if viewer_id == patient_id:
            return True
        try:
            viewer = self.auth.accounts.get(viewer_id)
        except NotFound:
            return False
        return self.access.may_read(viewer, patient_id)
