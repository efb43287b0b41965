"""Invitations (issue 14): the only way a new person gets an account from a screen.

An admin invites staff (therapist, care team, admin); a therapist or an admin invites a
patient. Each invitation gives a one-time code and a link `<public_url>/join?code=…`,
shown to the inviter (to copy, print or read out) and emailed when the clinic has a mail
server. The invitee opens it, chooses their own password (nobody else ever sees it) and
has an account; a patient invited by a therapist agrees to share with them and is on
their caseload at once, through the same grant a sharing code makes
(AccessService.grant: the inviter's Scope.default_for).

What it is careful about:
- Only the SHA-256 of a code is stored (app.domain.invitations).
- A code works once, even if two tabs accept it at the same moment: claiming it is a save
  that expects the version as read, so exactly one claim wins; the account is then made
  by AccountService.create (its checks and its one-account-per-email lock), and a claim
  whose account could not be made is given back.
- A code that can't be used gets one answer whatever the reason (unknown, used, expired,
  withdrawn), and wrong codes are counted per client address like wrong sign-ins: after
  WRONG_CODES_PER_CLIENT in WRONG_CODE_WINDOW the address is paused, so the 60-bit codes
  can't be walked from one place (counted in the shared state, so across app servers).
- Sending again makes a new code (the old one stops working) and restarts how long it works
  (domain.invitations.VALID_FOR).
- Every invitation, resend, withdrawal and acceptance is in the clinic's account log
  (AccountAudit) with at most an email address and a role; the email says nothing about
  health, only who invited them to which clinic.

Exceptions (safe to show): InvitationUnusable (and its TooManyTries), InvalidInput,
NotAllowed.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from app.domain import kinds, policy
from app.domain.account_audit import AccountAction
from app.domain.accounts import (
    STAFF_ROLES,
    Account,
    Role,
    check_new_account,
    is_valid_email,
    normalise_email,
)
from app.domain.errors import InvalidInput, NotAllowed, NotFound
from app.domain.invitations import (
    VALID_FOR,
    Invitation,
    InvitationState,
    code_digest,
    expiry,
    new_code,
)
from app.domain.passwords import check_new_password
from app.domain.policy import Operation, Relation
from app.domain.tokens import token_digest, valid_for_words
from app.domain.validation import Problems, check_timezone
from app.services.access import AccessService
from app.services.account_audit import AccountAudit
from app.services.account_mail import AccountMail, Dispatch, in_background
from app.services.accounts import AccountService
from app.services.base import Clock, Collection, Versioned, new_id, system_clock
from app.services.notifier import Notifier, ReminderEmail
from app.store.interfaces import RecordStore, VersionConflict
from app.store.shared_state import MemorySharedState, SharedState

WRONG_CODES_PER_CLIENT: Final = 10
WRONG_CODE_WINDOW: Final = timedelta(minutes=15)

NOT_USABLE: Final = ("This invitation can't be used. Check the code, or ask the clinic for "
                     f"a new invitation: each one works once, for {valid_for_words(VALID_FOR)}.")
TOO_MANY: Final = ("Too many codes that didn't work from here. For everyone's safety, try "
                   "again in a few minutes.")
HAS_ACCOUNT: Final = "An account with this email already exists."
PATIENT_HAS_ACCOUNT: Final = ("This person already has a BackTrack account. Ask them for a "
                              "sharing code from their Sharing screen instead, and add them "
                              "with it.")
ALREADY_JOINED: Final = ("An account with this email already exists. Sign in with it, or "
                         "use \"Forgot your password?\" on the sign-in screen.")
MUST_AGREE: Final = "To join, tick the box to agree to share, or ask the clinic."
NOT_YOURS: Final = "Only whoever sent this invitation, or a clinic admin, can change it."


class InvitationUnusable(Exception):
    """The code is unknown, used, expired or withdrawn: one message for all of them, so
    the answer tells a guesser nothing. Safe to show."""

    def __init__(self, message: str = NOT_USABLE) -> None:
        super().__init__(message)


class TooManyTries(InvitationUnusable):
    """Too many codes that didn't work from this client address, for a while."""

    def __init__(self) -> None:
        super().__init__(TOO_MANY)


@dataclass(frozen=True)
class Issued:
    """An invitation just sent: the code and link are only here, never stored."""

    invitation: Invitation
    code: str
    link: str
    emailed: bool  # handed to the clinic's mail server (sent off the request's thread)


@dataclass(frozen=True)
class InvitationFor:
    """What a code is for, for the /join screen."""

    email: str
    role: Role
    inviter_name: str
    clinic_name: str
    expires_at: datetime
    # The clinician a patient will share with on joining ("" for staff, or a patient an
    # admin invited: nobody to share with yet).
    shares_with: str = ""
    timezone: str = "UTC"  # the inviter's: a good first guess for someone at their clinic


class InvitationService:
    def __init__(self, store: RecordStore, accounts: AccountService, access: AccessService,
                 audit: AccountAudit, *, notifier_source: Callable[[], Notifier | None],
                 clinic_name: Callable[[], str], base_url: str, clock: Clock = system_clock,
                 dispatch: Dispatch = in_background,
                 shared: SharedState | None = None) -> None:
        """`notifier_source`: the clinic's mail server as saved now (None: none), read at
        each sending, as the password reset does. `dispatch` runs a sending (tests: at
        once). `shared`: where wrong codes are counted (the sessions' shared state; a
        memory one of its own when not given)."""
        self.invitations = Collection(store, kinds.INVITATION, Invitation)
        self.accounts = accounts
        self.access = access
        self.audit = audit
        self.mail = AccountMail(notifier_source, "invitation", dispatch)
        self.clinic_name = clinic_name
        self.base_url = base_url
        self.clock = clock
        self.shared: SharedState = shared if shared is not None else MemorySharedState()

    # -- the inviter's side ----------------------------------------------------------

    def invite_staff(self, admin: Account, email: str, role: Role) -> Issued:
        """Invite a therapist, care-team member or admin (admins only)."""
        policy.require(admin.role, Operation.INVITE_STAFF, Relation.NONE)
        if role not in STAFF_ROLES:
            raise InvalidInput.one("role", "Choose therapist, care team or clinic admin.")
        return self._issue(admin, email, role)

    def invite_patient(self, clinician: Account, email: str) -> Issued:
        """Invite a patient, who on joining shares with the inviting therapist."""
        policy.require(clinician.role, Operation.INVITE_PATIENT, Relation.NONE)
        return self._issue(clinician, email, Role.PATIENT)

    def _issue(self, actor: Account, email: str, role: Role) -> Issued:
        address = normalise_email(email)
        if not is_valid_email(address):
            raise InvalidInput.one("email", "Enter an email address like name@example.com.")
        if self.accounts.by_email(address) is not None:
            raise InvalidInput.one("email", PATIENT_HAS_ACCOUNT if role is Role.PATIENT
                                   else HAS_ACCOUNT)
        now = self.clock()
        waiting = [i for i in self._all(email=address) if i.usable(now)]
        if waiting:
            raise InvalidInput.one("email", self._waiting_message(waiting[0]))
        code = new_code()
        invitation = Invitation(new_id(), code_digest(code), address, role, actor.id, now,
                                expiry(now))
        self.invitations.add(invitation, owner=None)  # the clinic's, not a patient's
        self.audit.record(actor.id, AccountAction.INVITED, invitation.id,
                          f"{address} · {role.value}")
        return self._send(actor, invitation, code)

    def _waiting_message(self, waiting: Invitation) -> str:
        found = self.accounts.accounts.get(waiting.invited_by)
        who = found.value.name if found is not None else "Someone at the clinic"
        return (f"{who} already invited this address; that invitation is still waiting. "
                f"Send it again from the list of invitations instead.")

    def resend(self, actor: Account, invitation_id: str) -> Issued:
        """Send again with a new code (the old one stops working) and a new VALID_FOR."""
        found = self._changeable(actor, invitation_id)
        code = new_code()
        now = self.clock()
        renewed = replace(found.value, code_digest=code_digest(code), created_at=now,
                          expires_at=expiry(now))
        self._change(actor, found, renewed, AccountAction.INVITATION_RESENT)
        return self._send(actor, renewed, code)

    def revoke(self, actor: Account, invitation_id: str) -> Invitation:
        """Withdraw it: its code stops working."""
        found = self._changeable(actor, invitation_id)
        withdrawn = replace(found.value, state=InvitationState.REVOKED)
        self._change(actor, found, withdrawn, AccountAction.INVITATION_REVOKED)
        return withdrawn

    def _change(self, actor: Account, found: Versioned[Invitation], changed: Invitation,
                action: AccountAction) -> None:
        """Save `changed` over `found` (refused in words if someone changed it meanwhile)
        and log who did it."""
        try:
            self.invitations.correct(changed, None, found.version)
        except VersionConflict:
            raise InvalidInput.one("invitation", "This invitation changed meanwhile. "
                                                 "Look at the list again.") from None
        self.audit.record(actor.id, action, changed.id,
                          f"{changed.email} · {changed.role.value}")

    def _changeable(self, actor: Account, invitation_id: str) -> Versioned[Invitation]:
        found = self.invitations.get(invitation_id)
        if found is None:
            raise NotFound("No such invitation.")
        invitation = found.value
        policy.require(actor.role, self._operation(invitation.role), Relation.NONE)
        if actor.role is not Role.ADMIN and invitation.invited_by != actor.id:
            raise NotAllowed(NOT_YOURS)
        if invitation.state is not InvitationState.PENDING:
            raise InvalidInput.one("invitation", "This invitation was already used or "
                                                 "withdrawn.")
        return found

    @staticmethod
    def _operation(role: Role) -> Operation:
        return Operation.INVITE_PATIENT if role is Role.PATIENT else Operation.INVITE_STAFF

    def pending_staff(self, admin: Account) -> list[Invitation]:
        """Staff invitations not used or withdrawn (expired ones too: they can be sent
        again), newest first."""
        policy.require(admin.role, Operation.INVITE_STAFF, Relation.NONE)
        return self._pending(lambda i: i.role is not Role.PATIENT)

    def pending_patients(self, actor: Account) -> list[Invitation]:
        """The patient invitations this therapist sent (an admin: all), newest first."""
        policy.require(actor.role, Operation.INVITE_PATIENT, Relation.NONE)
        return self._pending(lambda i: i.role is Role.PATIENT and (
            actor.role is Role.ADMIN or i.invited_by == actor.id))

    def _pending(self, keep: Callable[[Invitation], bool]) -> list[Invitation]:
        found = [i for i in self._all(state=InvitationState.PENDING.value) if keep(i)]
        return sorted(found, key=lambda i: i.created_at, reverse=True)

    def _all(self, **where: str) -> list[Invitation]:
        return [v.value for v in self.invitations.find(None, **where)]

    def link_for(self, code: str) -> str:
        return f"{self.base_url.rstrip('/')}/join?code={code}"

    # -- email -------------------------------------------------------------------------

    def email_available(self) -> bool:
        """Whether invitations go out by email too (they are always shown)."""
        return self.mail.available()

    def _send(self, inviter: Account, invitation: Invitation, code: str) -> Issued:
        link = self.link_for(code)
        emailed = self.mail.send_later(self._email(inviter, invitation, code, link))
        return Issued(invitation, code, link, emailed=emailed)

    def _email(self, inviter: Account, invitation: Invitation, code: str,
               link: str) -> ReminderEmail:
        clinic = self.clinic_name()
        what = "" if invitation.role is Role.PATIENT else f" as {invitation.role.label}"
        body = (
            f"Hello,\n\n{inviter.name} at {clinic} invited you to BackTrack{what}.\n"
            f"To join, open this link within {valid_for_words(VALID_FOR)} and choose your "
            f"password:\n{link}\n\n"
            f"Or open {self.base_url.rstrip('/')}/join and type the code {code}.\n\n"
            f"The invitation works once. If you did not expect it, you can ignore this "
            f"email.\n"
        )
        return ReminderEmail(invitation.email, f"Your invitation to BackTrack ({clinic})",
                             body, link, "",
                             f"<invitation.{secrets.token_hex(8)}@accounts.backtrack>")

    # -- the invitee's side ------------------------------------------------------------

    def look_up(self, code: str, client_address: str = "") -> InvitationFor:
        """What a code is for, or InvitationUnusable (TooManyTries when this address
        typed too many codes that didn't work)."""
        invitation = self._usable(code, client_address).value
        inviter = self.accounts.accounts.get(invitation.invited_by)
        inviter_name = inviter.value.name if inviter is not None else "The clinic"
        shares = self._shares_with(invitation)
        return InvitationFor(invitation.email, invitation.role, inviter_name,
                             self.clinic_name(), invitation.expires_at,
                             shares.name if shares is not None else "",
                             inviter.value.timezone if inviter is not None else "UTC")

    def _shares_with(self, invitation: Invitation) -> Account | None:
        """Whom a patient shares with on joining: the inviting clinician, if still here."""
        if invitation.role is not Role.PATIENT:
            return None
        found = self.accounts.accounts.get(invitation.invited_by)
        if found is None or not found.value.active or not found.value.role.is_clinician:
            return None
        return found.value

    def _usable(self, code: str, client_address: str) -> Versioned[Invitation]:
        now = self.clock()
        if self.shared.events(_wrong_key(client_address), now,
                              WRONG_CODE_WINDOW) >= WRONG_CODES_PER_CLIENT:
            raise TooManyTries()
        found = self.invitations.find(None, code_digest=code_digest(code))
        if not found or not found[0].value.usable(now):
            self._count_wrong(client_address, now)
            raise InvitationUnusable()
        return found[0]

    def _count_wrong(self, client_address: str, now: datetime) -> None:
        self.shared.count_event(_wrong_key(client_address), now, WRONG_CODE_WINDOW)

    def accept(self, code: str, name: str, password: str, timezone: str,
               agrees_to_share: bool, client_address: str = "") -> Account:
        """Make the account the invitation is for. InvalidInput (fields "name",
        "password", "timezone", "agrees", or "code" when its email has an account by now)
        leaves the invitation usable; InvitationUnusable when it can't be used (or was
        used by another tab a moment earlier)."""
        found = self._usable(code, client_address)
        invitation = found.value
        shares = self._shares_with(invitation)
        p = Problems()
        try:
            check_new_account(invitation.email, name, password)
            check_new_password(password, (invitation.email, name))
        except InvalidInput as refused:
            for field, message in refused.problems.items():
                p.add(field, message)
        check_timezone(p, timezone)
        if shares is not None and not agrees_to_share:
            p.add("agrees", MUST_AGREE)
        p.raise_if_any()
        claimed = replace(invitation, state=InvitationState.ACCEPTED)
        try:
            claim = self.invitations.correct(claimed, None, found.version)
        except VersionConflict:
            raise InvitationUnusable() from None  # accepted in another tab just now
        try:
            if self.accounts.by_email(invitation.email) is not None:  # made meanwhile
                raise InvalidInput.one("code", ALREADY_JOINED)
            account = self.accounts.create(invitation.email, name, password,
                                           invitation.role, timezone)
        except Exception:
            self.invitations.correct(invitation, None, claim.version)  # give it back
            raise
        self.invitations.correct(replace(claimed, account_id=account.id), None,
                                 claim.version)
        if shares is not None:
            self.access.grant(account, shares)  # their Scope.default_for, as a code does
        self.audit.record(account.id, AccountAction.INVITATION_ACCEPTED, account.id,
                          account.role.value)
        return account


def _wrong_key(client_address: str) -> str:
    """The shared key wrong codes from one address are counted under (a digest: the
    address itself is not stored)."""
    return "invitation-code:" + token_digest(json.dumps(client_address))
