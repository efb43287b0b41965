"""Exactly once across a real crash: `reminders run-due` is killed with SIGKILL while it is
handing emails to a real SMTP server on loopback, then run again. Every (reminder,
occurrence, channel) has exactly one delivery record, every email arrives, and at most
the one message in flight at the kill arrives twice (same Message-ID; docs/reminders.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from app.domain.accounts import Role
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.domain.reminders import ReminderPrefs
from app.main import build_services
from app.reminders_wiring import build_reminder_services
from app.services.mail_settings import SMTP_FILE
from app.services.reminders import DELIVERY
from app.store.interfaces import Query
from app.store.journal import JournalStore
from tests.conftest import FAST_SETTINGS, FakeClock
from tests.services.smtp_helpers import HOST, Mailbox, free_port

REPO = Path(__file__).resolve().parents[2]
PATIENTS, PER_PATIENT = 20, 10
RUN_DUE = ("import sys; from app.commands.reminders import run; "
           "sys.exit(run(['run-due', '--data-dir', sys.argv[1]]))")


def seed(data_dir: Path, smtp_port: int) -> None:
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(hours=1))
    services = build_services(FAST_SETTINGS, JournalStore.open(data_dir / "store"),
                              clock=clock)
    try:
        built = build_reminder_services(services.store, services.access, services.clinic,
                                        data_dir=data_dir, base_url="https://clinic.example",
                                        clock=clock)
        due = (now - timedelta(minutes=10),)
        for i in range(PATIENTS):
            patient = services.accounts.create(f"p{i}@example.com", f"P {i}", "backtrack-test-pw",
                                               Role.PATIENT)
            services.logbook.set_reminders(patient, ReminderPrefs(
                patient.id, daily_check_in=False, quiet_from="00:00", quiet_until="00:00"))
            for _ in range(PER_PATIENT):
                built.reminders.schedule(patient, patient.id, template=Template.MESSAGE,
                                         schedule=Schedule(Repeat.AT_MOMENTS, moments=due),
                                         message="Hello")
    finally:
        services.close()
    smtp = data_dir / SMTP_FILE
    smtp.write_text(json.dumps({"host": HOST, "port": smtp_port, "security": "none",
                                "sender": "reminders@clinic.example"}))
    smtp.chmod(0o600)


def run_due(data_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", RUN_DUE, str(data_dir)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.mark.slow
def test_killed_mid_run_then_run_again_delivers_each_exactly_once(tmp_path: Path) -> None:
    mailbox = Mailbox()
    server = Controller(mailbox, hostname=HOST, port=free_port())
    server.start()
    total = PATIENTS * PER_PATIENT
    try:
        seed(tmp_path, server.port)
        first = run_due(tmp_path)
        deadline = time.monotonic() + 120
        while len(mailbox.messages) < total // 3 and first.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.005)
        assert first.poll() is None, "the run ended before it could be killed"
        first.send_signal(signal.SIGKILL)
        first.wait()
        at_kill = len(mailbox.messages)
        assert 0 < at_kill < total

        second = run_due(tmp_path)
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, err
        assert out.startswith("delivered ") and "in_app 0" in out  # recorded before
    finally:
        server.stop()

    ids = Counter(m["Message-ID"] for _, m in mailbox.messages)
    assert len(ids) == total  # every email arrived
    assert sum(ids.values()) - total <= 1  # only the one in flight at the kill, if any
    store = JournalStore.open(tmp_path / "store")
    try:
        records = store.find(Query(DELIVERY))
    finally:
        store.close()
    assert Counter(r.data["channel"] for r in records) == {"in_app": total, "email": total}
    assert {r.data["status"] for r in records} == {"delivered"}
