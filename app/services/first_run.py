"""First-run setup (issue 14): a clinic starts BackTrack on an empty data folder and
creates its first admin account on screen, without the command line.

Only the person at the server may do this: the server makes a setup code when it starts
and prints the setup link (`/setup?code=…`) on its own terminal; the screen refuses
without it. Reaching the port is not enough — behind a reverse proxy on the same machine
every visitor would look like the server itself. The code works only while the clinic has
no account at all, so once the first admin exists the way is closed, for good.
"""

from __future__ import annotations

import hmac
import secrets
import threading

from app.domain.account_audit import AccountAction
from app.domain.accounts import Account, Role
from app.domain.errors import InvalidInput
from app.domain.validation import Problems
from app.services.account_audit import AccountAudit
from app.services.accounts import AccountService
from app.services.clinic import ClinicService, check_details

SETUP_PATH = "/setup"
NOT_THE_LINK = ("This setup link is not valid. Use the link BackTrack printed on the "
                "server's screen when it started (it ends with ?code=…).")
# The clinic fields' problems under the names the setup form gives them.
CLINIC_FIELDS = {"name": "clinic_name"}
NOT_SET_UP = ("This clinic is not set up yet. To create its first admin account, open the "
              "setup link BackTrack printed on the server's screen when it started (it "
              "ends with ?code=…), or run: python -m app add-account.")
ALREADY_SET_UP = "This clinic is already set up. Sign in instead."
_FIRST_ADMIN = "first-run:first-admin"  # the shared lease while the first admin is made


class SetupClosed(Exception):
    """The clinic has accounts already, or the code is not the server's. Safe to show."""


class FirstRunSetup:
    def __init__(self, accounts: AccountService, clinic: ClinicService,
                 audit: AccountAudit, code: str | None = None) -> None:
        self.accounts = accounts
        self.clinic = clinic
        self.audit = audit
        self.code = code or secrets.token_urlsafe(16)  # this process's; printed at start
        self._lock = threading.Lock()
        self._closed = False

    def needed(self) -> bool:
        """Whether the clinic has no account yet (then the setup screen is the way in).
        Once it has one, setup stays closed for this process whatever happens after."""
        if self._closed:
            return False
        self._closed = bool(self.accounts.accounts.find())
        return not self._closed

    def link(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{SETUP_PATH}?code={self.code}"

    def check(self, code: str) -> None:
        """Raise SetupClosed unless setup is open and `code` is this server's."""
        if not self.needed():
            raise SetupClosed(ALREADY_SET_UP)
        if not code:
            raise SetupClosed(NOT_SET_UP)
        if not hmac.compare_digest(code.encode(), self.code.encode()):
            raise SetupClosed(NOT_THE_LINK)

    def create_first_admin(self, code: str, *, clinic_name: str, phone: str,
                           emergency_number: str, name: str, email: str, password: str,
                           timezone: str = "UTC") -> Account:
        """The clinic's name and numbers and its first admin, all or nothing
        (InvalidInput names each field with a problem; nothing is saved then)."""
        # Two tabs submitting at once, on this app server or two (each prints its own
        # link): one admin, the other is refused.
        with self._lock, self.accounts.exclusive(_FIRST_ADMIN, SetupClosed(ALREADY_SET_UP)):
            self.check(code)
            # The clinic's details by the rules of their every save, before the admin is
            # created: a refusal after it would leave an admin and no clinic details.
            p = Problems()
            check_details(p, clinic_name, phone, emergency_number)
            try:
                p.raise_if_any()
            except InvalidInput as refused:  # the form also has the admin's own name
                raise InvalidInput({CLINIC_FIELDS.get(k, k): m for k, m
                                    in refused.problems.items()}) from None
            admin = self.accounts.create(email, name, password, Role.ADMIN, timezone)
            self.clinic.update(admin, name=clinic_name, phone=phone,
                               emergency_number=emergency_number)
            self.audit.record("", AccountAction.FIRST_ADMIN_CREATED, admin.id, admin.email)
        return admin
