"""What the screens may use: the use cases, and nothing beneath them (issue 11).

The composition root (app.main) builds one `ScreenServices` and hands it to the web server
and every tab's shell. It holds services only: no store, no settings, no password hasher,
no scheduler. A screen therefore reads and changes data through a service method, which
asks the policy and audits, and can't open a collection or the data folder by itself. The
UI imports this module, never app.main (an import contract says so, see pyproject.toml).

A new use case a screen needs is one more field here, filled in by app.main.build_services.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.guidance import Rulebook
from app.services.access import AccessService
from app.services.account_admin import AccountAdmin
from app.services.accounts import AccountService, AuthService
from app.services.audit_log import AuditLogReview
from app.services.backups import BackupService
from app.services.calendar_feed import CalendarFeedService
from app.services.caseload import Caseload
from app.services.clinic import ClinicService
from app.services.erasure import ErasureService
from app.services.exports import ExportService
from app.services.first_run import FirstRunSetup
from app.services.followup import FollowUpService
from app.services.guidance import GuidanceService
from app.services.health import Health
from app.services.invitations import InvitationService
from app.services.logbook import Logbook
from app.services.mail_settings import MailSettingsService
from app.services.password_reset import PasswordResetService
from app.services.portability import Portability
from app.services.progress import ProgressService
from app.services.reminder_overview import ReminderOverview
from app.services.reminders import ReminderService
from app.services.shared_pages import SharedPages
from app.services.two_step import TwoStepService


@dataclass(frozen=True)
class ScreenServices:
    accounts: AccountService
    auth: AuthService
    access: AccessService
    logbook: Logbook
    clinic: ClinicService
    portability: Portability
    guidance: GuidanceService
    progress: ProgressService
    caseload: Caseload
    followups: FollowUpService
    exports: ExportService  # every file a screen offers: JSON, CSV ZIP, progress report
    reminders: ReminderService
    calendar: CalendarFeedService
    reminder_overview: ReminderOverview
    mail: MailSettingsService  # the admin's mail server settings (never shows the password)
    password_reset: PasswordResetService  # forgot my password: a link by email
    erasure: ErasureService  # a patient deletes their account and data
    invitations: InvitationService  # invitations to join: staff and patients (/join)
    account_admin: AccountAdmin  # the admin's Accounts screen: deactivate, roles, reset links
    audit_log: AuditLogReview  # the admin's Audit log: account changes and record openings
    first_run: FirstRunSetup  # an empty clinic's first admin, from the link the server printed
    two_step: TwoStepService  # two-step sign-in: status, set up, recovery codes, reset
    backups: BackupService  # the admin's backup schedule and the last good backup
    health: Health  # /healthz: is this server's store answering (issue 17)
    chart_pages: SharedPages  # chart pages any app server can serve (issue 17)
    # Not the delivery service: screens never run the scheduler (a background job does).

    @property
    def rulebook(self) -> Rulebook:
        return self.guidance.rulebook
