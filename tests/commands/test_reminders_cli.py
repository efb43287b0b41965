"""`reminders run-due`: one summary line, nothing new when run again at once, one line and
an exit code for a folder in use or an unusable smtp.json."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.commands.reminders import run
from app.domain.accounts import Role
from app.domain.reminder_plan import Repeat, Schedule, Template
from app.domain.reminders import ReminderPrefs
from app.main import build_services
from app.reminders_wiring import build_reminder_services
from app.store.journal import JournalStore
from tests.conftest import FAST_SETTINGS, FakeClock

PASSWORD = "backtrack-test-pw"
REPO = Path(__file__).resolve().parents[2]


def seed(data_dir: Path) -> None:
    """A patient with two reminders that fell due half an hour ago (the command uses the
    real clock, so they are scheduled an hour back)."""
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(hours=1))
    services = build_services(FAST_SETTINGS, JournalStore.open(data_dir / "store"),
                              clock=clock)
    try:
        patient = services.accounts.create("alex@example.com", "Alex", PASSWORD,
                                           Role.PATIENT, "UTC")
        services.logbook.set_reminders(patient, ReminderPrefs(
            patient.id, daily_check_in=False, quiet_from="00:00", quiet_until="00:00"))
        built = build_reminder_services(services.store, services.access, services.clinic,
                                        data_dir=data_dir,
                                        base_url="https://clinic.example", clock=clock)
        due = now - timedelta(minutes=30)
        for template in (Template.HOME_EXERCISE, Template.MESSAGE):
            built.reminders.schedule(patient, patient.id, template=template,
                                     schedule=Schedule(Repeat.AT_MOMENTS, moments=(due,)),
                                     message="See you soon")
    finally:
        services.close()


def test_prints_one_summary_line_and_nothing_new_the_second_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed(tmp_path)
    assert run(["run-due", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == \
        "delivered 2 (in_app 2, email 0), late 2, skipped 0, failed 0\n"
    assert run(["run-due", "--data-dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == \
        "delivered 0 (in_app 0, email 0), late 0, skipped 0, failed 0\n"


def test_a_folder_in_use_is_one_line_and_exit_1(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    seed(tmp_path)
    held = JournalStore.open(tmp_path / "store")
    try:
        assert run(["run-due", "--data-dir", str(tmp_path)]) == 1
    finally:
        held.close()
    err = capsys.readouterr().err
    assert err.startswith("BackTrack: ") and err.count("\n") == 1


def test_smtp_settings_readable_by_others_are_refused(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    smtp = tmp_path / "smtp.json"
    smtp.write_text(json.dumps({"host": "127.0.0.1", "port": 25, "sender": "a@b.example",
                                "password": "secret"}))
    smtp.chmod(0o644)
    assert run(["run-due", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "chmod 600" in err and "secret" not in err


def test_python_m_app_reminders_run_due(tmp_path: Path) -> None:
    seed(tmp_path)
    command = [sys.executable, "-m", "app", "reminders", "run-due", "--data-dir",
               str(tmp_path)]
    first = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert (first.returncode, first.stdout) == (
        0, "delivered 2 (in_app 2, email 0), late 2, skipped 0, failed 0\n"), first.stderr
    again = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert (again.returncode, again.stdout) == (
        0, "delivered 0 (in_app 0, email 0), late 0, skipped 0, failed 0\n"), again.stderr
