"""Settings from the environment: the idle timeout a browser test shortens."""

from __future__ import annotations

import pytest

from app import settings


def test_the_idle_timeout_can_be_set_in_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKTRACK_SESSION_IDLE_MINUTES", "0.25")
    assert settings.from_environment().session_idle_minutes == 0.25


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_nonsense_idle_timeout_is_refused(monkeypatch: pytest.MonkeyPatch,
                                            value: str) -> None:
    monkeypatch.setenv("BACKTRACK_SESSION_IDLE_MINUTES", value)
    with pytest.raises(ValueError, match="BACKTRACK_SESSION_IDLE_MINUTES"):
        settings.from_environment()


def test_links_go_to_the_host_and_port_unless_a_public_address_is_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKTRACK_PUBLIC_URL", raising=False)
    local = settings.from_environment().with_overrides(port=9000)
    assert local.public_url == "http://127.0.0.1:9000"
    monkeypatch.setenv("BACKTRACK_PUBLIC_URL", "https://backtrack.clinic.example/app/")
    public = settings.from_environment().with_overrides(port=9000)
    assert public.public_url == "https://backtrack.clinic.example/app"


@pytest.mark.parametrize("value", ["backtrack.example", "ftp://x.example", "https://",
                                   "https://x.example:port", "https://x.example/?a=1",
                                   "https://me@x.example", "https://x.example/a b",
                                   "https://bäck.example"])
def test_a_public_address_that_is_not_one_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                     value: str) -> None:
    monkeypatch.setenv("BACKTRACK_PUBLIC_URL", value)
    with pytest.raises(ValueError, match="BACKTRACK_PUBLIC_URL"):
        settings.from_environment()


def test_the_reminder_interval_is_a_minute_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BACKTRACK_REMINDER_INTERVAL", raising=False)
    assert settings.from_environment().reminder_interval_seconds == 60
    monkeypatch.setenv("BACKTRACK_REMINDER_INTERVAL", "2")
    assert settings.from_environment().reminder_interval_seconds == 2


@pytest.mark.parametrize("value", ["0", "0.5", "-3", "often", "inf", "nan"])
def test_a_reminder_interval_under_a_second_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                       value: str) -> None:
    monkeypatch.setenv("BACKTRACK_REMINDER_INTERVAL", value)
    with pytest.raises(ValueError, match="BACKTRACK_REMINDER_INTERVAL"):
        settings.from_environment()
