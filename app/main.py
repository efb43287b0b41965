"""Composition root: settings → store → services (→ UI). The one place that picks the
concrete store and reads the settings; tests build the app through `build_services` too.

`Services` is the root's own bundle (it holds the store, to close it, and the settings):
the command line uses it. The UI gets `Services.screens` (app.services.facade), which has
neither; each service gets only the services and store it uses, as constructor arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from argon2 import PasswordHasher

from app import paths
from app.domain.guidance import Rulebook
from app.jobs import Jobs
from app.reminders_wiring import ReminderServices, build_reminder_services, schedule_delivery
from app.services.access import AccessService
from app.services.account_admin import AccountAdmin
from app.services.account_audit import AccountAudit
from app.services.accounts import AccountService, AuthService, Ended
from app.services.audit_log import AuditLogReview
from app.services.backups import BACKUP_JOB, LOOK_EVERY_SECONDS, BackupService
from app.services.base import Clock, system_clock
from app.services.caseload import CASELOAD_JOB, REFRESH_SECONDS, Caseload
from app.services.clinic import ClinicService
from app.services.delivery import DeliveryLease
from app.services.erasure import ErasureService
from app.services.export_formats import build_exports
from app.services.exports import ExportService
from app.services.facade import ScreenServices
from app.services.first_run import FirstRunSetup
from app.services.followup import FollowUpService
from app.services.guidance import GuidanceService, load_rulebook
from app.services.health import Health
from app.services.invitations import InvitationService
from app.services.logbook import Logbook
from app.services.one_at_a_time import OneAtATime
from app.services.password_reset import PasswordResetService
from app.services.portability import Portability
from app.services.progress import ProgressService, load_thresholds
from app.services.shared_pages import SharedPages
from app.services.two_step import TwoStepService
from app.settings import Settings
from app.store.backup import backup_maker
from app.store.interfaces import RecordStore
from app.store.shared_state import MemorySharedState, SharedState


@dataclass
class Services:
    settings: Settings
    store: RecordStore
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
    exports: ExportService
    reminders: ReminderServices  # reminders, delivery (the scheduler), calendar, overview, mail
    password_reset: PasswordResetService  # forgot my password: a link by email
    erasure: ErasureService  # a patient deletes their account and data
    invitations: InvitationService  # invitations to join: staff and patients (/join)
    first_run: FirstRunSetup  # an empty clinic's first admin, on screen
    account_audit: AccountAudit  # the clinic's account log
    account_admin: AccountAdmin  # the admin's Accounts screen
    audit_log: AuditLogReview  # the admin's Audit log
    two_step: TwoStepService  # two-step sign-in: enrolment, codes, an admin's reset
    backups: BackupService  # the admin's backup schedule (issue 15)
    health: Health  # /healthz for the reverse proxy (issue 17)
    screens: ScreenServices  # what the UI gets: the same services, without store or settings
    shared: SharedState  # sessions, lockouts, tickets, the reminders' lease (issue 17)
    chart_pages: SharedPages  # chart pages any app server can serve (issue 17)

    @property
    def rulebook(self) -> Rulebook:
        return self.guidance.rulebook

    def close(self) -> None:
        self.shared.close()
        self.store.close()


def open_store(settings: Settings) -> RecordStore:
    """The PostgreSQL store when a database is named (--database-url,
    BACKTRACK_DATABASE_URL: several app servers share it), else the embedded journal in
    the data folder, as ever for a single clinic."""
    if settings.database_url:
        from app.store.postgres import PostgresStore

        return PostgresStore.open(settings.database_url)
    from app.store.journal import JournalStore

    return JournalStore.open(paths.store_dir(settings.data_dir))


def open_shared_state(store: RecordStore) -> SharedState:
    """Where what several app servers must agree on lives (app.store.shared_state): the
    PostgreSQL store's database (its migration 0002) when the records are there; in
    memory with the embedded journal, which one process alone serves."""
    from app.store.postgres.shared_state import PostgresSharedState
    from app.store.postgres.store import PostgresStore

    if isinstance(store, PostgresStore):
        return PostgresSharedState(store.url)
    return MemorySharedState()


def build_services(settings: Settings, store: RecordStore | None = None,
                   clock: Clock = system_clock) -> Services:
    store = store if store is not None else open_store(settings)
    shared = open_shared_state(store)
    hasher = PasswordHasher(time_cost=settings.argon2_time_cost,
                            memory_cost=settings.argon2_memory_kib)
    accounts = AccountService(store, hasher, clock, shared=shared)
    account_audit = AccountAudit(store, clock)  # the clinic's account log, one writer
    access = AccessService(store, accounts, clock)
    auth = AuthService(accounts, max_failures=settings.max_failed_sign_ins,
                       lockout=timedelta(minutes=settings.lockout_minutes),
                       idle_timeout=timedelta(minutes=settings.session_idle_minutes),
                       shared=shared)
    logbook = Logbook(store, access, clock)
    guidance = GuidanceService(store, load_rulebook(paths.GUIDANCE_RULEBOOK), access,
                               clock=clock)
    progress = ProgressService(logbook, load_thresholds(), clock)
    followups = FollowUpService(store, access, guidance, clock)
    clinic = ClinicService(store, clock)
    two_step = TwoStepService(store, accounts, clinic, account_audit,
                              partial(auth.end_sessions, why=Ended.TWO_STEP_RESET), clock,
                              shared=shared)
    auth.use_two_step(two_step)  # a right password asks for a code where it is on
    reminders = build_reminder_services(
        store, access, clinic, data_dir=settings.data_dir,
        base_url=settings.public_url, clock=clock)
    exports = build_exports(store, accounts, access, logbook, progress, guidance, clock)
    password_reset = PasswordResetService(
        auth, notifier_source=reminders.mail.notifier,
        clinic_name=lambda: clinic.current().name, base_url=settings.public_url,
        clock=clock, account_audit=account_audit)
    screens = ScreenServices(
        accounts=accounts, auth=auth, access=access, logbook=logbook, clinic=clinic,
        portability=Portability(store, accounts, exports, clock),
        guidance=guidance, progress=progress,
        caseload=Caseload(access, progress, guidance, followups), followups=followups,
        exports=exports,
        reminders=reminders.reminders, calendar=reminders.calendar,
        reminder_overview=reminders.overview, mail=reminders.mail,
        password_reset=password_reset,
        erasure=ErasureService(access, auth, clock),
        invitations=InvitationService(
            store, accounts, access, account_audit,
            notifier_source=reminders.mail.notifier,
            clinic_name=lambda: clinic.current().name, base_url=settings.public_url,
            clock=clock, shared=shared),
        account_admin=AccountAdmin(accounts, auth, password_reset, account_audit),
        audit_log=AuditLogReview(account_audit, access, accounts),
        first_run=FirstRunSetup(accounts, clinic, account_audit),
        two_step=two_step,
        backups=BackupService(store, backup_maker(store), paths.backups_dir(settings.data_dir),
                              account_audit, clock),
        health=Health(store),
        chart_pages=SharedPages(shared, auth, access, clock=clock,  # several servers: DB
                                across_servers=not isinstance(shared, MemorySharedState)),
    )
    return Services(
        settings=settings, store=store, accounts=accounts, auth=auth, access=access,
        logbook=logbook, clinic=clinic, portability=screens.portability,
        guidance=guidance, progress=progress, caseload=screens.caseload,
        followups=followups, exports=screens.exports, reminders=reminders, screens=screens,
        password_reset=screens.password_reset,
        erasure=screens.erasure,
        invitations=screens.invitations,
        first_run=screens.first_run, account_audit=account_audit,
        account_admin=screens.account_admin, audit_log=screens.audit_log,
        two_step=two_step, backups=screens.backups,
        health=screens.health, shared=shared, chart_pages=screens.chart_pages,
    )


# A backup of a large database may take minutes; a server that dies during one keeps the
# others from starting the next for at most this long.
BACKUP_LEASE = timedelta(hours=1)


def background_jobs(services: Services) -> Jobs:
    """The server's background work, registered here; the command that serves starts
    them before the server and stops them after (the server adds its warm-ups)."""
    jobs = Jobs()
    schedule_delivery(jobs, services.reminders.delivery,  # at start, then each interval
                      services.settings.reminder_interval_seconds,
                      # one app server at a time delivers (issue 17)
                      DeliveryLease(services.shared, services.accounts.clock))
    # Caseload statuses kept up to date as entries are saved (issue 15).
    jobs.every(CASELOAD_JOB, REFRESH_SECONDS, services.caseload.refresh)
    # The admin's backup schedule (issue 15): the job asks whether one is due.
    # One app server at a time asks (issue 17): servers sharing a backup folder make one
    # backup per turn, not one each at the same second.
    backups_turn = OneAtATime(services.shared, BACKUP_JOB, services.accounts.clock,
                              ttl=BACKUP_LEASE)
    jobs.every(BACKUP_JOB, LOOK_EVERY_SECONDS,
               partial(backups_turn.run, lambda _heartbeat: services.backups.run_due()))
    return jobs


def seed_demo_if_empty(services: Services, progress: Callable[[str], None] = print) -> bool:
    """Fill an empty store with the demo clinic; leave a store with accounts alone."""
    from app.services.demo import seed_demo
    from app.services.demo_reminders import seed_demo_reminders

    if services.accounts.accounts.find():
        return False
    now = services.accounts.clock()
    made = seed_demo(services.accounts, services.access, services.logbook, services.clinic,
                     services.guidance, now, progress)
    seed_demo_reminders(services.reminders.reminders, services.reminders.delivery, made, now)
    return True
