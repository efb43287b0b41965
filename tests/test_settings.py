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
