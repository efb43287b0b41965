"""The clinic's account log: what was done to accounts and invitations, by whom, to whom,
when (issue 14). Separate from the per-patient audit of record reads (app.domain.sharing
.AuditEvent), which the patient reviews on their own record.

No health data here, ever: an event names accounts and an action, and `detail` carries at
most a role or an email address the action was about ("therapist → care_team").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class AccountAction(StrEnum):
    """What happened. The admin's log filters on these; labels are what it shows."""

    INVITED = "invitation:sent"
    INVITATION_RESENT = "invitation:resent"
    INVITATION_REVOKED = "invitation:revoked"
    INVITATION_ACCEPTED = "invitation:accepted"
    DEACTIVATED = "account:deactivated"
    REACTIVATED = "account:reactivated"
    ROLE_CHANGED = "account:role_changed"
    RESET_LINK_GIVEN = "password:reset_link_given"  # by the admin, from the Accounts screen
    PASSWORD_RESET = "password:reset"  # the person used a reset link
    TWO_STEP_ON = "two_step:on"
    TWO_STEP_OFF = "two_step:off"
    TWO_STEP_RESET = "two_step:reset"  # by the admin: a lost phone
    RECOVERY_CODE_USED = "two_step:recovery_code_used"
    CLINIC_SETTING_CHANGED = "clinic:setting_changed"
    FIRST_ADMIN_CREATED = "setup:first_admin"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS: dict[AccountAction, str] = {
    AccountAction.INVITED: "Invited",
    AccountAction.INVITATION_RESENT: "Invitation sent again",
    AccountAction.INVITATION_REVOKED: "Invitation withdrawn",
    AccountAction.INVITATION_ACCEPTED: "Joined by invitation",
    AccountAction.DEACTIVATED: "Deactivated",
    AccountAction.REACTIVATED: "Reactivated",
    AccountAction.ROLE_CHANGED: "Role changed",
    AccountAction.RESET_LINK_GIVEN: "Password reset link given",
    AccountAction.PASSWORD_RESET: "Password reset",
    AccountAction.TWO_STEP_ON: "Two-step sign-in turned on",
    AccountAction.TWO_STEP_OFF: "Two-step sign-in turned off",
    AccountAction.TWO_STEP_RESET: "Two-step sign-in reset",
    AccountAction.RECOVERY_CODE_USED: "Recovery code used",
    AccountAction.CLINIC_SETTING_CHANGED: "Clinic setting changed",
    AccountAction.FIRST_ADMIN_CREATED: "First admin created",
}


@dataclass(frozen=True)
class AccountEvent:
    id: str
    actor_id: str  # who did it ("" for the server's operator or the first-run setup)
    action: AccountAction
    subject: str  # whom: an account id, or an invitation id before it was accepted
    at: datetime
    detail: str = ""  # a role or an email address; never health data
