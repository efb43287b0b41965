"""`python -m app reset-two-step EMAIL`: the server's operator clears an account's two-step
sign-in when no admin can (the clinic's only admin lost their phone and recovery codes);
the reset is in the account log, with no admin as its actor."""

from __future__ import annotations

from pathlib import Path

import pyotp

from app.domain.account_audit import AccountAction
from app.domain.accounts import Role
from app.main import build_services
from app.services.accounts import SecondStep
from app.settings import Settings
from tests.commands.test_cli import app, one_line_refusal

PASSWORD = "a-long-password"


def test_the_operator_clears_the_only_admins_two_step(tmp_path: Path) -> None:
    data = tmp_path / "clinic"
    made = app("add-account", "sam@clinic.example", "--name", "Sam Admin", "--role",
               "admin", data=data, stdin=f"{PASSWORD}\n")
    assert made.returncode == 0, made.stderr
    services = build_services(Settings(data_dir=data, argon2_memory_kib=1024,
                                       argon2_time_cost=1))
    try:
        sam = services.accounts.by_email("sam@clinic.example")
        assert sam is not None and sam.role is Role.ADMIN
        enrolment = services.two_step.start_enrolment(sam)
        services.two_step.confirm_enrolment(sam, pyotp.TOTP(enrolment.secret).now())
    finally:
        services.close()

    done = app("reset-two-step", "SAM@clinic.example", data=data)
    assert done.returncode == 0, done.stderr
    assert "Two-step sign-in cleared for sam@clinic.example" in done.stdout

    services = build_services(Settings(data_dir=data, argon2_memory_kib=1024,
                                       argon2_time_cost=1))
    try:
        assert not services.two_step.is_on(sam.id)
        step = services.auth.password_step("sam@clinic.example", PASSWORD)
        assert isinstance(step, SecondStep) and step.enrol  # set it up again
        [event] = [e for e in services.account_audit.all()
                   if e.action is AccountAction.TWO_STEP_RESET]
        assert (event.actor_id, event.subject) == ("", sam.id)
    finally:
        services.close()


def test_an_unknown_email_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "clinic"
    assert app("add-account", "sam@clinic.example", "--name", "Sam", "--role", "admin",
               data=data, stdin=f"{PASSWORD}\n").returncode == 0
    refusal = one_line_refusal(app("reset-two-step", "nobody@clinic.example", data=data))
    assert "No account with the email nobody@clinic.example." in refusal
