"""`python -m app reminders run-due`: one scheduler run, for deployments that prefer cron
to the scheduler inside the server. Prints exactly one summary line:

    delivered N (in_app A, email E), late L, skipped S, failed F

Running it again at once delivers nothing new (exactly once: app/services/delivery.py).
Exit codes as the other commands: 0 done, 1 the data folder (e.g. the server has it
open: the server's own scheduler is running then) or the disk, 2 refused input (an
unusable smtp.json).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app import settings as settings_module
from app.reminders_wiring import build_reminder_services
from app.services.delivery import DeliveryLease
from app.services.mail_settings import SMTP_FILE, load_smtp_settings
from app.store.interfaces import StoreError

BUSY = "delivered 0: an app server is delivering the reminders right now"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m app reminders",
                                     description="Deliver the reminders that are due.")
    sub = parser.add_subparsers(dest="action", required=True)
    run_due = sub.add_parser("run-due", help="deliver what is due now and retry failed emails")
    run_due.add_argument("--data-dir", type=Path, help="data folder (default: storage/)")
    run_due.add_argument("--base-url", help="the clinic's address for links in emails "
                                            "(default: http://HOST:PORT of the settings)")
    return parser


def run(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse has printed its message
        return exc.code if isinstance(exc.code, int) else 2
    from app.main import build_services

    try:
        settings = settings_module.from_environment().with_overrides(data_dir=args.data_dir)
        load_smtp_settings(settings.data_dir / SMTP_FILE)  # refuse an unusable file up front
    except ValueError as exc:
        return _fail(str(exc), 2)
    base_url = args.base_url or f"http://{settings.host}:{settings.port}"
    try:
        services = build_services(settings)
    except StoreError as exc:
        return _fail(str(exc), 1)
    try:
        delivery = services.reminders.delivery
        if args.base_url:  # links in the emails point at the clinic's public address
            delivery = build_reminder_services(
                services.store, services.access, services.clinic,
                data_dir=settings.data_dir, base_url=base_url).delivery
        # App servers on the same database may be delivering: one run at a time.
        summary = DeliveryLease(services.shared, services.accounts.clock).run_delivery(delivery)
        print(summary.line() if summary is not None else BUSY)
        return 0
    except StoreError as exc:
        return _fail(str(exc), 1)
    finally:
        services.close()


def _fail(message: str, code: int) -> int:
    print(f"BackTrack: {' '.join(message.split())}", file=sys.stderr)
    return code
